import { beforeEach, describe, expect, it } from 'vitest'
import { owedAnswers, REPLY_PAGE_LIMIT, replyMarker } from '../../src/app/durable-answers.ts'
import type { DeliveryJob } from '../../src/app/queue/delivery-queue.ts'
import { AFTER_FAILURE } from '../../src/app/queue/delivery-queue.ts'
import type { GithubApi } from '../../src/github/github-api.ts'
import { jobQueue, standInAnswers, useAnswerJobs } from '../helpers/answer-jobs.ts'
import type { LogLine } from '../helpers/recording-log.ts'
import { recordingLog } from '../helpers/recording-log.ts'
import { until } from './queue/delivery-queue.contract.ts'

/**
 * The App's answers as durable steps, against the REST stand-in over HTTP and a real queue: what a
 * retry does when an earlier attempt's write landed but its step was never saved (a crash between the
 * two), and what a job's steps say it still owes.
 */

const fx = useAnswerJobs(3)
let lines: LogLine[]
const answers = (job: DeliveryJob): GithubApi => standInAnswers(fx.rest.url, job, recordingLog(lines))

beforeEach(() => {
  lines = []
})

/** The job as a process that dies right after the write and before the save of steps named `kind…` sees it. */
function losingSaves(job: DeliveryJob, kind: string): DeliveryJob {
  return {
    ...job,
    saveStep: async (name, value) => {
      if (name.startsWith(kind)) throw new Error('killed between the write and its save')
      await job.saveStep(name, value)
    },
  }
}

const repliesOn = (issue: number) => fx.rest.comments.filter((c) => c.issue_number === issue).map((c) => c.body)
const listings = () => fx.rest.requests.filter((r) => r.method === 'GET' && /\/issues\/\d+\/comments$/.test(r.path))

function plant(issue: number, body: string, at = new Date()): void {
  fx.rest.comments.push({
    id: 9_000 + fx.rest.comments.length,
    repository: 'octo-org/project',
    issue_number: issue,
    body,
    created_at: at.toISOString(),
  })
}

/**
 * A first attempt that posted its reply (planted here, with `before` comments ahead of it and `after`
 * behind it) and died before saving that it had; the retry then answers through durableAnswers.
 */
function retryAfterReply(before: number, after: number) {
  return fx.jobs.run(async (job) => {
    if (job.attempt === 1) {
      for (let i = 0; i < before; i++) plant(7, `comment ${i}`)
      plant(7, `posted\n\n${replyMarker(job.delivery.id, 'reply:7#0')}`)
      for (let i = 0; i < after; i++) plant(7, `comment ${i}`)
      throw new Error('died after the reply, before its save')
    }
    await answers(job).createComment(7, 'posted')
  })
}

describe('a reply carries its delivery and step, and a retry looks for it before posting', () => {
  it('posted by an attempt whose save was lost: the retry finds it by its marker and posts none', async () => {
    const record = await fx.jobs.run(async (job) => {
      await answers(job.attempt === 1 ? losingSaves(job, 'reply:') : job).createComment(7, 'The answer.')
    })
    expect(record).toMatchObject({ state: 'done', attempts: 2 })
    expect(repliesOn(7)).toEqual([`The answer.\n\n<!-- kitty-delivery: ${record.id}/reply:7#0 -->`])
    expect(listings()).toHaveLength(1)
    expect(record.steps).toHaveProperty(['reply:7#0'])
  })

  it('posted by the last attempt of a failed job, then redelivered (attempts count from 1 again): found, not posted again', async () => {
    const once = jobQueue(1)
    let lose = true
    const handler = async (job: DeliveryJob) => {
      const api = answers(lose ? losingSaves(job, 'reply:') : job)
      await api.addReaction(41, '+1')
      await api.createComment(7, 'The answer.')
    }
    const failed = await once.run(handler)
    expect(failed.state).toBe('failed')
    lose = false
    const [again] = await once.queue.listFailed(1)
    expect(await once.queue.enqueue(again!.delivery)).toBe('queued')
    await until('the redelivery done', async () => (await once.queue.inspect(failed.id))?.state === 'done')
    await once.queue.close()
    expect(repliesOn(7)).toEqual([`The answer.\n\n${replyMarker(failed.id, 'reply:7#0')}`])
    expect(fx.rest.requests.filter((r) => r.path.endsWith('/reactions'))).toHaveLength(1)
  })

  it('never posted (the attempt died first): the retry posts it once; other deliveries, steps and issues do not count', async () => {
    let id = ''
    const record = await fx.jobs.run(async (job) => {
      id = job.delivery.id
      if (job.attempt === 1) {
        plant(7, replyMarker('another-delivery', 'reply:7#0'))
        plant(7, `${replyMarker(id, 'reply:7#1')} (the next reply of this delivery)`)
        plant(7, `quoting ${id}/reply:7#0 in plain text`)
        plant(8, replyMarker(id, 'reply:7#0'))
        throw new Error('died before the reply')
      }
      await answers(job).createComment(7, 'The answer.')
    })
    expect(record.state).toBe('done')
    expect(repliesOn(7).filter((b) => b.endsWith(replyMarker(id, 'reply:7#0')))).toEqual([
      `The answer.\n\n${replyMarker(id, 'reply:7#0')}`,
    ])
  })

  it('reads later pages, and only comments since the delivery arrived (less a minute)', async () => {
    const receivedAt = Date.now() - 10 * 60_000
    let marker = ''
    await fx.jobs.run(
      async (job) => {
        marker = replyMarker(job.delivery.id, 'reply:7#0')
        if (job.attempt === 1) {
          // Same marker, but before the delivery: outside the window, so the retry must post.
          plant(7, marker, new Date(receivedAt - 2 * 60_000))
          throw new Error('died before the reply')
        }
        await answers(job).createComment(7, 'first')
      },
      { receivedAt },
    )
    expect(repliesOn(7).filter((b) => b.endsWith(marker))).toHaveLength(2)

    fx.rest.reset()
    const paged = await retryAfterReply(150, 0)
    expect(paged.state).toBe('done')
    expect(fx.rest.requests.filter((r) => r.method === 'POST')).toEqual([])
    expect(listings()).toHaveLength(2)
  })

  it('reads every page since the delivery: 600 comments between the delivery and the retry still hide no reply', async () => {
    // The reply landed, then a busy thread buried it under 6 pages before the retry came.
    const record = await retryAfterReply(0, 600)
    expect(record.state).toBe('done')
    expect(fx.rest.requests.filter((r) => r.method === 'POST')).toEqual([])
    // The reply is on the first page, which is read first, and the look stops there.
    expect(listings()).toHaveLength(1)

    fx.rest.reset()
    const buried = await retryAfterReply(600, 0)
    expect(buried.state).toBe('done')
    expect(fx.rest.requests.filter((r) => r.method === 'POST')).toEqual([])
    // Page 1 names the last page (7), where the newest comments are: the reply is there.
    expect(listings().map((r) => r.query.get('page'))).toEqual(['1', '7'])
    expect(lines).toEqual([])
  })

  it('exactly one full page (GitHub then sends no Link header) is read once', async () => {
    const record = await fx.jobs.run(async (job) => {
      if (job.attempt === 1) {
        for (let i = 0; i < 100; i++) plant(7, `comment ${i}`)
        throw new Error('died before the reply')
      }
      await answers(job).createComment(7, 'posted')
    })
    expect(record.state).toBe('done')
    expect(listings()).toHaveLength(1)
    expect(fx.rest.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    expect(lines).toEqual([])
  })

  it('a comment deleted while the pages are read hides no reply (the look reads from the last page back)', async () => {
    // The reply is the first comment of page 2. Read forwards, a page-1 comment deleted between the two
    // reads moves it onto page 1, already read: the look would miss it and post a second reply.
    const deleteOne = () => {
      const at = fx.rest.comments.findIndex((c) => c.issue_number === 7)
      fx.rest.comments.splice(at, 1)
    }
    fx.rest.beforeNext(/^GET \/repos\/octo-org\/project\/issues\/7\/comments$/, () =>
      fx.rest.beforeNext(/^GET \/repos\/octo-org\/project\/issues\/7\/comments$/, deleteOne),
    )
    const record = await retryAfterReply(100, 50)
    expect(record.state).toBe('done')
    expect(fx.rest.requests.filter((r) => r.method === 'POST')).toEqual([])
    expect(repliesOn(7)).toHaveLength(150)
    expect(lines).toEqual([])
  })

  it('stops at the first page that starts before the delivery arrived', async () => {
    const receivedAt = Date.now() - 10 * 60_000
    const record = await fx.jobs.run(
      async (job) => {
        if (job.attempt === 1) {
          for (let i = 0; i < 250; i++) plant(7, `before ${i}`, new Date(receivedAt - 5 * 60_000))
          for (let i = 0; i < 150; i++) plant(7, `since ${i}`)
          throw new Error('died before the reply')
        }
        await answers(job).createComment(7, 'posted')
      },
      { receivedAt },
    )
    expect(record.state).toBe('done')
    // Page 1 (oldest), then 4 and 3 (newest first); page 3 begins with comments from before: no further.
    expect(listings().map((r) => r.query.get('page'))).toEqual(['1', '4', '3'])
    expect(fx.rest.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
  })

  it(`stops after ${REPLY_PAGE_LIMIT} pages (more than an issue can hold), says so, and posts`, async () => {
    const record = await fx.jobs.run(async (job) => {
      if (job.attempt === 1) {
        for (let i = 0; i < REPLY_PAGE_LIMIT * 100 + 50; i++) plant(7, `comment ${i}`)
        throw new Error('died before the reply')
      }
      await answers(job).createComment(7, 'posted')
    })
    expect(record.state).toBe('done')
    expect(listings()).toHaveLength(REPLY_PAGE_LIMIT)
    expect(fx.rest.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    expect(lines).toEqual([
      {
        level: 'warn',
        msg: expect.stringMatching(/^reply lookup: #7 has more comments since the delivery than 26 pages hold/),
        fields: expect.objectContaining({ issue: 7, pages: REPLY_PAGE_LIMIT }),
      },
    ])
  })

  it('keeps the marker whole within GitHub’s 65,536 characters, and no sender text can end or extend it', async () => {
    const record = await fx.jobs.run(async (job) => answers(job).createComment(7, 'x'.repeat(70_000)))
    const [body] = repliesOn(7)
    expect(body!.length).toBeLessThanOrEqual(65_536)
    expect(body!.endsWith(`\n\n<!-- kitty-delivery: ${record.id}/reply:7#0 -->`)).toBe(true)
    const hostile = replyMarker('a-->b<!--c d\n', 'reply:7#0')
    expect(hostile).toBe('<!-- kitty-delivery: a--_b__--c_d_/reply:7#0 -->')
    expect(hostile.indexOf('>')).toBe(hostile.length - 1)
  })
})

describe('check runs', () => {
  const run = { name: 'kitty/merge-mission', head_sha: 'c'.repeat(40) }
  const completed = (title: string) => ({
    status: 'completed' as const,
    conclusion: 'success' as const,
    output: { title, summary: title, text: title },
  })

  it('completed once stays as completed: a retry (which finds its change applied) does not overwrite it', async () => {
    const record = await fx.jobs.run(async (job) => {
      const api = answers(job)
      const { id } = await api.createCheckRun({
        ...run,
        status: 'in_progress',
        output: { title: 'Running', summary: 'r' },
      })
      await api.updateCheckRun(id!, completed(job.attempt === 1 ? 'Merged' : 'Nothing to change (already applied)'))
      if (job.attempt === 1) throw new Error('the reply failed with a 502')
    })
    expect(record.state).toBe('done')
    const patches = fx.rest.requests.filter((r) => r.method === 'PATCH')
    expect(patches.map((r) => (r.body as { output: { title: string } }).output.title)).toEqual(['Merged'])
    expect(fx.rest.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/check-runs'))).toHaveLength(1)
    expect(owedAnswers(record.steps)).toEqual({ openRuns: [], unsureRuns: [], labels: [] })
  })

  it('a run opened in_progress and never completed is owed; one created completed is not', async () => {
    const record = await fx.jobs.run(async (job) => {
      const api = answers(job)
      await api.createCheckRun({ ...run, status: 'in_progress', output: { title: 'Running', summary: 'r' } })
      await api.createCheckRun({ ...run, name: 'kitty/transition', ...completed('Done') })
    })
    const opened = fx.rest.checkRuns.find((r) => r.name === 'kitty/merge-mission')!
    expect(owedAnswers(record.steps)).toEqual({ openRuns: [opened.id], unsureRuns: [], labels: [] })
  })
})

describe('owedAnswers', () => {
  const run = (id: number, open = true) => ({ id, url: null, open })

  it('owes the runs opened and not completed, by the job or after its failure; a run saved without `open` is unsure', () => {
    const steps = {
      'check-run:kitty/merge-mission#0': run(1),
      'check-run:kitty/merge-mission#1': run(2),
      'check-run-done:2': null,
      'check-run:kitty/other#0': run(3),
      [`${AFTER_FAILURE}check-run-done:3`]: null,
      'check-run:kitty/transition#0': run(4, false),
      // Saved by an App before runs carried `open`: opened in_progress or not, the sweep asks GitHub.
      'check-run:kitty/older#0': { id: 5, url: null },
      'check-run:kitty/older#1': { id: 6, url: null },
      'check-run-done:6': null,
      'check-run:kitty/failed-to-open#0': { id: null, url: null, open: true },
    }
    expect(owedAnswers(steps)).toEqual({ openRuns: [1], unsureRuns: [5], labels: [] })
  })

  it('owes the merge label a job from before label ownership evidently held: a labeled delivery that saved a run', () => {
    const labeled = { number: 7, label: 'kitty:merge' }
    const older = { 'check-run:kitty/merge-mission#0': { id: 5, url: null } }
    let reads = 0
    const read = () => (reads++, labeled)
    expect(owedAnswers(older, read).labels).toEqual([labeled])
    expect(owedAnswers({ ...older, 'label:7#0': null }, read).labels).toEqual([])
    expect(owedAnswers({ ...older, [`${AFTER_FAILURE}label-removed:7`]: null }, read).labels).toEqual([])
    // Not a labeled delivery (a comment's merge, say): no label.
    expect(owedAnswers(older, () => null).labels).toEqual([])
    expect(reads).toBe(3)
    // A job of today says what it holds: the delivery is not read.
    expect(owedAnswers({ 'check-run:kitty/merge-mission#0': run(5, false) }, read).labels).toEqual([])
    expect(owedAnswers({ ...older, 'merge-label:8': 'ship it' }, read).labels).toEqual([
      { number: 8, label: 'ship it' },
    ])
    // No run saved: no evidence the label was the merge label (a bot's, or not the configured one).
    expect(owedAnswers({ 'reply:7#0': null }, read).labels).toEqual([])
    expect(reads).toBe(3)
  })

  it('owes a merge label the job took on until a removal of its own, or the sweep’s, is saved', () => {
    expect(owedAnswers({ 'merge-label:7': 'kitty:merge' }).labels).toEqual([{ number: 7, label: 'kitty:merge' }])
    expect(owedAnswers({ 'merge-label:7': 'kitty:merge', 'label:7#0': null }).labels).toEqual([])
    expect(owedAnswers({ 'merge-label:7': 'kitty:merge', [`${AFTER_FAILURE}label-removed:7`]: null }).labels).toEqual(
      [],
    )
    // Another pull request's removal is not this one's.
    expect(owedAnswers({ 'merge-label:7': 'ship it', 'label:70#0': null }).labels).toEqual([
      { number: 7, label: 'ship it' },
    ])
    expect(owedAnswers({ 'label:7#0': null, 'reply:7#0': null }).labels).toEqual([])
  })
})
