import type { Board } from '../core/build-board.ts'
import { makeEnvelope, makeFailure } from '../core/envelope.ts'
import type { Envelope } from '../core/envelope.ts'
import { isKittyError } from '../core/errors.ts'
import type { KittyConfig } from '../engine/config/config.ts'
import { DEFAULT_CONFIG } from '../engine/config/load-config.ts'
import type { PermissionLookup } from './check-permission.ts'
import type { GithubApi } from './github-api.ts'
import { describeApiError } from './github-api.ts'
import type { PlannedStep } from './plan-event.ts'
import { actorOf, authorize, needsPermission, planEvent } from './plan-event.ts'
import type { EventIntent, PullRef, ReadEvent } from './read-event.ts'
import { readDelivery } from './read-event.ts'
import { openStagingPull, stagedPlanOf } from './open-staging-pull.ts'

/**
 * How a GitHub event becomes commits: read it (pure), gather what the payload lacks (the pull
 * request, the actor's permission), plan (pure), run each step through the surface's engine call.
 * Shared by the Action (`command: auto`) and the App; each renders and publishes the outcomes itself.
 */

export interface StepRun {
  envelope: Envelope
  /** The state commit the command pushed, when it pushed one. */
  commit: string | null
  board?: Board | null | undefined
}

export interface HandleDeps {
  api: GithubApi
  /** The repository's settings (default branch); may throw CONFIG_INVALID or a remote error. */
  readConfig: () => Promise<KittyConfig>
  /** Run one engine command with its CLI-style arguments on the repository. */
  run: (command: string, args: string[], idempotencyKey: string | undefined) => Promise<StepRun>
  policyJson: string
  correlationId: () => string
  /** Where non-fatal problems (a label that could not be removed) are reported. */
  warn: (message: string) => void
  /** Called before each engine run: the App opens an `in_progress` check run for a long command here. */
  starting?: (step: PlannedStep & { kind: 'run' }, pull: PullRef | null) => Promise<void>
}

export interface StepOutcome {
  step: PlannedStep
  envelope: Envelope
  commit: string | null
  board?: Board | null | undefined
}

export interface EventResult {
  intent: EventIntent
  pull: PullRef | null
  outcomes: StepOutcome[]
  /** Set when the event asks nothing of kitty (a bot, a plain comment review, another label). */
  skipped: string | null
}

function failureOf(step: PlannedStep & { kind: 'refuse' }, correlationId: string): Envelope {
  return makeFailure(step.command, step.code, step.message, {}, { correlationId })
}

/**
 * What is published as a check run on the pull request head: only a write that ran for a person with
 * write access (refusals of others, reads and help are answered in the reply, so nobody without write
 * access can put a `kitty/*` check run on anyone's commit), and not a redelivery that changed nothing.
 */
export function publishesCheckRun(outcome: StepOutcome): boolean {
  return outcome.step.kind === 'run' && outcome.step.access === 'write' && !isRedelivery(outcome)
}

/** The outcome of a comment line or review already applied under the same key: it changed nothing. */
export function isRedelivery(outcome: StepOutcome): boolean {
  return typeof outcome.envelope.data['duplicate_of'] === 'string'
}

export function handleEvent(eventName: string, payload: unknown, deps: HandleDeps): Promise<EventResult> {
  return handleReadEvent(readDelivery(eventName, payload), deps)
}

export async function handleReadEvent(event: ReadEvent, deps: HandleDeps): Promise<EventResult> {
  const { intent } = event
  if (intent.kind === 'ignore') return { intent, pull: null, outcomes: [], skipped: intent.reason }
  let pull: PullRef | null = intent.kind === 'unroutable' ? null : intent.pull
  let config: KittyConfig | null = null
  try {
    if (intent.kind !== 'unroutable') config = await deps.readConfig()
    if (intent.kind === 'merge-label' && intent.label !== config!.merge.label) {
      return {
        intent,
        pull,
        outcomes: [],
        skipped: `label '${intent.label}' is not the merge label '${config!.merge.label}'`,
      }
    }
    if (intent.kind === 'merge-label' && intent.bot) {
      await removeLabel(deps, intent.pull.number, intent.label)
      return { intent, pull, outcomes: [], skipped: `label added by the bot ${intent.sender}: taken off, nothing run` }
    }
    // An issue_comment payload never carries the head branch; a review or label payload does.
    if (pull && (pull.headRef === null || pull.headSha === null)) pull = await deps.api.getPull(pull.number)
  } catch (err) {
    // Settings unreadable: the default merge label is the best guess, and a stuck label blocks retrying.
    if (intent.kind === 'merge-label' && config === null && intent.label === DEFAULT_CONFIG.merge.label)
      await removeLabel(deps, intent.pull.number, intent.label)
    const message = isKittyError(err)
      ? err.message
      : `Could not read pull request #${pull?.number}: ${describeApiError(err)}`
    const step = {
      kind: 'refuse' as const,
      label: 'event',
      command: 'unknown',
      code: isKittyError(err) ? err.code : 'REMOTE_UNREACHABLE',
      message,
    }
    return {
      intent,
      pull,
      outcomes: [{ step, envelope: failureOf(step, deps.correlationId()), commit: null }],
      skipped: null,
    }
  }
  let steps = planEvent(intent, pull, {
    config: config ?? DEFAULT_CONFIG,
    policyJson: deps.policyJson,
    repository: event.source.repository,
  })
  const login = actorOf(intent)
  if (login && needsPermission(steps)) {
    const lookup: PermissionLookup = await deps.api.permission(login)
    steps = authorize(steps, login, lookup)
  }
  const outcomes: StepOutcome[] = []
  try {
    for (const step of steps) {
      if (step.kind === 'refuse') outcomes.push({ step, envelope: failureOf(step, deps.correlationId()), commit: null })
      else if (step.kind === 'reply')
        outcomes.push({
          step,
          envelope: makeEnvelope('help', true, { help: step.markdown }, null, { correlationId: deps.correlationId() }),
          commit: null,
        })
      else {
        await deps.starting?.(step, pull)
        const ran = await deps.run(step.command, step.args, step.idempotencyKey)
        const envelope = await openPullFor(ran, event, config ?? DEFAULT_CONFIG, deps)
        outcomes.push({ step, ...ran, envelope })
      }
    }
  } finally {
    // The label is a button: pressed once, it pops back up whatever happened, so pressing it again retries.
    if (intent.kind === 'merge-label' && pull) await removeLabel(deps, pull.number, intent.label)
  }
  return { intent, pull, outcomes, skipped: null }
}

/**
 * merge-mission staged its merge (merge.via: pull_request): open or update the one pull request. If
 * GitHub refuses, the staged branch stays and the answer says so; labelling again retries.
 */
function openPullFor(ran: StepRun, event: ReadEvent, config: KittyConfig, deps: HandleDeps): Promise<Envelope> {
  return openPullForRun(ran, event.source.repository?.owner ?? null, config, deps.api, deps.warn)
}

/** The same for an explicit merge-mission step of the Action (no event to route). */
export async function openPullForRun(
  ran: StepRun,
  owner: string | null,
  config: KittyConfig,
  api: GithubApi,
  warn: (message: string) => void,
): Promise<Envelope> {
  const plan = stagedPlanOf(ran.envelope)
  if (!plan || !owner) return ran.envelope
  const deps = { api, warn }
  try {
    const opened = await openStagingPull(
      deps.api,
      owner,
      plan,
      ran.envelope,
      { board: ran.board, autoMerge: config.merge.auto_merge },
      deps.warn,
    )
    const data = ran.envelope.data
    return { ...ran.envelope, data: { ...data, pull_request: { ...(data['pull_request'] as object), ...opened } } }
  } catch (err) {
    return makeFailure(
      'merge-mission',
      'REMOTE_UNREACHABLE',
      `The merge is staged on ${plan.head}, but the pull request could not be opened or updated: ` +
        `${describeApiError(err)}. Label the pull request again to retry (nothing is merged twice).`,
      { staging_branch: plan.head, staging_commit: plan.stagingCommit },
      { correlationId: ran.envelope.correlation_id },
    )
  }
}

function removeLabel(deps: HandleDeps, number: number, label: string): Promise<void> {
  return deps.api
    .removeLabel(number, label)
    .catch((err: unknown) => deps.warn(`Could not remove the label '${label}': ${describeApiError(err)}`))
}
