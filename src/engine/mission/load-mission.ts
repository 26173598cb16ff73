import { assertSafeHandle, missionNotFound, resolveMissionSelector } from '../../core/mission-selector.ts'
import { KittyError } from '../../core/errors.ts'
import {
  hasMissionMeta,
  listMissionDirs,
  readMission,
  readMissionIndex,
  SPECS_DIR,
} from '../../store/state-files/read-mission.ts'
import { nearestNames } from '../../core/closest-names.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { Snapshot } from '../../store/objects/snapshot.ts'

/**
 * Resolve `--mission` on a snapshot. The common case, a directory name with meta.json, costs two tree
 * reads whatever the size of kitty-specs/; only mid8, ULID and number handles read the whole index.
 */
export async function loadMission(snapshot: Snapshot, handle: string): Promise<MissionView> {
  assertSafeHandle(handle)
  await refuseLinkedMissionDir(snapshot, handle)
  try {
    const dir = (await hasMissionMeta(snapshot, handle))
      ? handle
      : resolveMissionSelector(handle, await readMissionIndex(snapshot))
    const mission = await readMission(snapshot, dir)
    if (!mission) throw missionNotFound(handle)
    return mission
  } catch (err) {
    if (err instanceof KittyError && err.code === 'MISSION_NOT_FOUND' && !('path' in err.data))
      throw await withClosestMissions(snapshot, handle)
    throw err
  }
}

/**
 * MISSION_NOT_FOUND with upstream's words first, then what the caller can do: the missions whose names
 * are closest, or, when the commit has no kitty-specs/ at all, that it is the wrong branch or commit.
 */
async function withClosestMissions(snapshot: Snapshot, handle: string): Promise<KittyError> {
  const base = missionNotFound(handle)
  const at = snapshot.commit
    ? `commit ${snapshot.commit.slice(0, 7)} of the state branch`
    : 'the state branch (it has no commits)'
  if ((await snapshot.tree(SPECS_DIR)) === null) {
    return new KittyError(
      'MISSION_NOT_FOUND',
      `${base.message}: ${at} has no ${SPECS_DIR}/ directory. Commit your missions on that branch, or name the branch that has them with --branch.`,
      { handle, specs_dir_missing: true },
    )
  }
  const dirs = await listMissionDirs(snapshot)
  const closest = nearestNames(handle, dirs, 5)
  const listed = closest.length === 0 ? `${SPECS_DIR}/ holds no mission directories` : `closest: ${closest.join(', ')}`
  const more = dirs.length > closest.length ? ` (${dirs.length} missions in all)` : ''
  return new KittyError(
    'MISSION_NOT_FOUND',
    `${base.message}; ${listed}${more}. --mission takes a directory name, its NNN number, its slug, a mission_id or its first 8 characters.`,
    {
      handle,
      closest_missions: closest,
    },
  )
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
