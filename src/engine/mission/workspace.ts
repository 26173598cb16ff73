import { join } from 'node:path'
import { WpFileInvalidError } from '../../core/errors.ts'
import type { EngineContext } from '../framework/context.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { assertBranchName } from '../../store/repository.ts'

/** The WP branch merge-mission merges: the WP's own `branch:` key, else the configured pattern. */
export function wpBranchName(ctx: EngineContext, mission: MissionView, wpId: string, own: string | null): string {
  const branch =
    own ??
    ctx.config.merge.branch_pattern
      .replaceAll('{mission_slug}', mission.identity.mission_slug)
      .replaceAll('{wp_id}', wpId)
  // A WP's own key was held to git's rules when its file was read; a pattern's result is checked here.
  if (own === null) assertBranchName(branch)
  // A WP branch that is the state branch would be "created" as the branch holding the state, and
  // merged into itself.
  if (own !== null && own === ctx.branch.branch) {
    const path = mission.wpPath(wpId) ?? `${mission.path}/tasks/${wpId}.md`
    throw new WpFileInvalidError(
      path,
      `its branch: key ${JSON.stringify(own)} names the state branch; a WP needs a branch of its own (remove the key for the default <mission_slug>-${wpId})`,
    )
  }
  return branch
}

/** The names of the mission's WP branches, as start-implementation and merge-mission name them. */
export function wpBranchNames(
  ctx: EngineContext,
  mission: MissionView,
  wps: Array<{ id: string; branch: string | null }>,
): string[] {
  const names: string[] = []
  for (const wp of wps) {
    try {
      names.push(wpBranchName(ctx, mission, wp.id, wp.branch))
    } catch {
      // An invalid branch: key names no branch to look at.
    }
  }
  return names
}

/** Where callers should work and what they should read; absolute, as clients require. */
export function workspacePaths(ctx: EngineContext, mission: MissionView, wpId: string, wpPath: string) {
  const root = ctx.repo.workdir ?? ctx.repo.gitdir
  return {
    workspace_path: join(root, '.worktrees', `${mission.identity.mission_slug}-${wpId}`),
    prompt_path: join(root, wpPath),
  }
}

export function identityOf(mission: MissionView) {
  const { mission_id, mission_slug, mission_number, mission_type } = mission.identity
  return { mission_id, mission_slug, mission_number, mission_type }
}
