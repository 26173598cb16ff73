import { makeEnvelope, newCorrelationId } from '../core/envelope.ts'
import { KittyError } from '../core/errors.ts'
import { composeReply } from '../github/compose-reply.ts'
import { formatInlineCode } from '../github/escape-markdown.ts'
import type { GithubApi, OctokitLike } from '../github/github-api.ts'
import { describeApiError, octokitApi } from '../github/github-api.ts'
import type { EventResult, StepOutcome, StepRun } from '../github/handle-event.ts'
import { handleReadEvent, isRedelivery, publishesCheckRun } from '../github/handle-event.ts'
import { humanPolicy } from '../github/human-policy.ts'
import type { PlannedStep } from '../github/plan-event.ts'
import { actorOf } from '../github/plan-event.ts'
import type { ReadEvent, RepositoryRef } from '../github/read-event.ts'
import { isChat, readDelivery } from '../github/read-event.ts'
import { completedCheckRun, renderOutcome } from '../github/render-outcome.ts'
import type { ContextLocation, OpenedContext, SurfaceEnvironment } from '../surface/open-context.ts'
import { openContext } from '../surface/open-context.ts'
import { runCommandArgs } from '../surface/run-command-args.ts'
import type { AppMetrics } from './app-metrics.ts'
import { durableAnswers, ownMergeLabel } from './durable-answers.ts'
import type { DeliveryJob } from './queue/delivery-queue.ts'
import { DEFAULT_KEEP_FINISHED_MS } from './queue/delivery-queue.ts'
import type { ReplyBudget } from './reply-budget.ts'

/**
 * One verified webhook delivery → the shared routing (src/github) on the repository's remote → every
 * outcome answered on GitHub: a check run `kitty/<command>` on the pull request head carrying the
 * envelope (writes by people with write access only), a reaction on the comment, and a reply for
 * reads, refusals and failures.
 */

/** The subset of pino's Logger the App uses (Probot hands every handler one, bound to the delivery id). */
export interface LogLike {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  child(bindings: object): LogLike
}

export interface Delivery {
  /** X-GitHub-Delivery: the same id when GitHub (or a person) redelivers. */
  id: string
  name: string
  payload: unknown
  /** The installation's Octokit (REST, authenticated by Probot). */
  octokit: OctokitLike
  /** The installation's token for git on one repository; minted on first use, never stored on disk. */
  gitToken: (installationId: number, repository: string) => Promise<string>
  log: LogLike
  /** The queue's job this delivery runs as: answers are its durable steps. */
  job: DeliveryJob
}

/** Idempotency keys applied, remembered beyond git's fetch depth (the delivery queue's memory). */
export interface AppliedKeys {
  remember(key: string, ttlMs: number): Promise<void>
  seen(key: string): Promise<boolean>
}

export interface DeliveryServices {
  metrics: AppMetrics
  applied?: AppliedKeys | undefined
  /** The engine's environment (KITTY_CACHE_DIR, commit identity); never a token. */
  engineEnv: NodeJS.ProcessEnv
  cwd: string
  /** Limits the answers one non-writer causes per pull request; absent, nothing is limited. */
  replies?: ReplyBudget | undefined
}

const APP_POLICY = humanPolicy('kitty-github/app')

/** Commands that can outlast GitHub's 10 s delivery window: their check run shows progress at once. */
const LONG_COMMANDS = new Set(['merge-mission'])

/** The repository a delivery can run on: named, with a clone URL. */
type Runnable = RepositoryRef & { cloneUrl: string }

export async function handleDelivery(delivery: Delivery, services: DeliveryServices): Promise<void> {
  const correlationId = newCorrelationId()
  const log = delivery.log.child({ delivery: delivery.id, correlation_id: correlationId })
  const event = readDelivery(delivery.name, delivery.payload)
  const { intent } = event
  if (intent.kind === 'ignore') return log.info({ event: delivery.name }, `ignored: ${intent.reason}`)
  if (isChat(intent)) return log.info({ event: delivery.name }, 'ignored: a comment without a /kitty line')
  const repository = event.source.repository
  if (!repository?.cloneUrl)
    return log.warn(
      { event: delivery.name },
      'ignored: the payload names no repository (repository.owner.login, name, clone_url)',
    )
  const runnable: Runnable = { ...repository, cloneUrl: repository.cloneUrl }
  // The queue runs one repository's jobs one at a time, so the engine never waits on its own cache lock.
  const handled = await runDelivery(delivery, event, runnable, correlationId, log, services)
  if (handled) await publish(handled.api, handled.result, handled.inProgress, log, services, event, delivery.job)
}

interface Handled {
  api: GithubApi
  result: EventResult
  inProgress: Map<PlannedStep, number>
}

async function runDelivery(
  delivery: Delivery,
  event: ReadEvent,
  repository: Runnable,
  correlationId: string,
  log: LogLike,
  services: DeliveryServices,
): Promise<Handled | null> {
  const where = { owner: repository.owner, repo: repository.name }
  const api = durableAnswers(octokitApi(delivery.octokit, where), delivery.octokit, where, delivery.job, log)
  let token: Promise<string> | null = null
  const installation = event.source.installationId
  // Fetched only when git is about to be touched, held in memory only: never a URL, a file or a log field.
  const installationToken = () =>
    (token ??= (
      installation === null
        ? Promise.reject(new Error('the payload names no installation'))
        : delivery.gitToken(installation, repository.name)
    ).catch((err: unknown) => {
      throw new KittyError(
        'REMOTE_AUTH_FAILED',
        `Could not get an installation token for ${repository.fullName}: ${describeApiError(err)}. Nothing was changed.`,
      )
    }))
  const location = async (): Promise<ContextLocation> => ({
    remote: repository.cloneUrl,
    branch: repository.defaultBranch ?? undefined,
    token: await installationToken(),
  })
  const engineIo: SurfaceEnvironment = {
    env: services.engineEnv,
    cwd: services.cwd,
    onStateRetries: (n) => services.metrics.stateRetries.inc(n),
  }
  const inProgress = new Map<PlannedStep, number>()

  // One engine context for the whole delivery: the settings and every command read the same fetch of
  // the default branch, under one hold of the cache lock (the queue gives this delivery the repository).
  let session: Promise<OpenedContext> | null = null
  const context = async () => (await (session ??= location().then((w) => openContext(w, engineIo, correlationId)))).ctx
  let result: EventResult
  try {
    result = await handleReadEvent(event, {
      api,
      // The state branch is the default branch, so its tip's .github/kitty.yml is the only settings file read.
      readConfig: async () => {
        const { config } = await context()
        const { intent } = event
        // The label is now known to be the merge label: the job answers for taking it off again.
        if (intent.kind === 'merge-label' && intent.label === config.merge.label)
          await ownMergeLabel(delivery.job, intent.pull.number, intent.label)
        return config
      },
      run: async (command, args, idempotencyKey) => {
        const stop = services.metrics.duration.startTimer({ command })
        // Comment lines and reviews carry their own key (comment id + line, review id); the delivery id covers the rest.
        const key = idempotencyKey ?? `github-delivery:${delivery.id}`
        if (await services.applied?.seen(key)) return alreadyApplied(command, key, correlationId)
        const ctx = { ...(await context()), idempotencyKey: key }
        const ran = await runCommandArgs(command, args, await location(), engineIo, correlationId, ctx)
        if (ran.commit !== null) await services.applied?.remember(key, DEFAULT_KEEP_FINISHED_MS)
        const seconds = stop()
        const line = { command, duration_ms: Math.round(seconds * 1000), success: ran.envelope.success }
        if (ran.envelope.success) log.info(line, `engine: ${command} done`)
        else log.warn({ ...line, outcome: ran.envelope.error_code }, `engine: ${command} failed`)
        return ran
      },
      policyJson: APP_POLICY,
      correlationId: () => correlationId,
      warn: (message) => log.warn({}, message),
      starting: async (step, pull) => {
        if (!LONG_COMMANDS.has(step.command) || !pull?.headSha) return
        try {
          const created = await api.createCheckRun({
            name: `kitty/${step.command}`,
            head_sha: pull.headSha,
            status: 'in_progress',
            output: {
              title: 'Running',
              // The label is the commenter's line: shown as code, where nothing in it is live.
              summary: `${formatInlineCode(step.label)}: running on the state branch; this check run completes with the envelope.`,
            },
          })
          if (created.id !== null) inProgress.set(step, created.id)
        } catch (err) {
          log.warn({ command: step.command }, `could not open the in_progress check run: ${describeApiError(err)}`)
        }
      },
    })
  } catch (err) {
    // handleEvent answers every expected failure with an envelope; this is a bug or a token failure.
    log.error({ err: { message: describeApiError(err) } }, 'the delivery failed before any command ran')
    services.metrics.commands.inc({ command: 'unknown', outcome: 'INTERNAL_ERROR' })
    // Thrown on: the queue retries the job with backoff, its saved steps keeping what already landed.
    throw err
  } finally {
    const held = session as Promise<OpenedContext> | null
    if (held)
      await held.then(
        (s) => s.release(),
        () => undefined,
      )
  }
  if (result.skipped) {
    log.info({ event: delivery.name }, `nothing to do: ${result.skipped}`)
    return null
  }
  // Counted as they run, not as their (paced) answers go out: a lost answer is still a command that ran.
  for (const { envelope, step } of result.outcomes)
    services.metrics.commands.inc({ command: step.command, outcome: outcomeLabel(envelope) })
  return { api, result, inProgress }
}

async function publish(
  api: GithubApi,
  result: EventResult,
  inProgress: Map<PlannedStep, number>,
  log: LogLike,
  services: DeliveryServices,
  event: ReadEvent,
  job: DeliveryJob,
): Promise<void> {
  const headSha = result.pull?.headSha ?? null
  // A retry finds its own commits applied (a redelivery outcome) and still owes the answers an earlier
  // attempt did not get to; the saved steps skip the ones it did.
  const retry = job.attempt > 1
  const owed = (o: StepOutcome) =>
    publishesCheckRun(o) || (retry && isRedelivery(o) && o.step.kind === 'run' && o.step.access === 'write')
  const answered: StepOutcome[] = []
  for (const outcome of result.outcomes) {
    const { envelope, step } = outcome
    const label = outcomeLabel(envelope)
    const rendered = renderOutcome({
      command: step.command,
      envelope,
      label: step.label,
      commit: outcome.commit,
      board: outcome.board,
    })
    // A review on a branch that names no WP is an ordinary code review: kitty stays silent about it.
    const quiet = step.kind === 'refuse' && step.quiet
    const line = { command: step.command, outcome: label, commit: outcome.commit }
    if (envelope.success || quiet) log.info(line, `kitty/${step.command}: ${rendered.checkRun.title}`)
    else log.warn(line, `kitty/${step.command}: ${rendered.checkRun.title}`)
    if (quiet) continue
    answered.push(outcome)
    const open = inProgress.get(step)
    // An in_progress check run is completed whatever happened; a new one only for a writer's write.
    if (!headSha || (open === undefined && !owed(outcome))) continue
    const { name, head_sha: _, ...completed } = completedCheckRun(rendered, headSha)
    try {
      const id = open ?? (await api.createCheckRun({ name, head_sha: headSha, ...completed })).id
      if (open !== undefined) await api.updateCheckRun(open, completed)
      log.info({ command: step.command, check_run_id: id }, `published check run ${name}`)
    } catch (err) {
      services.metrics.answersFailed.inc({ kind: 'check_run' })
      giveUpOrRetry(err, log, `could not publish the check run ${name}`)
    }
  }
  // A /kitty line on an issue (not a pull request) has no pull, but its author still gets the answer.
  const number = result.pull?.number ?? (result.intent.kind === 'unroutable' ? event.source.issueNumber : null)
  if (number === null) return
  if (!withinBudget(result, event, number, services, job.delivery.id)) {
    log.info({ event: event.name }, `not answered: reply limit reached for this person on #${number}`)
    return
  }
  const reply = composeReply(answered)
  if (reply !== null)
    await api.createComment(number, reply).then(
      () => log.info({ reply_to: number }, `published reply on #${number}`),
      (err: unknown) => {
        services.metrics.answersFailed.inc({ kind: 'reply' })
        giveUpOrRetry(err, log, `could not reply on #${number}`)
      },
    )
  // A redelivery that changed nothing was acknowledged the first time (unless that time was cut short).
  if (result.intent.kind === 'comment' && (retry || !result.outcomes.every(isRedelivery))) {
    const ok = result.outcomes.every((o) => o.envelope.success)
    const content = ok ? '+1' : 'confused'
    await api.addReaction(result.intent.commentId, content).then(
      () => log.info({ reaction: content }, `published reaction ${content}`),
      (err: unknown) => {
        services.metrics.answersFailed.inc({ kind: 'reaction' })
        log.warn({}, `could not react to the comment: ${describeApiError(err)}`)
      },
    )
  }
}

/** A command's outcome as a metric label and log field: success, or the envelope's error code. */
function outcomeLabel(envelope: { success: boolean; error_code?: string | null | undefined }): string {
  return envelope.success ? 'success' : (envelope.error_code ?? 'UNKNOWN')
}

/**
 * A refusal from GitHub (4xx) will not change on a retry: log it and go on. A server error or a
 * connection that failed is thrown, so the queue runs the job again and the answer still lands.
 */
function giveUpOrRetry(err: unknown, log: LogLike, what: string): void {
  const status = (err as { status?: unknown } | null)?.status
  if (typeof status === 'number' && status >= 400 && status < 500)
    return log.warn({ status }, `${what}: ${describeApiError(err)}`)
  throw err
}

/**
 * A key the queue remembers as applied, however many state commits came since (git's trailer scan
 * stops at the fetch depth): the same no-op a redelivery found on the branch would give.
 */
function alreadyApplied(command: string, key: string, correlationId: string): StepRun {
  const data = { no_op: true, duplicate: true, duplicate_of: 'remembered by the delivery queue', idempotency_key: key }
  return { envelope: makeEnvelope(command, true, data, null, { correlationId }), commit: null }
}

/** Whether an answer caused by someone who ran no write (a non-writer, or anyone reading) still fits. */
function withinBudget(
  result: EventResult,
  event: ReadEvent,
  number: number,
  services: DeliveryServices,
  deliveryId: string,
): boolean {
  const actor = actorOf(result.intent)
  if (!services.replies || actor === null) return true
  if (result.outcomes.some(publishesCheckRun)) return true
  // By delivery too: each retry of one delivery would otherwise spend the person's budget again.
  const key = `${event.source.repository?.fullName ?? '?'}#${number}:${actor.toLowerCase()}`
  return services.replies.take(key, deliveryId)
}
