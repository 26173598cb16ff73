import { newCorrelationId } from '../core/envelope.ts'
import { KittyError } from '../core/errors.ts'
import { DEFAULT_CONFIG } from '../engine/config/config.ts'
import { composeReply } from '../github/compose-reply.ts'
import { formatInlineCode } from '../github/escape-markdown.ts'
import type { GithubApi, OctokitLike } from '../github/github-api.ts'
import { describeApiError, octokitApi } from '../github/github-api.ts'
import type { EventResult, StepOutcome } from '../github/handle-event.ts'
import { handleEvent } from '../github/handle-event.ts'
import { humanPolicy } from '../github/human-policy.ts'
import { parseComment } from '../github/parse-comment.ts'
import type { PlannedStep } from '../github/plan-event.ts'
import { readEvent } from '../github/read-event.ts'
import { renderOutcome } from '../github/render-outcome.ts'
import type { ContextLocation, OpenedContext, SurfaceEnvironment } from '../surface/open-context.ts'
import { openContext } from '../surface/open-context.ts'
import { runCommandArgs } from '../surface/run-command-args.ts'
import type { AppMetrics } from './app-metrics.ts'
import type { RepoQueue } from './repo-queue.ts'

/**
 * One verified webhook delivery → the shared routing (src/github) on the repository's remote → every
 * outcome answered on GitHub: a check run `kitty/<command>` on the pull request head carrying the
 * envelope, a reaction on the comment, and a reply for reads, refusals and failures.
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
  /** The installation token for git on this repository; minted on first use, never stored on disk. */
  gitToken: () => Promise<string>
  log: LogLike
}

export interface DeliveryServices {
  metrics: AppMetrics
  queue: RepoQueue
  /** The engine's environment (KITTY_CACHE_DIR, commit identity); never a token. */
  engineEnv: NodeJS.ProcessEnv
  cwd: string
}

const APP_POLICY = humanPolicy('kitty-github/app')

/** Commands that can outlast GitHub's 10 s delivery window: their check run shows progress at once. */
const LONG_COMMANDS = new Set(['merge-mission'])

interface RepositoryRef {
  owner: string
  repo: string
  cloneUrl: string
  defaultBranch: string | undefined
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

function repositoryOf(payload: unknown): RepositoryRef | null {
  const r = (
    payload as {
      repository?: { name?: unknown; clone_url?: unknown; default_branch?: unknown; owner?: { login?: unknown } }
    } | null
  )?.repository
  const owner = text(r?.owner?.login)
  const repo = text(r?.name)
  const cloneUrl = text(r?.clone_url)
  if (!owner || !repo || !cloneUrl) return null
  return { owner, repo, cloneUrl, defaultBranch: text(r?.default_branch) ?? undefined }
}

/** A comment with no `/kitty` line is conversation, not a command: no queue, no API call, no answer. */
function isChat(name: string, payload: unknown): boolean {
  if (name !== 'issue_comment') return false
  const body = (payload as { comment?: { body?: unknown } } | null)?.comment?.body
  return (
    parseComment(typeof body === 'string' ? body : '', {
      author: '',
      url: '',
      headBranch: null,
      branchPattern: DEFAULT_CONFIG.merge.branch_pattern,
    }).length === 0
  )
}

export async function handleDelivery(delivery: Delivery, services: DeliveryServices): Promise<void> {
  const correlationId = newCorrelationId()
  const log = delivery.log.child({ delivery: delivery.id, correlation_id: correlationId })
  const intent = readEvent(delivery.name, delivery.payload)
  if (intent.kind === 'ignore') return log.info({ event: delivery.name }, `ignored: ${intent.reason}`)
  if (isChat(delivery.name, delivery.payload))
    return log.info({ event: delivery.name }, 'ignored: a comment without a /kitty line')
  const repository = repositoryOf(delivery.payload)
  if (!repository)
    return log.warn(
      { event: delivery.name },
      'ignored: the payload names no repository (repository.owner.login, name, clone_url)',
    )
  // The repository's turn covers only git (and the reads the routing needs); answers are published
  // after it, so the next command's git work overlaps this one's paced REST writes.
  const handled = await services.queue.run(repository.cloneUrl, () =>
    runDelivery(delivery, repository, correlationId, log, services),
  )
  if (handled)
    await services.queue.track(
      publish(handled.api, handled.result, handled.inProgress, log, services, issueNumberOf(delivery.payload)),
    )
}

interface Handled {
  api: GithubApi
  result: EventResult
  inProgress: Map<PlannedStep, number>
}

async function runDelivery(
  delivery: Delivery,
  repository: RepositoryRef,
  correlationId: string,
  log: LogLike,
  services: DeliveryServices,
): Promise<Handled | null> {
  const api = octokitApi(delivery.octokit, { owner: repository.owner, repo: repository.repo })
  let token: Promise<string> | null = null
  // Fetched only when git is about to be touched, held in memory only: never a URL, a file or a log field.
  const installationToken = () =>
    (token ??= delivery.gitToken().catch((err: unknown) => {
      throw new KittyError(
        'REMOTE_AUTH_FAILED',
        `Could not get an installation token for ${repository.owner}/${repository.repo}: ${describeApiError(err)}. Nothing was changed.`,
      )
    }))
  const where = async (): Promise<ContextLocation> => ({
    remote: repository.cloneUrl,
    branch: repository.defaultBranch,
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
  const context = async () => (await (session ??= where().then((w) => openContext(w, engineIo, correlationId)))).ctx
  let result: EventResult
  try {
    result = await handleEvent(delivery.name, delivery.payload, {
      api,
      // The state branch is the default branch, so its tip's .github/kitty.yml is the only settings file read.
      readConfig: async () => (await context()).config,
      run: async (command, args, idempotencyKey) => {
        const stop = services.metrics.duration.startTimer({ command })
        // Comment lines and reviews carry their own key (comment id + line, review id); the delivery id covers the rest.
        const ctx = { ...(await context()), idempotencyKey: idempotencyKey ?? `github-delivery:${delivery.id}` }
        const ran = await runCommandArgs(command, args, await where(), engineIo, correlationId, ctx)
        const seconds = stop()
        log.info(
          { command, duration_ms: Math.round(seconds * 1000), success: ran.envelope.success },
          `engine: ${command} done`,
        )
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
    return null
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
  return { api, result, inProgress }
}

/** A review on a branch that names no WP is an ordinary code review: kitty stays silent about it. */
function isQuietRefusal(result: EventResult, outcome: StepOutcome): boolean {
  return result.intent.kind === 'review' && outcome.step.kind === 'refuse' && outcome.step.code === 'USAGE_ERROR'
}

/** The issue a comment was made on: where a `/kitty` line on a plain issue is answered. */
function issueNumberOf(payload: unknown): number | undefined {
  const n = (payload as { issue?: { number?: unknown } } | null)?.issue?.number
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined
}

async function publish(
  api: GithubApi,
  result: EventResult,
  inProgress: Map<PlannedStep, number>,
  log: LogLike,
  services: DeliveryServices,
  issue: number | undefined,
): Promise<void> {
  const headSha = result.pull?.headSha ?? null
  const answered: StepOutcome[] = []
  for (const outcome of result.outcomes) {
    const { envelope, step } = outcome
    const outcomeLabel = envelope.success ? 'success' : (envelope.error_code ?? 'UNKNOWN')
    services.metrics.commands.inc({ command: step.command, outcome: outcomeLabel })
    const rendered = renderOutcome({
      command: step.command,
      envelope,
      label: step.label,
      commit: outcome.commit,
      board: outcome.board,
    })
    log.info(
      { command: step.command, outcome: outcomeLabel, commit: outcome.commit },
      `kitty/${step.command}: ${rendered.checkRun.title}`,
    )
    if (isQuietRefusal(result, outcome)) continue
    answered.push(outcome)
    if (step.command === 'help' || !headSha) continue
    const { checkRun } = rendered
    const completed = {
      status: 'completed' as const,
      conclusion: checkRun.conclusion,
      output: { title: checkRun.title, summary: checkRun.summary, text: checkRun.text },
    }
    const open = inProgress.get(step)
    try {
      if (open !== undefined) await api.updateCheckRun(open, completed)
      else await api.createCheckRun({ name: checkRun.name, head_sha: headSha, ...completed })
    } catch (err) {
      log.warn({ command: step.command }, `could not publish the check run ${checkRun.name}: ${describeApiError(err)}`)
    }
  }
  // A /kitty line on an issue (not a pull request) has no pull, but its author still gets the answer.
  const number = result.pull?.number ?? (result.intent.kind === 'unroutable' ? issue : undefined)
  if (number === undefined) return
  const reply = composeReply(answered)
  if (reply !== null)
    await api
      .createComment(number, reply)
      .catch((err: unknown) => log.warn({}, `could not reply on #${number}: ${describeApiError(err)}`))
  if (result.intent.kind === 'comment') {
    const ok = result.outcomes.every((o) => o.envelope.success)
    await api
      .addReaction(result.intent.commentId, ok ? '+1' : 'confused')
      .catch((err: unknown) => log.warn({}, `could not react to the comment: ${describeApiError(err)}`))
  }
}
