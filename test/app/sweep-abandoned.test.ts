import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeEach, describe, expect, it } from 'vitest'
import { createAppMetrics } from '../../src/app/app-metrics.ts'
import { ownMergeLabel } from '../../src/app/durable-answers.ts'
import type { DeliveryJob } from '../../src/app/queue/delivery-queue.ts'
import type { SweepDeps } from '../../src/app/sweep-abandoned.ts'
import {
  DEFAULT_SWEEP_INTERVAL_MS,
  startRecoverySweep,
  SWEPT,
  sweepAbandoned,
  sweepIntervalMs,
} from '../../src/app/sweep-abandoned.ts'
import { octokitApi } from '../../src/github/github-api.ts'
import { standInAnswers, standInOctokit, useAnswerJobs, WHERE } from '../helpers/answer-jobs.ts'
import type { LogLine } from '../helpers/recording-log.ts'
import { recordingLog } from '../helpers/recording-log.ts'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'
import { basicError } from '../helpers/github-openapi.ts'
import { until } from './queue/delivery-queue.contract.ts'

/**
 * The recovery sweep in-process, on a real queue whose jobs failed for good after answering through
 * the durable steps, against the REST stand-in over HTTP. The crash variant (a process killed during
 * a merge) is test/app/app-recovery-sweep.test.ts.
 */

const fx = useAnswerJobs(1)
let lines: LogLine[]

beforeEach(() => {
  lines = []
})

function deps(queue: SweepDeps['queue'] = fx.jobs.queue): SweepDeps & { metrics: ReturnType<typeof createAppMetrics> } {
  return {
    queue,
    installation: async (id) => {
      expect(id).toBe(4242)
      return standInOctokit(fx.rest.url)
    },
    log: recordingLog(lines),
    metrics: createAppMetrics(() => 0),
  }
}

const HEAD = 'd'.repeat(40)
const inProgress = { name: 'kitty/merge-mission', head_sha: HEAD, status: 'in_progress' as const }

/** A merge-label job that opened its in_progress run and died (threw) before completing it. */
async function abandonedMerge(job: DeliveryJob): Promise<void> {
  const api = standInAnswers(fx.rest.url, job)
  await ownMergeLabel(job, 7, 'kitty:merge')
  await api.createCheckRun({ ...inProgress, output: { title: 'Running', summary: 'merging' } })
  throw new Error('the engine died mid-merge')
}

const writes = () => fx.rest.requests.filter((r) => r.method !== 'GET')
const swept = async (metrics: ReturnType<typeof createAppMetrics>) =>
  Object.fromEntries((await metrics.sweptJobs.get()).values.map((v) => [v.labels.outcome, v.value]))

describe('sweepAbandoned', () => {
  it('completes the runs a failed job left in_progress as failed, removes its merge label, once', async () => {
    const merge = await fx.jobs.run(abandonedMerge)
    // Finished its own answers before failing: nothing is owed.
    const finishedOwn = await fx.jobs.run(async (job) => {
      const api = standInAnswers(fx.rest.url, job)
      await ownMergeLabel(job, 8, 'kitty:merge')
      const { id } = await api.createCheckRun({ ...inProgress, output: { title: 'Running', summary: 'merging' } })
      await api.updateCheckRun(id!, {
        status: 'completed',
        conclusion: 'success',
        output: { title: 'Merged', summary: 's', text: 't' },
      })
      await api.removeLabel(8, 'kitty:merge')
      throw new Error('the reply failed for good')
    })
    const quiet = await fx.jobs.run(async () => {
      throw new Error('nothing answered')
    })
    expect([merge, finishedOwn, quiet].map((r) => r.state)).toEqual(['failed', 'failed', 'failed'])
    const [open, completed] = fx.rest.checkRuns
    fx.rest.requests.length = 0

    const d = deps()
    expect(await sweepAbandoned(d)).toBe(3)
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /repos/octo-org/project/check-runs/${open!.id}`,
      'DELETE /repos/octo-org/project/issues/7/labels/kitty:merge',
    ])
    expect(writes()[0]!.body).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Delivery failed after 1 attempt' },
    })
    const summary = (writes()[0]!.body as { output: { summary: string; text: string } }).output
    expect(summary.summary).toContain(merge.id)
    expect(summary.summary).toMatch(/redeliver/i)
    expect(summary.text).toContain('the engine died mid-merge')
    expect(fx.rest.checkRuns.map((r) => r.status)).toEqual(['completed', 'completed'])
    expect(completed!.id).not.toBe(open!.id)
    expect((await fx.jobs.queue.inspect(merge.id))?.steps).toMatchObject({
      [SWEPT]: { outcome: 'finished' },
      [`after-failure:check-run-done:${open!.id}`]: null,
      'after-failure:label-removed:7': null,
    })
    expect(await swept(d.metrics)).toEqual({ finished: 1, nothing_owed: 2 })

    // A second sweep (another replica, the next period) finds nothing left to do.
    fx.rest.requests.length = 0
    expect(await sweepAbandoned(deps())).toBe(0)
    expect(fx.rest.requests).toEqual([])
  })

  it('leaves a job for the next run on a server error, gives up on a refusal, takes a gone label as removed', async () => {
    const failing = await fx.jobs.run(abandonedMerge)
    fx.rest.fail(/^PATCH .*\/check-runs\/\d+$/, { status: 502, body: basicError('Server Error', 502) })
    expect(await sweepAbandoned(deps())).toBe(0)
    expect(lines.filter((l) => l.level === 'warn').map((l) => [l.msg, l.fields])).toEqual([
      [expect.stringMatching(/next sweep tries again/), expect.objectContaining({ delivery: failing.id })],
    ])
    expect((await fx.jobs.queue.inspect(failing.id))?.steps).not.toHaveProperty([SWEPT])

    // The label was taken off by hand meanwhile (404); the run is refused for good (403).
    fx.rest.fail(/^DELETE .*\/labels\//, { status: 404, body: basicError('Label does not exist', 404) })
    fx.rest.fail(/^PATCH .*\/check-runs\/\d+$/, {
      status: 403,
      body: basicError('Resource not accessible by integration', 403),
    })
    const d = deps()
    expect(await sweepAbandoned(d)).toBe(1)
    expect(await swept(d.metrics)).toEqual({ gave_up: 1 })
    expect((await fx.jobs.queue.inspect(failing.id))?.steps).toMatchObject({
      [SWEPT]: { outcome: 'gave_up' },
      'after-failure:label-removed:7': null,
    })
    expect((await fx.jobs.queue.inspect(failing.id))?.steps).not.toHaveProperty([
      `after-failure:check-run-done:${fx.rest.checkRuns[0]!.id}`,
    ])
    expect(fx.rest.checkRuns[0]!.status).toBe('in_progress')
    fx.rest.requests.length = 0
    expect(await sweepAbandoned(deps())).toBe(0)
    expect(fx.rest.requests).toEqual([])
  })

  it('takes at most `limit` jobs a run, the oldest first, and never throws', async () => {
    const ids = []
    for (let i = 0; i < 3; i++) ids.push((await fx.jobs.run(abandonedMerge)).id)
    fx.rest.requests.length = 0
    expect(await sweepAbandoned(deps(), 2)).toBe(2)
    expect(writes().filter((r) => r.method === 'PATCH')).toHaveLength(2)
    expect((await fx.jobs.queue.listFailed(10, { without: SWEPT })).map((j) => j.id)).toEqual([ids[2]])
    expect(await sweepAbandoned(deps(), 2)).toBe(1)

    const broken: SweepDeps['queue'] = {
      listFailed: () => Promise.reject(new Error('database is locked')),
      saveFailedStep: () => Promise.reject(new Error('database is locked')),
    }
    expect(await sweepAbandoned(deps(broken))).toBe(0)
    expect(lines.at(-1)).toMatchObject({ level: 'warn', msg: 'recovery sweep: could not list the failed deliveries' })
  })

  it('does nothing more when a redelivery queued the job again while it was being swept', async () => {
    const failed = await fx.jobs.run(abandonedMerge)
    const requeued: SweepDeps['queue'] = {
      listFailed: (limit, options) => fx.jobs.queue.listFailed(limit, options),
      // What the queue answers once the job is no longer failed.
      saveFailedStep: async () => false,
    }
    fx.rest.requests.length = 0
    const d = deps(requeued)
    expect(await sweepAbandoned(d)).toBe(0)
    // The run was completed before the save found the job taken back; the label was left to the new run.
    expect(writes().map((r) => r.method)).toEqual(['PATCH'])
    expect(await swept(d.metrics)).toEqual({})
    expect((await fx.jobs.queue.inspect(failed.id))?.state).toBe('failed')
  })
})

/** A pull_request.labeled delivery (the merge label on #7 by a person), as GitHub sends it. */
const LABELED = {
  event: 'pull_request',
  body: readFileSync(join(PROJECT_ROOT, 'test/fixtures/events/pull_request.labeled.json'), 'utf8'),
}

/**
 * A job as an App from before the recovery sweep left it: its check runs saved as `{ id, url }` (no
 * `open`), its completions and the merge label it held not saved at all. `completed` runs were
 * created completed; the first `open` ones were left in_progress when the job died.
 */
function legacyJob(runs: { open: number; completed: number }) {
  return async (job: DeliveryJob) => {
    const api = octokitApi(standInOctokit(fx.rest.url), WHERE)
    for (let i = 0; i < runs.open + runs.completed; i++) {
      const output = { title: 'Running', summary: 'merging', text: 'r' }
      const created = await api.createCheckRun(
        i < runs.open
          ? { ...inProgress, output }
          : { name: 'kitty/merge-mission', head_sha: HEAD, status: 'completed', conclusion: 'success', output },
      )
      await job.saveStep(`check-run:kitty/merge-mission#${i}`, created)
    }
    throw new Error('the engine died mid-merge')
  }
}

describe('sweepAbandoned, on jobs recorded before the sweep', () => {
  it('asks GitHub for the status of each run, completes only the one still in_progress, takes the label off', async () => {
    const failed = await fx.jobs.run(legacyJob({ open: 1, completed: 1 }), LABELED)
    // Passed over by the first sweep, which did not know such runs: looked at again.
    expect(await fx.jobs.queue.saveFailedStep(failed.id, 'after-failure:swept', { outcome: 'nothing_owed' })).toBe(true)
    const [open, completed] = fx.rest.checkRuns
    fx.rest.requests.length = 0

    const d = deps()
    expect(await sweepAbandoned(d)).toBe(1)
    expect(fx.rest.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/octo-org/project/check-runs/${open!.id}`,
      `GET /repos/octo-org/project/check-runs/${completed!.id}`,
      `PATCH /repos/octo-org/project/check-runs/${open!.id}`,
      'DELETE /repos/octo-org/project/issues/7/labels/kitty:merge',
    ])
    expect(writes()[0]!.body).toMatchObject({ status: 'completed', conclusion: 'failure' })
    expect(fx.rest.checkRuns.map((r) => r.status)).toEqual(['completed', 'completed'])
    expect(await swept(d.metrics)).toEqual({ finished: 1 })
    expect((await fx.jobs.queue.inspect(failed.id))?.steps).toMatchObject({
      [SWEPT]: { outcome: 'finished' },
      [`after-failure:check-run-done:${open!.id}`]: null,
      [`after-failure:check-run-done:${completed!.id}`]: null,
      'after-failure:label-removed:7': null,
    })
    fx.rest.requests.length = 0
    expect(await sweepAbandoned(deps())).toBe(0)
    expect(fx.rest.requests).toEqual([])
  })

  it('writes nothing when GitHub says the runs are completed or gone, and gives up on a refused read', async () => {
    // Completed: the job got as far as its answers. No label: not a labeled delivery.
    const answered = await fx.jobs.run(legacyJob({ open: 0, completed: 1 }))
    // Its run deleted since (404), and its label already removed by the job itself.
    const gone = await fx.jobs.run(async (job) => {
      await job.saveStep('check-run:kitty/merge-mission#0', { id: 999_999, url: null })
      await job.saveStep('label:7#0', null)
      throw new Error('the reply failed for good')
    }, LABELED)
    fx.rest.requests.length = 0
    const d = deps()
    expect(await sweepAbandoned(d)).toBe(2)
    expect(writes()).toEqual([])
    expect(fx.rest.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/octo-org/project/check-runs/${fx.rest.checkRuns[0]!.id}`,
      'GET /repos/octo-org/project/check-runs/999999',
    ])
    expect(await swept(d.metrics)).toEqual({ nothing_owed: 2 })
    for (const job of [answered, gone])
      expect((await fx.jobs.queue.inspect(job.id))?.steps).toMatchObject({ [SWEPT]: { outcome: 'nothing_owed' } })

    const refused = await fx.jobs.run(legacyJob({ open: 1, completed: 0 }))
    const forbidden = basicError('Resource not accessible by integration', 403)
    fx.rest.fail(/^GET .*\/check-runs\/\d+$/, { status: 403, body: forbidden })
    fx.rest.requests.length = 0
    const r = deps()
    expect(await sweepAbandoned(r)).toBe(1)
    expect(writes()).toEqual([])
    expect(await swept(r.metrics)).toEqual({ gave_up: 1 })
    expect(fx.rest.checkRuns.at(-1)!.status).toBe('in_progress')
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringMatching(/GitHub refused to finish check run \d+ \(reading its status\)/),
    ])
    expect((await fx.jobs.queue.inspect(refused.id))?.steps).toMatchObject({ [SWEPT]: { outcome: 'gave_up' } })
  })

  it('a job of today: a run created completed is saved as not open and never read back', async () => {
    await fx.jobs.run(async (job) => {
      const output = { title: 'Done', summary: 's', text: 't' }
      const run = { ...inProgress, status: 'completed' as const, conclusion: 'success' as const, output }
      await standInAnswers(fx.rest.url, job).createCheckRun(run)
      throw new Error('the reply failed for good')
    }, LABELED)
    fx.rest.requests.length = 0
    expect(await sweepAbandoned(deps())).toBe(1)
    expect(fx.rest.requests).toEqual([])
  })
})

describe('startRecoverySweep', () => {
  it('sweeps at start, then every interval, until stopped', async () => {
    await fx.jobs.run(abandonedMerge)
    let listings = 0
    const counted: SweepDeps['queue'] = {
      listFailed: (limit, options) => (listings++, fx.jobs.queue.listFailed(limit, options)),
      saveFailedStep: (id, name, value) => fx.jobs.queue.saveFailedStep(id, name, value),
    }
    const stop = startRecoverySweep(deps(counted), 100)
    await until('swept at start', () => fx.rest.checkRuns.every((r) => r.status === 'completed'))
    const later = await fx.jobs.run(abandonedMerge)
    await until(
      'swept on the next period',
      async () => (await fx.jobs.queue.listFailed(10, { without: SWEPT })).length === 0,
    )
    await stop()
    const listed = listings
    const unswept = await fx.jobs.run(abandonedMerge)
    await sleep(400)
    expect(listings).toBe(listed)
    expect((await fx.jobs.queue.listFailed(10, { without: SWEPT })).map((j) => j.id)).toEqual([unswept.id])
    expect(later.id).not.toBe(unswept.id)
  })

  it('is off at 0, and its interval comes from KITTY_SWEEP_INTERVAL_MS', async () => {
    await fx.jobs.run(abandonedMerge)
    const untouchable: SweepDeps['queue'] = {
      listFailed: () => Promise.reject(new Error('must not be called')),
      saveFailedStep: () => Promise.reject(new Error('must not be called')),
    }
    const stop = startRecoverySweep(deps(untouchable), 0)
    await sleep(200)
    await stop()
    expect(lines).toEqual([])
    expect(sweepIntervalMs({})).toBe(DEFAULT_SWEEP_INTERVAL_MS)
    expect(sweepIntervalMs({ KITTY_SWEEP_INTERVAL_MS: '' })).toBe(DEFAULT_SWEEP_INTERVAL_MS)
    expect(sweepIntervalMs({ KITTY_SWEEP_INTERVAL_MS: '0' })).toBe(0)
    expect(sweepIntervalMs({ KITTY_SWEEP_INTERVAL_MS: '60000' })).toBe(60_000)
    for (const bad of ['-1', '1.5', 'soon', '86400001'])
      expect(() => sweepIntervalMs({ KITTY_SWEEP_INTERVAL_MS: bad })).toThrow(
        expect.objectContaining({ code: 'USAGE_ERROR', message: expect.stringContaining('KITTY_SWEEP_INTERVAL_MS') }),
      )
  })
})
