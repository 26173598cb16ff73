import { isoTimestamp } from '../../core/envelope.ts'
import { isKittyError, KittyError } from '../../core/errors.ts'
import type { MissionIdentity } from '../../core/mission-meta.ts'
import type { MergeStrategy } from '../../core/plan-merge.ts'
import { nextMissionNumber } from '../../core/plan-merge.ts'
import type { CommitMessage } from '../../core/trailers.ts'
import { writeCommitOnSnapshot } from '../../store/history/commit-mutation.ts'
import { editMetaJson } from '../../store/state-files/meta-json.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { readMission, readMissionNumbers } from '../../store/state-files/read-mission.ts'
import { Snapshot } from '../../store/objects/snapshot.ts'
import type { EngineContext } from '../framework/context.ts'
import { laneChangeEdits } from '../lanes/plan-lane-change.ts'
import { missionTrailers } from '../lanes/mission-trailers.ts'
import type { EventDraft } from '../lanes/event-log.ts'
import type { Lane } from '../../core/lanes.ts'
import { eventLogChanges } from '../lanes/event-log.ts'
import { identityOf } from '../mission/workspace.ts'

/**
 * The last commit of a merge: every WP `done`, the merge recorded in meta.json, a mission number
 * assigned when there was none. Built on the merged tree, so the files it edits are the merged ones.
 */

export interface RecordInput {
  dir: string
  /** The last merge (or squash/rebase) commit; the target's tip when nothing was merged. */
  head: string
  order: string[]
  merged: string[]
  strategy: MergeStrategy
  actor: string
  target: string
  /** The commit that landed the merge when it is not `head`: a merged staging pull request's merge commit. */
  mergeCommit?: string
}

export interface MergeRecord {
  commit: string
  subject: string
  identity: MissionIdentity
  markedDone: string[]
  mergedAt: string
}

const encoder = new TextEncoder()

function mergeFailed(
  mission: MissionView,
  input: RecordInput,
  wpId: string,
  path: string | null,
  reason: string,
): KittyError {
  return new KittyError('MERGE_FAILED', `After merging, ${wpId} cannot be marked done: ${reason}`, {
    ...identityOf(mission),
    target_branch: input.target,
    failed_wp: wpId,
    conflicts: path ? [path] : [],
    merged_so_far: input.merged,
  })
}

/**
 * The event upstream's merge writes for each WP: approved → done, backed by the lane's approval
 * (`lane-approved:<WP>`, by whoever moved it to approved), the merge phase and target as metadata.
 */
function mergedEvent(mission: MissionView, id: string, from: Lane, input: RecordInput): EventDraft {
  const approver = mission.events?.reduced.work_packages[id]?.actor || input.actor
  return {
    kind: 'transition',
    wpId: id,
    from,
    to: 'done',
    actor: input.actor,
    // Only approved → done is an edge; anything else merge-mission lets through is forced.
    force: from !== 'approved',
    reason: `Merged ${id} into ${input.target}`,
    reviewRef: null,
    evidence: { review: { reviewer: approver, verdict: 'approved', reference: `lane-approved:${id}` } },
    policy: null,
    policyMetadata: { merge_phase: 'lane_integrated', target_branch: input.target },
  }
}

async function markDone(
  ctx: EngineContext,
  mission: MissionView,
  input: RecordInput,
  changes: Map<string, Uint8Array>,
): Promise<string[]> {
  const marked: string[] = []
  const drafts: EventDraft[] = []
  for (const id of input.order) {
    if (!mission.has(id)) throw mergeFailed(mission, input, id, null, 'its task file is gone from the merged tree')
    let loaded
    try {
      loaded = await mission.wp(id)
    } catch (err) {
      if (!isKittyError(err)) throw err
      throw mergeFailed(mission, input, id, mission.wpPath(id), err.message)
    }
    if (loaded.wp.lane === 'done') continue
    const edits = laneChangeEdits(ctx, {
      command: 'merge-mission',
      actor: input.actor,
      from: loaded.wp.lane,
      to: 'done',
    })
    changes.set(loaded.wp.path, encoder.encode(await loaded.render(edits)))
    drafts.push(mergedEvent(mission, id, loaded.wp.lane, input))
    marked.push(id)
  }
  for (const [path, bytes] of eventLogChanges(ctx, mission, drafts)) changes.set(path, bytes)
  return marked
}

export interface PlannedRecord extends Omit<MergeRecord, 'commit' | 'subject'> {
  message: CommitMessage
  changes: Map<string, Uint8Array>
}

export async function buildMergeRecord(ctx: EngineContext, input: RecordInput): Promise<MergeRecord> {
  const snapshot = await Snapshot.at(ctx.repo, input.head)
  const { message, changes, ...rest } = await planMergeRecord(ctx, snapshot, input)
  const commit = await writeCommitOnSnapshot(ctx.repo, snapshot, message, changes, ctx.author, ctx.now())
  return { commit, subject: message.subject, ...rest }
}

/** The record's files and message on `snapshot`, uncommitted: the state write path (mutate) commits it. */
export async function planMergeRecord(
  ctx: EngineContext,
  snapshot: Snapshot,
  input: RecordInput,
): Promise<PlannedRecord> {
  const mission = await readMission(snapshot, input.dir)
  if (!mission)
    throw new KittyError('MERGE_FAILED', `After merging, kitty-specs/${input.dir} is gone`, {
      failed_wp: null,
      conflicts: [],
      merged_so_far: input.merged,
    })
  const changes = new Map<string, Uint8Array>()
  const markedDone = await markDone(ctx, mission, input, changes)
  const number = mission.identity.mission_number ?? nextMissionNumber(await readMissionNumbers(snapshot))
  const mergedAt = isoTimestamp(ctx.now())
  const record = {
    ...(mission.metaText === null ? { mission_slug: mission.identity.mission_slug, slug: mission.dir } : {}),
    ...(mission.identity.mission_number === null ? { mission_number: number } : {}),
    merged_at: mergedAt,
    merged_by: input.actor,
    merge_commit: input.mergeCommit ?? input.head,
    merge_strategy: input.strategy,
    merged_wps: input.merged,
  }
  changes.set(`${mission.path}/meta.json`, encoder.encode(editMetaJson(mission.metaText, record)))
  const message: CommitMessage = {
    subject: `kitty(${mission.identity.mission_slug}): merge-mission`,
    body:
      input.merged.length > 0
        ? `Merged ${input.merged.join(', ')} into ${input.target} (${input.strategy}).`
        : `Nothing left to merge into ${input.target}; recorded the merge.`,
    trailers: missionTrailers(ctx, mission, 'merge-mission', input.actor),
  }
  return {
    message,
    changes,
    identity: { ...mission.identity, mission_number: number },
    markedDone,
    mergedAt,
  }
}
