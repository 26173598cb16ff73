import { setTimeout as sleep } from 'node:timers/promises'
import type { Probot } from 'probot'
import { wholeNumberSetting } from './read-setting.ts'
import { formatInlineCode } from '../github/escape-markdown.ts'
import type { CheckRunUpdate, GithubApi, OctokitLike, RepoName } from '../github/github-api.ts'
import { describeApiError, octokitApi } from '../github/github-api.ts'
import { readDelivery } from '../github/read-event.ts'
import type { AppMetrics } from './app-metrics.ts'
import type { LabeledPull, OwedAnswers } from './durable-answers.ts'
import { owedAnswers, SWEPT_STEPS } from './durable-answers.ts'
import type { LogLike } from './handle-delivery.ts'
import type { Delivery, DeliveryQueue, FailedJob } from './queue/delivery-queue.ts'
import { AFTER_FAILURE, failureReason } from './queue/delivery-queue.ts'
import { readCheckRunStatus } from './read-check-run-status.ts'

/**
 * The recovery sweep. A job that failed for good can leave its answers half-given: its last attempt
 * threw before publishing, or was cut short by a crash (the queue then marks it failed without running
 * it again, so nothing of the App's ever finishes it). A check run opened `in_progress` stays so
 * forever (GitHub never times one out) and the merge label stays on. The sweep reads each failed job's
 * saved steps (durable-answers.ts `owedAnswers`: only what the job itself opened or took on) and
 * finishes them: the run completed as a failure that says how to redeliver, the label removed. Each
 * thing done is saved on the job, and the job is marked swept last, so the next sweep, here or on
 * another replica, does nothing more; a redelivery queues the job again and forgets those marks.
 *
 * A job recorded by an App from before the sweep saved its check runs without saying whether it opened
 * them `in_progress`, and never its merge label: the sweep asks GitHub for each such run's status and
 * completes only one still open, and takes the label from the delivery (durable-answers.ts).
 */

/**
 * The mark of a swept job (listFailed skips jobs that carry it). `:2`: the first sweep marked the jobs
 * from before it (`swept`) without looking at their runs, so each failed job is looked at once more;
 * what that sweep finished is saved as done and is not done again.
 */
export const SWEPT = `${AFTER_FAILURE}swept:2`
/** Jobs looked at per run: one run stays short whatever the backlog; the next run takes the rest. */
export const SWEEP_BATCH = 20
export const DEFAULT_SWEEP_INTERVAL_MS = 5 * 60_000

export type SweepOutcome = 'finished' | 'nothing_owed' | 'gave_up'

export interface SweepDeps {
  queue: Pick<DeliveryQueue, 'listFailed' | 'saveFailedStep'>
  /** The installation's REST client (`probot.auth(installationId)`), whose throttle paces the writes. */
  installation(installationId: number): Promise<OctokitLike>
  log: LogLike
  metrics?: Pick<AppMetrics, 'sweptJobs'> | undefined
}

/** KITTY_SWEEP_INTERVAL_MS: how often the sweep runs (and whether: 0 turns it off, at start too). */
export function sweepIntervalMs(env: NodeJS.ProcessEnv): number {
  const range = { min: 0, max: 86_400_000 }
  const described = 'a whole number of milliseconds from 0 (off) to 86400000'
  return wholeNumberSetting(env, 'KITTY_SWEEP_INTERVAL_MS', DEFAULT_SWEEP_INTERVAL_MS, range, described)
}

/** The App's: REST through `probot.auth(installationId)` (its throttle per installation), Probot's log. */
export function recoverySweepDeps(
  probot: Probot,
  queue: SweepDeps['queue'],
  metrics?: SweepDeps['metrics'],
): SweepDeps {
  return {
    queue,
    installation: async (id) => (await probot.auth(id)) as unknown as OctokitLike,
    log: probot.log as unknown as LogLike,
    metrics,
  }
}

/**
 * Sweep once at start (after a crash, the jobs the queue has just failed) and then every `intervalMs`,
 * one run at a time. The returned function stops it and waits, at most `waitMs`, for a run under way,
 * which stops between two jobs.
 */
export function startRecoverySweep(deps: SweepDeps, intervalMs: number): (waitMs?: number) => Promise<void> {
  if (intervalMs <= 0) return async () => {}
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> = Promise.resolve()
  const run = () => {
    if (stopped) return
    running = sweepAbandoned(deps, SWEEP_BATCH, () => stopped).finally(() => {
      if (stopped) return
      timer = setTimeout(run, intervalMs)
      // The sweep alone never keeps the process alive.
      timer.unref()
    })
  }
  run()
  return async (waitMs = Number.POSITIVE_INFINITY) => {
    stopped = true
    clearTimeout(timer)
    const bound = Number.isFinite(waitMs) ? sleep(waitMs, undefined, { ref: false }) : new Promise(() => {})
    await Promise.race([running, bound])
  }
}

/** One run: up to `limit` failed, unswept jobs. Never throws; a job it cannot finish now is logged and left for the next run. */
export async function sweepAbandoned(deps: SweepDeps, limit = SWEEP_BATCH, stopped = () => false): Promise<number> {
  let jobs: FailedJob[]
  try {
    jobs = await deps.queue.listFailed(limit, { without: SWEPT })
  } catch (err) {
    deps.log.warn({ reason: failureReason(err) }, 'recovery sweep: could not list the failed deliveries')
    return 0
  }
  let swept = 0
  for (const job of jobs) {
    if (stopped()) break
    const log = deps.log.child({ delivery: job.id })
    try {
      const outcome = await sweepJob(job, deps, log)
      if (outcome === null) continue
      swept++
      deps.metrics?.sweptJobs.inc({ outcome })
    } catch (err) {
      log.warn(
        { reason: failureReason(err) },
        'recovery sweep: could not finish the answers; the next sweep tries again',
      )
    }
  }
  return swept
}

/** A job's answers finished and the job marked swept; null when a redelivery took the job back meanwhile. */
async function sweepJob(job: FailedJob, deps: SweepDeps, log: LogLike): Promise<SweepOutcome | null> {
  const owed = owedAnswers(job.steps, () => labeledPull(job.delivery))
  let outcome: SweepOutcome = 'nothing_owed'
  if (owed.openRuns.length > 0 || owed.unsureRuns.length > 0 || owed.labels.length > 0) {
    const client = await installationClient(job, deps)
    const finished = client ? await finishAnswers(job, client, owed, deps, log) : 'gave_up'
    if (finished === null) return null
    if (!client) log.warn({}, 'recovery sweep: the delivery names no repository or installation to answer on')
    outcome = finished
  }
  const marked = await deps.queue.saveFailedStep(job.id, SWEPT, { at: new Date().toISOString(), outcome })
  return marked ? outcome : null
}

/** The pull request and label of a `pull_request.labeled` delivery by a person; null for anything else. */
function labeledPull(delivery: Delivery): LabeledPull | null {
  let payload: unknown
  try {
    payload = JSON.parse(delivery.body)
  } catch {
    return null
  }
  const { intent } = readDelivery(delivery.event, payload)
  return intent.kind === 'merge-label' && !intent.bot ? { number: intent.pull.number, label: intent.label } : null
}

interface InstallationClient {
  api: GithubApi
  octokit: OctokitLike
  where: RepoName
}

async function installationClient(job: FailedJob, deps: SweepDeps): Promise<InstallationClient | null> {
  const { installationId, repository } = job.delivery
  const [owner, repo] = repository?.split('/') ?? []
  if (installationId === undefined || !owner || !repo) return null
  const where: RepoName = { owner, repo }
  const octokit = await deps.installation(installationId)
  return { api: octokitApi(octokit, where), octokit, where }
}

/**
 * Each owed answer, saved as done once done. `finished` when all were (and something was written),
 * `nothing_owed` when GitHub showed nothing was left to do, `gave_up` when GitHub refused one for good,
 * null when the job stopped being failed (a redelivery queued it again: its run answers now).
 */
async function finishAnswers(
  job: FailedJob,
  client: InstallationClient,
  owed: OwedAnswers,
  deps: SweepDeps,
  log: LogLike,
): Promise<SweepOutcome | null> {
  let all = true
  let wrote = false
  const save = (name: string) => deps.queue.saveFailedStep(job.id, `${AFTER_FAILURE}${name}`, null)
  const stillOpen = await openOfUnsure(client, owed.unsureRuns, log)
  for (const id of stillOpen.closed) if (!(await save(SWEPT_STEPS.runDone(id)))) return null
  all &&= stillOpen.refused === 0
  for (const id of [...owed.openRuns, ...stillOpen.open]) {
    const done = await landed(log, `check run ${id}`, () => client.api.updateCheckRun(id, failedRun(job)))
    if (done) log.info({ check_run_id: id }, `recovery sweep: completed check run ${id} as failed`)
    all &&= done
    wrote ||= done
    if (done && !(await save(SWEPT_STEPS.runDone(id)))) return null
  }
  for (const { number, label } of owed.labels) {
    // Already gone (someone took it off) is as good as removed.
    const remove = () => client.api.removeLabel(number, label)
    const done = await landed(log, `the label '${label}' on #${number}`, remove, 404)
    if (done) log.info({ issue: number, label }, `recovery sweep: removed the label '${label}' from #${number}`)
    all &&= done
    wrote ||= done
    if (done && !(await save(SWEPT_STEPS.labelRemoved(number)))) return null
  }
  if (!all) return 'gave_up'
  return wrote ? 'finished' : 'nothing_owed'
}

/**
 * The runs of `unsure` GitHub says are still open (to complete), and those it says are completed or
 * gone (nothing owed): never a completion written over one that has its outcome. A refused read counts
 * as given up, like a refused write.
 */
async function openOfUnsure(
  client: InstallationClient,
  unsure: number[],
  log: LogLike,
): Promise<{ open: number[]; closed: number[]; refused: number }> {
  const sorted = { open: [] as number[], closed: [] as number[], refused: 0 }
  for (const id of unsure) {
    const read = () => readCheckRunStatus(client.octokit, client.where, id)
    const status = await unlessRefused(log, `check run ${id} (reading its status)`, read)
    if (status === REFUSED) sorted.refused++
    else if (status === null || status === 'completed') sorted.closed.push(id)
    else sorted.open.push(id)
  }
  return sorted
}

/** What a call GitHub refused for good answers (the warning is logged). */
const REFUSED = Symbol('refused')

/**
 * Run a call; what it returned (undefined when GitHub answered `okStatus`), or REFUSED when GitHub
 * refused it (a 4xx: the App uninstalled, the run gone; no later sweep changes that). A server error or
 * a failed connection is thrown: the job stays unswept and the next run tries again.
 */
async function unlessRefused<T>(
  log: LogLike,
  what: string,
  call: () => Promise<T>,
  okStatus?: number,
): Promise<T | undefined | typeof REFUSED> {
  try {
    return await call()
  } catch (err) {
    const status = (err as { status?: unknown } | null)?.status
    if (typeof status !== 'number' || status < 400 || status >= 500) throw err
    if (status === okStatus) return undefined
    log.warn({ status }, `recovery sweep: GitHub refused to finish ${what}: ${describeApiError(err)}`)
    return REFUSED
  }
}

/** A write through unlessRefused: true when it landed (or was as good as landed), false when refused. */
async function landed(log: LogLike, what: string, write: () => Promise<void>, okStatus?: number): Promise<boolean> {
  return (await unlessRefused(log, what, write, okStatus)) !== REFUSED
}

/** The failure a stuck run is completed with: what happened and how to try again. */
function failedRun(job: FailedJob): CheckRunUpdate {
  const attempts = job.attempts === 1 ? '1 attempt' : `${job.attempts} attempts`
  return {
    status: 'completed',
    conclusion: 'failure',
    output: {
      title: `Delivery failed after ${attempts}`,
      summary:
        `kitty gave up on delivery ${formatInlineCode(job.id)} after ${attempts}, before this check run was ` +
        'completed. A state change either landed whole or not at all: the state branch shows which. To try ' +
        "again, redeliver it (the App's settings → Advanced → Recent Deliveries → this delivery → Redeliver); " +
        'a change that already landed is answered "already applied".',
      text: `Last failure: ${formatInlineCode(job.reason ?? 'unknown')}`,
    },
  }
}
