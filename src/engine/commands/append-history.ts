import { zuluSeconds } from '../../core/envelope.ts'
import { KittyError, isKittyError } from '../../core/errors.ts'
import { appendActivityLog } from '../../store/state-files/activity-log.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { DuplicateDelivery } from '../framework/idempotency.ts'
import { loadMission } from '../mission/load-mission.ts'
import { wpTrailers } from '../lanes/plan-lane-change.ts'
import { eventLogChanges } from '../lanes/event-log.ts'
import { oneLine, requiredActor, requiredNote, requiredString, requiredWpId } from '../framework/request.ts'
import { mutate } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'

/**
 * A write that failed for no reason the other mutations name: upstream's code, with the cause attached.
 * A dirty file and a lost race keep their own codes (WORKTREE_DIRTY, STATE_CONFLICT), as everywhere.
 */
const WRITE_FAILURES = new Set(['INTERNAL_ERROR'])

export const appendHistory: CommandSpec = {
  ...commandMeta('orchestrator-api', 'append-history'),
  async run(ctx, req) {
    const handle = requiredString(req, 'mission')
    const asked = requiredWpId(req)
    const actor = requiredActor(req)
    const note = oneLine(requiredNote(req))
    if (note === '') throw new KittyError('USAGE_ERROR', "Option '--note' must not be empty.")
    try {
      const { result, commit } = await mutate<{ mission: MissionView; wpId: string }>(ctx, async (snapshot) => {
        const mission = await loadMission(snapshot, handle)
        const wpId = mission.resolveWpId(asked)
        const loaded = await mission.wp(wpId)
        const { wp, split } = loaded
        const entry = `- [${zuluSeconds(ctx.now())}] ${actor}: ${note}`
        const body = appendActivityLog(split.body, entry, split.eol)
        return {
          kind: 'commit',
          message: {
            subject: `kitty(${mission.identity.mission_slug}/${wpId}): append-history`,
            body: note,
            trailers: wpTrailers(ctx, mission, wpId, { command: 'append-history', actor }),
          },
          changes: new Map([
            [wp.path, new TextEncoder().encode(await loaded.render([], body))],
            // Upstream HEAD records the same line as a note annotation in the event log.
            ...eventLogChanges(ctx, mission, [{ kind: 'annotation', wpId: wp.id, actor, delta: { note: entry } }]),
          ]),
          result: { mission, wpId },
        }
      })
      return { ...identityOf(result.mission), wp_id: result.wpId, history_entry_id: `hist-${commit!.slice(0, 32)}` }
    } catch (err) {
      if (err instanceof DuplicateDelivery) throw err
      if (!isKittyError(err))
        throw new KittyError('HISTORY_COMMIT_FAILED', `The history commit failed: ${(err as Error).message}`)
      if (WRITE_FAILURES.has(err.code)) {
        throw new KittyError('HISTORY_COMMIT_FAILED', err.message, { ...err.data, cause_code: err.code })
      }
      throw err
    }
  },
}
