import { UsageError } from '../../core/errors.ts'
import { materializeStatusJson } from '../../core/reduce-status-events.ts'
import type { FrontmatterEdit } from '../../store/state-files/frontmatter.ts'
import type { MutationPlan, Planned } from '../../store/history/commit-mutation.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { Snapshot } from '../../store/objects/snapshot.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import type { EngineContext } from '../framework/context.ts'
import type { DriftEntry, TransitionDraft } from '../lanes/event-log.ts'
import type { EventDraft } from '../lanes/event-log.ts'
import {
  appendEvents,
  driftOf,
  finalizeSeed,
  snapshotIdentity,
  staleStatusJson,
  unfinalizedIds,
} from '../lanes/event-log.ts'
import type { ReviewRefMove } from '../mission/retired-keys.ts'
import { planRetiredKeyMoves } from '../mission/retired-keys.ts'
import { loadMission } from '../mission/load-mission.ts'
import type { Adopted } from '../mission/pending-upstream-writes.ts'
import { planAdopt } from '../mission/pending-upstream-writes.ts'
import { laneChangeEdits } from '../lanes/plan-lane-change.ts'
import { missionTrailers } from '../lanes/mission-trailers.ts'
import type { Request } from '../framework/request.ts'
import { optionalBoolean, optionalString, requiredString } from '../framework/request.ts'
import { mutate } from '../mission/state-branch.ts'
import { warn } from '../framework/warnings.ts'
import { identityOf } from '../mission/workspace.ts'

/**
 * `kitty reconcile --mission M [--from events|frontmatter] [--dry-run]`: settle drift between WP files
 * and upstream's event log in one commit. From events (the default, as upstream decides): each
 * drifting file takes the log's lane. From frontmatter: the log gets one forced event per drifting
 * WP, to the file's lane. Either way status.json is rewritten from the log when it does not match.
 */

type Side = 'events' | 'frontmatter'

export const DRY_RUN_PARAM = {
  name: 'dry-run',
  type: 'boolean',
  description: 'Say what the commit would change, and commit nothing.',
} as const
export const KITTY_ACTOR_PARAM = {
  name: 'actor',
  type: 'string',
  description: 'Who is acting (recorded in the commit; default kitty).',
} as const

export function optionalActor(req: Request): string {
  const actor = optionalString(req, 'actor')?.trim()
  if (actor === undefined) return 'kitty'
  if (actor === '' || /[\x00-\x1f\x7f]/.test(actor))
    throw new UsageError("Option '--actor' must be a non-empty single-line name.")
  return actor
}

function sideOf(req: Request): Side {
  const from = optionalString(req, 'from') ?? 'events'
  if (from !== 'events' && from !== 'frontmatter')
    throw new UsageError(`Option '--from' must be events or frontmatter, not ${JSON.stringify(from)}.`)
  return from
}

interface Reconciled {
  mission: MissionView
  drift: DriftEntry[]
  statusRewritten: boolean
  files: string[]
  reviewRefs: ReviewRefMove[]
  /** WPs given upstream's finalize-tasks seed (they had no event: "not finalized"). */
  seeded: string[]
}

const encoder = new TextEncoder()

function addEdits(all: Map<string, FrontmatterEdit[]>, id: string, edits: FrontmatterEdit[]): void {
  all.set(id, [...(all.get(id) ?? []), ...edits])
}

/** Each drifting file takes the log's lane. */
function fileSideEdits(ctx: EngineContext, drift: DriftEntry[], actor: string, all: Map<string, FrontmatterEdit[]>) {
  for (const d of drift) {
    const edits = laneChangeEdits(ctx, {
      command: 'reconcile',
      actor,
      from: d.frontmatter_lane,
      to: d.event_log_lane,
      note: 'the event log wins',
    })
    addEdits(all, d.wp_id, edits)
  }
}

/** The log gets one forced event per drifting WP, to the file's lane. */
function logSideDrafts(drift: DriftEntry[], actor: string): TransitionDraft[] {
  return drift.map((d) => ({
    kind: 'transition',
    wpId: d.wp_id,
    from: d.event_log_lane,
    to: d.frontmatter_lane,
    actor,
    force: true,
    reason: 'reconcile: the frontmatter lane wins',
    reviewRef: null,
    policy: null,
  }))
}

async function planReconcile(
  ctx: EngineContext,
  snapshot: Snapshot,
  handle: string,
  side: Side,
  actor: string,
): Promise<MutationPlan<Reconciled> | Reconciled> {
  const mission = await loadMission(snapshot, handle)
  const events = mission.events
  const wps = (await mission.all()).map(({ wp }) => wp)
  const retired = planRetiredKeyMoves(mission, wps, actor)
  const drift = events ? driftOf(wps) : []
  const fileEdits = new Map<string, FrontmatterEdit[]>()
  if (side === 'events') fileSideEdits(ctx, drift, actor, fileEdits)
  for (const [id, edits] of retired.edits) addEdits(fileEdits, id, edits)
  const changes = new Map<string, Uint8Array>()
  for (const [id, edits] of fileEdits) {
    const loaded = await mission.wp(id)
    changes.set(loaded.wp.path, encoder.encode(await loaded.render(edits)))
  }
  // Seeds first: a WP the log has never seen gets upstream's finalize-tasks event before anything else.
  const seeds = unfinalizedIds(mission)
  const drafts: EventDraft[] = [
    ...seeds.map((id) => finalizeSeed(id)),
    ...(side === 'frontmatter' ? logSideDrafts(drift, actor) : []),
    ...retired.annotations,
  ]
  if (events && drafts.length > 0)
    for (const [path, bytes] of appendEvents(ctx, mission, events, drafts).changes) changes.set(path, bytes)
  // A status.json whose lanes and count its log gives is left as it is (an older upstream's format
  // included); one that is missing or says otherwise is rewritten as upstream HEAD materialises it.
  if (events && !changes.has(events.statusPath) && (events.statusText === null || staleStatusJson(events) !== null)) {
    changes.set(events.statusPath, encoder.encode(materializeStatusJson(events.reduced, snapshotIdentity(mission))))
  }
  const result: Reconciled = {
    mission,
    drift,
    statusRewritten: events !== null && changes.has(events.statusPath),
    files: [...changes.keys()].sort(),
    reviewRefs: retired.moves,
    seeded: seeds,
  }
  if (changes.size === 0) return result
  const wins = side === 'events' ? 'the event log wins' : 'the frontmatter wins'
  return {
    kind: 'commit',
    message: {
      subject: `kitty(${mission.identity.mission_slug}): reconcile (${events ? wins : 'retired frontmatter keys'})`,
      body: reconcileBody(result, fileEdits),
      trailers: missionTrailers(ctx, mission, 'reconcile', actor),
    },
    changes,
    result,
  }
}

function reconcileBody(r: Reconciled, fileEdits: Map<string, FrontmatterEdit[]>): string {
  const lines = r.drift.map((d) => `${d.wp_id}: frontmatter ${d.frontmatter_lane}, event log ${d.event_log_lane}`)
  for (const id of r.seeded) lines.push(`${id}: seeded in the event log (genesis -> planned), as finalize-tasks does`)
  for (const [id, edits] of fileEdits) {
    if (!edits.some((e) => e.kind === 'delete')) continue
    const move = r.reviewRefs.find((m) => m.wp_id === id)
    const kept = move ? ` (review_ref ${move.review_ref}, kept in the ${move.now_in.replace('_', ' ')})` : ''
    lines.push(`${id}: review_ref: removed from the frontmatter, which upstream's WPMetadata rejects${kept}`)
  }
  return lines.length > 0 ? lines.join('\n') : 'status.json rewritten from its event log.'
}

/** A plan, or (dry run, nothing to do) the answer without a commit. */
export function planOrPreview<R>(planned: MutationPlan<R> | R, dryRun: boolean): Planned<R> {
  const isPlan = typeof planned === 'object' && planned !== null && (planned as { kind?: unknown }).kind === 'commit'
  if (isPlan && !dryRun) return planned as MutationPlan<R>
  return { kind: 'noop', result: isPlan ? (planned as MutationPlan<R>).result : (planned as R) }
}

async function adopt(ctx: EngineContext, handle: string, actor: string, dryRun: boolean) {
  const { result, commit } = await mutate<Adopted>(ctx, async (snapshot) =>
    planOrPreview(await planAdopt(ctx, await loadMission(snapshot, handle), actor), dryRun),
  )
  return {
    ...identityOf(result.mission),
    adopt: true,
    dry_run: dryRun,
    files: result.files,
    events_added: result.events_added,
    commit: dryRun ? null : commit,
  }
}

export const reconcile: CommandSpec = {
  ...commandMeta('kitty', 'reconcile'),
  async run(ctx, req) {
    const handle = requiredString(req, 'mission')
    const side = sideOf(req)
    const actor = optionalActor(req)
    const dryRun = optionalBoolean(req, 'dry-run') ?? false
    if (optionalBoolean(req, 'adopt')) return adopt(ctx, handle, actor, dryRun)
    const { result, commit } = await mutate<Reconciled>(ctx, async (snapshot) =>
      planOrPreview(await planReconcile(ctx, snapshot, handle, side, actor), dryRun),
    )
    if (!result.mission.events && result.files.length === 0)
      warn(ctx, [
        `${result.mission.dir} has no event log (status.events.jsonl); it is frontmatter-only and there is nothing to reconcile.`,
      ])
    return {
      ...identityOf(result.mission),
      from: side,
      dry_run: dryRun,
      event_log: result.mission.events !== null,
      reconciled: result.drift.map((d) => ({ ...d, lane: side === 'events' ? d.event_log_lane : d.frontmatter_lane })),
      status_json_rewritten: result.statusRewritten,
      files: result.files,
      unmaterialized_wps: result.mission.eventOnlyIds(),
      review_refs_moved: result.reviewRefs,
      finalized_wps: result.seeded,
      commit: dryRun ? null : commit,
    }
  },
}
