import { zuluSeconds } from '../../core/envelope.ts'
import type { Lane } from '../../core/lanes.ts'
import type { WrittenWpKey } from '../../core/wp-frontmatter-keys.ts'
import type { Policy } from '../../core/policy.ts'
import { policyTrailer } from '../../core/policy.ts'
import type { CommitMessage, Trailers } from '../../core/trailers.ts'
import type { FrontmatterEdit } from '../../store/state-files/frontmatter.ts'
import type { LoadedWp, MissionView } from '../../store/state-files/read-mission.ts'
import type { MutationPlan } from '../../store/history/commit-mutation.ts'
import type { EngineContext } from '../framework/context.ts'
import { oneLine } from '../framework/request.ts'
import type { Evidence, ReviewResult } from '../../core/review.ts'
import type { TransitionDraft } from './event-log.ts'
import { eventLogChanges } from './event-log.ts'
import { missionTrailers } from './mission-trailers.ts'

export interface WpChange {
  command: string
  actor: string
  from: Lane
  to: Lane
  /** Frontmatter keys to set besides `lane` (null clears to an empty string); only keys upstream reads. */
  set?: Partial<Record<WrittenWpKey, string | null>>
  note?: string | undefined
  policy?: Policy | null | undefined
  force?: boolean
  reviewRef?: string | undefined
  /** What the event line(s) record, where they differ from the commit (upstream's own wording). */
  event?: {
    /** Lanes passed through on the way (start-implementation's planned → claimed → in_progress). */
    via?: Lane[]
    reason?: string | null
    reviewRef?: string | null
    reviewResult?: ReviewResult | undefined
    evidence?: Evidence | undefined
  }
}

/** The event line(s) upstream writes for this change, one per lane step. */
export function transitionDrafts(wpId: string, change: WpChange): TransitionDraft[] {
  const lanes = [change.from, ...(change.event?.via ?? []), change.to]
  return lanes.slice(1).map((to, i) => ({
    kind: 'transition',
    wpId,
    from: lanes[i]!,
    to,
    actor: change.actor,
    force: change.force ?? false,
    reason: change.event?.reason !== undefined ? change.event.reason : (change.note ?? null),
    reviewRef: change.event?.reviewRef !== undefined ? change.event.reviewRef : (change.reviewRef ?? null),
    reviewResult: change.event?.reviewResult,
    evidence: change.event?.evidence,
    policy: change.policy ?? null,
  }))
}

const encoder = new TextEncoder()

/** The frontmatter edits of one lane change: the lane, the extra keys, one appended history entry. */
export function laneChangeEdits(ctx: EngineContext, change: WpChange): FrontmatterEdit[] {
  const edits: FrontmatterEdit[] = [{ kind: 'set', key: 'lane', value: change.to }]
  for (const [key, value] of Object.entries(change.set ?? {})) edits.push({ kind: 'set', key, value: value ?? '' })
  const action = change.note
    ? `${change.command}: ${oneLine(change.note)}`
    : `${change.command}: ${change.from} -> ${change.to}`
  edits.push({
    kind: 'append',
    key: 'history',
    item: { timestamp: zuluSeconds(ctx.now()), lane: change.to, agent: change.actor, shell_pid: '', action },
  })
  return edits
}

export function wpTrailers(
  ctx: EngineContext,
  mission: MissionView,
  wpId: string,
  change: Omit<WpChange, 'to' | 'from'> & { from?: Lane; to?: Lane },
): Trailers {
  return {
    ...missionTrailers(ctx, mission, change.command, change.actor),
    'Kitty-WP': wpId,
    'Kitty-From': change.from,
    'Kitty-To': change.to,
    'Kitty-Policy': change.policy ? policyTrailer(change.policy) : undefined,
    'Kitty-Force': change.force ? 'true' : undefined,
    'Kitty-Review-Ref': change.reviewRef,
  }
}

export function laneChangeMessage(
  ctx: EngineContext,
  mission: MissionView,
  wpId: string,
  change: WpChange,
): CommitMessage {
  return {
    subject: `kitty(${mission.identity.mission_slug}/${wpId}): ${change.from} -> ${change.to}`,
    body: change.note,
    trailers: wpTrailers(ctx, mission, wpId, change),
  }
}

/** A one-commit plan that rewrites a WP file for a lane change. */
export async function planLaneChange<R>(
  ctx: EngineContext,
  mission: MissionView,
  loaded: LoadedWp,
  change: WpChange,
  result: R,
): Promise<MutationPlan<R>> {
  const text = await loaded.render(laneChangeEdits(ctx, change))
  return {
    kind: 'commit',
    message: laneChangeMessage(ctx, mission, loaded.wp.id, change),
    changes: new Map([
      [loaded.wp.path, encoder.encode(text)],
      ...eventLogChanges(ctx, mission, transitionDrafts(loaded.wp.id, change)),
    ]),
    result,
  }
}
