import { worktreeBranch } from '../../store/worktree/git-worktree.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import type { EngineContext } from '../framework/context.ts'
import { loadMission } from '../mission/load-mission.ts'
import { requiredString, requiredWpId } from '../framework/request.ts'
import { readTip } from '../mission/state-branch.ts'
import { identityOf, wpBranchName, workspacePaths } from '../mission/workspace.ts'

/**
 * Lane fields, reported only for a worktree that really has the WP branch checked out
 * (docs/design.md#workspaces-and-lane-fields).
 */
export function laneFields(ctx: EngineContext, wpId: string, branch: string) {
  return { lane_id: wpId, lane_branch: branch, lane_base_ref: ctx.branch.branch }
}

export const resolveWorkspace: CommandSpec = {
  ...commandMeta('orchestrator-api', 'resolve-workspace'),
  async run(ctx, req) {
    const mission = await loadMission(await readTip(ctx), requiredString(req, 'mission'))
    const wpId = mission.resolveWpId(requiredWpId(req))
    const { wp } = await mission.wp(wpId)
    const paths = workspacePaths(ctx, mission, wpId, wp.path)
    const branch = wpBranchName(ctx, mission, wpId, wp.branch)
    const checkedOut = (await worktreeBranch(paths.workspace_path)) === branch
    return { ...identityOf(mission), wp_id: wpId, ...paths, ...(checkedOut ? laneFields(ctx, wpId, branch) : {}) }
  },
}
