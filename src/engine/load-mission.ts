import { assertSafeHandle, missionNotFound, resolveMissionSelector } from '../core/mission-selector.ts'
import { KittyError } from '../core/errors.ts'
import { hasMissionMeta, readMission, readMissionIndex, SPECS_DIR } from '../store/read-mission.ts'
import type { MissionView } from '../store/read-mission.ts'
import type { Snapshot } from '../store/snapshot.ts'

/**
 * Resolve `--mission` on a snapshot. The common case, a directory name with meta.json, costs two tree
 * reads whatever the size of kitty-specs/; only mid8, ULID and number handles read the whole index.
 */
export async function loadMission(snapshot: Snapshot, handle: string): Promise<MissionView> {
  assertSafeHandle(handle)
  await refuseLinkedMissionDir(snapshot, handle)
  const dir = (await hasMissionMeta(snapshot, handle))
    ? handle
    : resolveMissionSelector(handle, await readMissionIndex(snapshot))
  const mission = await readMission(snapshot, dir)
  if (!mission) throw missionNotFound(handle)
  return mission
}

/**
 * A committed link where a mission directory (or kitty-specs/ itself) should be has nothing behind it
 * in the commit; say so instead of "not found", which would send the caller looking elsewhere.
 */
async function refuseLinkedMissionDir(snapshot: Snapshot, handle: string): Promise<void> {
  for (const path of [SPECS_DIR, `${SPECS_DIR}/${handle}`]) {
    const entry = await snapshot.entry(path)
    if (entry?.mode !== '120000') continue
    throw new KittyError(
      'MISSION_NOT_FOUND',
      `${path} is a symbolic link in the commit, so it holds no mission files; replace the link with the real directory (git rm ${path}, then add the files).`,
      { handle, path },
    )
  }
}
