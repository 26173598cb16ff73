import { MAX_COMMENT_CHARS } from '../github/compose-reply.ts'
import type { CheckRunRequest, GithubApi, OctokitLike, RepoName } from '../github/github-api.ts'
import type { LogLike } from './handle-delivery.ts'
import type { DeliveryJob, SavedSteps } from './queue/delivery-queue.ts'
import { AFTER_FAILURE } from './queue/delivery-queue.ts'
import { runStep } from './queue/run-step.ts'

/**
 * The App's answers as durable steps of the delivery's job: each write to GitHub is saved once it is
 * made, so the retry of a job cut short (a crash, a failed publish) skips what already landed instead
 * of answering twice. A write can land and its save be lost (a crash between the two), so a retry
 * looks before it writes again: a check run carries `external_id` = delivery id + its step and is
 * looked for on the head commit; a reply carries a hidden marker with the same and is looked for among
 * all the issue's comments since the delivery arrived.
 *
 * The saved steps are also what a job owes when it fails for good (sweep-abandoned.ts reads them back
 * through `owedAnswers`): a check run opened `in_progress` and never completed, a merge label it took
 * on and never removed.
 */

interface SavedRun {
  id: number | null
  url: string | null
  /**
   * Opened `in_progress` (true): someone owes it a completion (the recovery sweep, if the job never gets
   * to). Absent on runs saved by an App from before the sweep: those are `unsureRuns`.
   */
  open?: boolean
}

interface ListedRun {
  id?: unknown
  html_url?: unknown
  external_id?: unknown
}

/** The step names, one place for the writer here and the reader (owedAnswers). */
const doneStep = (runId: number) => `check-run-done:${runId}`
const mergeLabelStep = (number: number) => `merge-label:${number}`

const PER_PAGE = 100
/**
 * The most pages of issue comments read when looking for a reply an earlier attempt posted: 2,600
 * comments, more than an issue can hold (GitHub refuses comments on an issue past 2,500, "Commenting is
 * disabled on issues with more than 2500 comments"). The look reads every page since the delivery, so
 * this bound is only a guard against an API that stops keeping to that; reaching it is logged.
 */
export const REPLY_PAGE_LIMIT = 26

/** GET /commits/{ref}/check-runs filters by name only; the external_id is matched here. */
async function findCheckRun(
  octokit: OctokitLike,
  where: RepoName,
  run: CheckRunRequest,
  externalId: string,
): Promise<SavedRun | null> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
    ...where,
    ref: run.head_sha,
    check_name: run.name,
    filter: 'all',
    per_page: 100,
  })
  const runs = ((data as { check_runs?: ListedRun[] } | null)?.check_runs ?? []) as ListedRun[]
  const found = runs.find((r) => r.external_id === externalId && typeof r.id === 'number')
  if (!found) return null
  return { id: found.id as number, url: typeof found.html_url === 'string' ? found.html_url : null }
}

/**
 * The hidden line that names a reply's delivery and step. The id is the X-GitHub-Delivery header,
 * checked at receipt to [A-Za-z0-9._:-]; anything else is replaced all the same, so no text of a
 * sender's can end the HTML comment (`-->` needs a `>`) or add to it.
 */
export function replyMarker(deliveryId: string, step: string): string {
  return `<!-- kitty-delivery: ${`${deliveryId}/${step}`.replace(/[^A-Za-z0-9._:#/-]/g, '_')} -->`
}

function withMarker(body: string, marker: string): string {
  return `${body.slice(0, MAX_COMMENT_CHARS - marker.length - 2)}\n\n${marker}`
}

interface ListedComment {
  body?: unknown
  created_at?: unknown
}

/**
 * The last page's number, from a Link header: its rel="last" (GitHub sends it on every page but the
 * last); `page` itself when there is no rel="next" either (the last page, or the only one); null when
 * the header names a next page but not the last.
 */
function lastPage(headers: Record<string, unknown> | undefined, page: number): number | null {
  const link = typeof headers?.['link'] === 'string' ? headers['link'] : ''
  const targets = new Map<string, string>()
  for (const part of link.split(',')) {
    const m = /^\s*<([^>]*)>\s*;\s*rel="([a-z]+)"\s*$/.exec(part)
    if (m && !targets.has(m[2]!)) targets.set(m[2]!, m[1]!)
  }
  const last = targets.get('last')
  if (last === undefined) return targets.has('next') ? null : page
  const number = Number(URL.canParse(last) ? new URL(last).searchParams.get('page') : Number.NaN)
  return Number.isSafeInteger(number) && number >= 1 ? number : null
}

/** When the comment was created (epoch ms); NaN when it does not say, which no window excludes. */
const created = (c: ListedComment | null): number =>
  typeof c?.created_at === 'string' ? Date.parse(c.created_at) : Number.NaN

/**
 * Whether a comment carrying `marker`, created since the delivery arrived (less a minute of clock
 * skew), is on the issue. GitHub lists an issue's comments by ascending id (creation) in numbered pages
 * and has no other order or cursor, so a comment deleted while the list is read shifts every later one
 * a place back. Read forwards, that skips the comment that crossed a page boundary, which could be the
 * reply. Read backwards (the last page first), a deletion shows one comment twice and hides none, and
 * new comments only add to the end. So: page 1 (most issues have one page, and it tells how many there
 * are), then from the last page back until a page starts before the delivery, page 1 again included,
 * at most REPLY_PAGE_LIMIT pages in all. Past that (an issue longer than GitHub allows) the reply is
 * taken as not posted: a second reply is a smaller harm than none.
 */
async function hasReply(
  octokit: OctokitLike,
  where: RepoName,
  issueNumber: number,
  marker: string,
  receivedAt: number,
  log: LogLike,
): Promise<boolean> {
  const since = receivedAt - 60_000
  const read = async (page: number) => {
    const { data, headers } = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...where,
      issue_number: issueNumber,
      per_page: PER_PAGE,
      page,
    })
    const comments = (Array.isArray(data) ? data : []) as Array<ListedComment | null>
    return {
      found: comments.some((c) => typeof c?.body === 'string' && c.body.includes(marker) && !(created(c) < since)),
      // Comments older than the window start on this page: every earlier page is older still.
      startsBefore: comments.length > 0 && created(comments[0]!) < since,
      last: comments.length < PER_PAGE ? page : lastPage(headers, page),
    }
  }
  const first = await read(1)
  if (first.found) return true
  if (first.last === 1) return false
  // GitHub names the last page; from an API that does not, the look starts as far back as it may go.
  const newest = first.last ?? REPLY_PAGE_LIMIT
  const oldest = Math.max(1, newest - (REPLY_PAGE_LIMIT - 2))
  for (let page = newest; page >= oldest; page--) {
    const { found, startsBefore } = await read(page)
    if (found) return true
    if (startsBefore) return false
  }
  if (oldest === 1) return false
  log.warn(
    { issue: issueNumber, pages: REPLY_PAGE_LIMIT, per_page: PER_PAGE, since: new Date(since).toISOString() },
    `reply lookup: #${issueNumber} has more comments since the delivery than ${REPLY_PAGE_LIMIT} pages hold; ` +
      'an earlier reply past them is not seen, so this one may be a second',
  )
  return false
}

/**
 * Record that this job took the merge label of #number on itself (the label is a button the job pops
 * back up): if the job fails for good before removing it, the recovery sweep does.
 */
export async function ownMergeLabel(job: DeliveryJob, number: number, label: string): Promise<void> {
  await runStep(job, mergeLabelStep(number), async () => label)
}

export interface LabeledPull {
  number: number
  label: string
}

export interface OwedAnswers {
  /** Check runs the job opened `in_progress` and nobody completed. */
  openRuns: number[]
  /**
   * Check runs saved by an App from before runs carried `open` (before the recovery sweep) and not
   * completed as far as the job knows (that App saved no completion either): opened `in_progress` or
   * created completed, the steps cannot say. GitHub can: the sweep reads each one's status first.
   */
  unsureRuns: number[]
  /** Merge labels the job took on (or, recorded before that was saved, evidently held) and nobody removed. */
  labels: LabeledPull[]
}

/** The names the recovery sweep saves what it finished under (behind AFTER_FAILURE): the job's own, where one has a single name. */
export const SWEPT_STEPS = {
  runDone: doneStep,
  /** The job's own removals are counted (`label:<n>#k`); the sweep's has one name. */
  labelRemoved: (number: number) => `label-removed:${number}`,
}

/** Done by the job itself, or by the sweep after it failed for good. */
function done(steps: SavedSteps, name: string): boolean {
  return Object.hasOwn(steps, name) || Object.hasOwn(steps, `${AFTER_FAILURE}${name}`)
}

/** The check runs a job saved and nobody completed, by whether it said it opened them `in_progress`. */
function uncompletedRuns(steps: SavedSteps): Array<{ id: number; open: boolean | undefined }> {
  return Object.keys(steps).flatMap((name) => {
    const run = steps[name] as Partial<SavedRun> | null
    if (!name.startsWith('check-run:') || typeof run?.id !== 'number' || done(steps, doneStep(run.id))) return []
    return [{ id: run.id, open: typeof run.open === 'boolean' ? run.open : undefined }]
  })
}

function labelRemoved(steps: SavedSteps, number: number): boolean {
  return (
    Object.keys(steps).some((s) => s.startsWith(`label:${number}#`)) || done(steps, SWEPT_STEPS.labelRemoved(number))
  )
}

/**
 * The merge label a job from before label ownership holds, if it does. Such a job saved no
 * `merge-label:` step, but a check run saved for a `pull_request.labeled` delivery says the label was
 * the merge label: only merge-mission, run for that label alone, publishes one there. `labeled` reads
 * the delivery, and only for such a job.
 */
function legacyLabel(steps: SavedSteps, labeled: () => LabeledPull | null): LabeledPull | null {
  const names = Object.keys(steps)
  if (names.some((name) => name.startsWith('merge-label:'))) return null
  const legacyRun = names.some((name) => {
    const run = steps[name] as Partial<SavedRun> | null
    return name.startsWith('check-run:') && typeof run?.id === 'number' && !Object.hasOwn(run, 'open')
  })
  return legacyRun ? labeled() : null
}

/**
 * What a job's saved steps say it still owes GitHub: only what it saved, never a run it did not open.
 * `labeled`: the pull request and label a `pull_request.labeled` delivery names (null for any other),
 * read only for a job recorded before jobs saved the merge label they took on.
 */
export function owedAnswers(steps: SavedSteps, labeled: () => LabeledPull | null = () => null): OwedAnswers {
  const runs = uncompletedRuns(steps)
  const labels = Object.keys(steps).flatMap((name) => {
    const number = Number(/^merge-label:(\d+)$/.exec(name)?.[1] ?? Number.NaN)
    const label = steps[name]
    if (!Number.isSafeInteger(number) || typeof label !== 'string') return []
    return labelRemoved(steps, number) ? [] : [{ number, label }]
  })
  const legacy = legacyLabel(steps, labeled)
  if (legacy && !labelRemoved(steps, legacy.number)) labels.push(legacy)
  return {
    openRuns: runs.filter((r) => r.open === true).map((r) => r.id),
    unsureRuns: runs.filter((r) => r.open === undefined).map((r) => r.id),
    labels,
  }
}

export function durableAnswers(
  api: GithubApi,
  octokit: OctokitLike,
  where: RepoName,
  job: DeliveryJob,
  log: LogLike,
): GithubApi {
  // The same plan makes the same calls in the same order on every attempt, so a count names each one.
  const counts = new Map<string, number>()
  const stepName = (kind: string) => {
    const n = counts.get(kind) ?? 0
    counts.set(kind, n + 1)
    return `${kind}#${n}`
  }
  // An earlier run may have written without saving: a retry, or a failed job an operator redelivered
  // (its attempts count from 1 again, its steps are kept). Taken before this run saves anything.
  const resumed = job.attempt > 1 || Object.keys(job.steps).length > 0
  // Saved either way: a run without `open` is one from an App that did not say (owedAnswers' unsureRuns).
  const open = (run: CheckRunRequest, saved: SavedRun): SavedRun => ({
    ...saved,
    open: run.status === 'in_progress' && saved.id !== null,
  })
  return {
    ...api,
    async createCheckRun(run) {
      const name = stepName(`check-run:${run.name}`)
      const externalId = `${job.delivery.id}/${name}`.slice(0, 200)
      return runStep<SavedRun>(job, name, async () => {
        const earlier = resumed ? await findCheckRun(octokit, where, run, externalId) : null
        if (!earlier) return open(run, await api.createCheckRun({ ...run, external_id: externalId }))
        // Created by an attempt that died before saving it: bring it to this attempt's state.
        if (earlier.id !== null) {
          const { name: _, head_sha: __, ...rest } = run
          await api.updateCheckRun(earlier.id, rest)
        }
        return open(run, earlier)
      })
    },
    async updateCheckRun(id, run) {
      if (run.status !== 'completed') return api.updateCheckRun(id, run)
      // Completed once is completed: a retry, which finds its change applied, must not overwrite the
      // outcome with "already applied".
      await runStep(job, doneStep(id), () => api.updateCheckRun(id, run))
    },
    async createComment(issueNumber, body) {
      const name = stepName(`reply:${issueNumber}`)
      const marker = replyMarker(job.delivery.id, name)
      await runStep(job, name, async () => {
        // An attempt that died between posting and saving left its reply on the issue: not a second one.
        const { receivedAt } = job.delivery
        if (resumed && (await hasReply(octokit, where, issueNumber, marker, receivedAt, log))) return
        await api.createComment(issueNumber, withMarker(body, marker))
      })
    },
    async addReaction(commentId, content) {
      await runStep(job, stepName(`reaction:${commentId}`), () => api.addReaction(commentId, content))
    },
    async removeLabel(issueNumber, label) {
      await runStep(job, stepName(`label:${issueNumber}`), () => api.removeLabel(issueNumber, label))
    },
  }
}
