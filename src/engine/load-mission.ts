import { assertSafeHandle, missionNotFound, resolveMissionSelector } from '../core/mission-selector.ts'
import { hasMissionMeta, readMission, readMissionIndex } from '../store/read-mission.ts'
import type { MissionView } from '../store/read-mission.ts'
import type { Snapshot } from '../store/snapshot.ts'

/**
 * Resolve `--mission` on a snapshot. The common case, a directory name with meta.json, costs two tree
 * reads whatever the size of kitty-specs/; only mid8, ULID and number handles read the whole index.
 */
export async function loadMission(snapshot: Snapshot, handle: string): Promise<MissionView> {
  assertSafeHandle(handle)
  const dir = (await hasMissionMeta(snapshot, handle))
    ? handle
    : resolveMissionSelector(handle, await readMissionIndex(snapshot))
  const mission = await readMission(snapshot, dir)
  if (!mission) throw missionNotFound(handle)
  return mission
}
