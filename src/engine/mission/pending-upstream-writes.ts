import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EventLogInvalidError, KittyError } from '../../core/errors.ts'
import { EVENT_LOG_FILE, parseEventLog, STATUS_JSON_FILE } from '../../core/status-events.ts'
import type { MutationPlan } from '../../store/history/commit-mutation.ts'
import { MAX_EVENT_LOG_BYTES, MAX_STATUS_JSON_BYTES } from '../../store/state-files/limits.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { findDirtyPaths } from '../../store/worktree/sync-worktree.ts'
import type { EngineContext } from '../framework/context.ts'
import { missionTrailers } from '../lanes/mission-trailers.ts'

/**
 * Upstream spec-kitty writes `status.events.jsonl` and `status.json` and never commits them (issue 21,
 * D2). kitty answers from commits, so a read names those pending files and the command that adopts
 * them; `kitty reconcile --adopt` commits them as they are, with trailers naming upstream as the writer.
 * A read does not fold them in: every surface (board, App, Action) answers for one commit, and a
 * CLI-only view of the working tree would make the same question answer two ways.
 */

/** The mission's log files whose checkout differs from the commit read (local, checked-out branch only). */
export async function pendingUpstreamFiles(ctx: EngineContext, mission: MissionView): Promise<string[]> {
  if (ctx.remote || !ctx.branch.checkedOut || !ctx.repo.workdir) return []
  const paths = [`${mission.path}/${EVENT_LOG_FILE}`, `${mission.path}/${STATUS_JSON_FILE}`]
  return findDirtyPaths(ctx.repo, mission.snapshot, paths)
}

export async function pendingWriteWarnings(ctx: EngineContext, mission: MissionView): Promise<string[]> {
  const files = await pendingUpstreamFiles(ctx, mission)
  if (files.length === 0) return []
  return [
    `uncommitted: ${files.join(', ')} ${files.length === 1 ? 'differs' : 'differ'} from the commit this answer reads (upstream spec-kitty writes its event log without committing), so its latest steps are not in this answer. ` +
      `Adopt them with kitty reconcile --mission ${mission.dir} --adopt (one commit), or commit them yourself.`,
  ]
}

export interface Adopted {
  mission: MissionView
  files: string[]
  events_added: number
}

const LIMITS: Record<string, number> = {
  [EVENT_LOG_FILE]: MAX_EVENT_LOG_BYTES,
  [STATUS_JSON_FILE]: MAX_STATUS_JSON_BYTES,
}

async function readPending(ctx: EngineContext, path: string): Promise<Uint8Array> {
  const name = path.slice(path.lastIndexOf('/') + 1)
  let bytes: Uint8Array
  try {
    bytes = await readFile(join(ctx.repo.workdir!, path))
  } catch {
    throw new KittyError(
      'USAGE_ERROR',
      `${path} was deleted in the checkout; kitty adopts upstream's writes, not removals. Restore it (git checkout -- ${path}), then retry.`,
      { path },
    )
  }
  if (bytes.byteLength > LIMITS[name]!)
    throw new KittyError('INPUT_TOO_LARGE', `${path} is larger than ${LIMITS[name]} bytes`, {
      path,
      limit_bytes: LIMITS[name],
    })
  return bytes
}

/** Refuse what upstream would not have written: a log that is not the committed one plus lines, or bad JSON. */
function checkPending(mission: MissionView, path: string, bytes: Uint8Array): number {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  if (path.endsWith(STATUS_JSON_FILE)) {
    try {
      JSON.parse(text)
    } catch {
      throw new KittyError('USAGE_ERROR', `${path} in the checkout is not valid JSON; not adopting it.`, { path })
    }
    return 0
  }
  const committed = mission.events?.text ?? ''
  if (!text.startsWith(committed))
    throw new EventLogInvalidError(
      path,
      1,
      'the checkout does not extend the committed log (lines were changed or removed, which upstream never does); not adopting it',
    )
  const before = mission.events?.stream
  const after = parseEventLog(text, path)
  const count = (s: typeof after | undefined) => (s ? s.transitions.length + s.annotations.length : 0)
  return count(after) - count(before)
}

/** One commit holding the mission's pending upstream files exactly as they are in the checkout. */
export async function planAdopt(
  ctx: EngineContext,
  mission: MissionView,
  actor: string,
): Promise<MutationPlan<Adopted> | Adopted> {
  const files = await pendingUpstreamFiles(ctx, mission)
  const result: Adopted = { mission, files, events_added: 0 }
  if (files.length === 0) return result
  const changes = new Map<string, Uint8Array>()
  for (const path of files) {
    const bytes = await readPending(ctx, path)
    result.events_added += checkPending(mission, path, bytes)
    changes.set(path, bytes)
  }
  return {
    kind: 'commit',
    message: {
      subject: `kitty(${mission.identity.mission_slug}): adopt upstream spec-kitty's uncommitted event log`,
      body: `${files.join('\n')}\n${result.events_added} event(s) added by upstream spec-kitty, committed as it wrote them.`,
      trailers: {
        ...missionTrailers(ctx, mission, 'reconcile', actor),
        'Kitty-Writer': 'spec-kitty (upstream)',
        'Kitty-Adopted': files.map((f) => f.slice(f.lastIndexOf('/') + 1)).join(', '),
      },
    },
    changes,
    result,
  }
}
