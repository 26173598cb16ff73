import type { Lane } from '../../core/lanes.ts'
import { isKittyError } from '../../core/errors.ts'
import { laneProblem, planMergeOrder } from '../../core/plan-merge.ts'
import { checkedOutElsewhere, worktreesOnBranch } from '../../store/worktree/git-worktree.ts'
import { remoteUrl } from '../../store/remote/remote.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { readMission } from '../../store/state-files/read-mission.ts'
import type { StateBranch } from '../../store/repository.ts'
import { isShallow, readRef, resolveStateBranch } from '../../store/repository.ts'
import { Snapshot } from '../../store/objects/snapshot.ts'
import { commitsOnlyIn, isAncestor } from '../../store/objects/walk-commits.ts'
import type { EngineContext } from '../framework/context.ts'
import { wpBranchName } from '../mission/workspace.ts'

/**
 * The checks merge-mission makes before merging anything, all of them, so one answer lists every
 * problem: WP lanes, WP branches, the target, the dependency graph, the target against its remote.
 * (The trial merges, the last preflight check, are in build-merge-chain.)
 */

export interface WpToMerge {
  id: string
  lane: Lane
  dependencies: string[]
  branch: string
  /** Null when the branch does not exist: an error, unless the WP is already done. */
  tip: string | null
}

export interface MergeTarget {
  branch: StateBranch
  /** Null when the branch does not exist (a preflight error). */
  tip: string | null
}

export interface Preflight {
  /** The mission as the target has it (state lives with the code on the target). */
  mission: MissionView
  target: MergeTarget
  wps: WpToMerge[]
  /** Null when the dependencies admit no order. */
  order: string[] | null
  errors: string[]
  shallow: boolean
}

export interface PreflightInput {
  /** The mission as the state branch has it: it names the directory and the default target. */
  stateMission: MissionView
  target: string
  push: boolean
}

/** The mission read from the target's tip; the state branch's copy when the target cannot provide one. */
async function missionOnTarget(
  input: PreflightInput,
  tip: string | null,
  ctx: EngineContext,
  errors: string[],
): Promise<MissionView> {
  if (tip === null) return input.stateMission
  const mission = await readMission(await Snapshot.at(ctx.repo, tip), input.stateMission.dir)
  if (mission) return mission
  errors.push(
    `Mission ${input.stateMission.dir} does not exist on ${input.target}; merge the branch that holds kitty-specs/${input.stateMission.dir} into ${input.target} first.`,
  )
  return input.stateMission
}

async function targetProblems(ctx: EngineContext, target: MergeTarget, push: boolean): Promise<string[]> {
  const name = target.branch.branch
  const errors: string[] = []
  const remoteTip = await readRef(ctx.repo, `refs/remotes/origin/${name}`)
  if (target.tip === null) {
    errors.push(
      remoteTip
        ? `Target branch ${name} does not exist locally; create it from the remote (git branch ${name} origin/${name}) or pass --target.`
        : `Target branch ${name} does not exist; create it or pass --target <branch>.`,
    )
  } else if (
    remoteTip &&
    remoteTip !== target.tip &&
    (await commitsOnlyIn(ctx.repo, remoteTip, [target.tip])).length > 0
  ) {
    // The walk is date-ordered; confirm with an exact ancestry test before refusing.
    if (!(await isAncestor(ctx.repo, remoteTip, target.tip)))
      errors.push(`${name} is behind origin/${name}; pull first (git pull --ff-only), then run merge-mission again.`)
  }
  for (const path of await worktreesOnBranch(ctx.repo, name)) {
    errors.push(checkedOutElsewhere(name, path, `merging into ${name}`))
  }
  if (push && (await remoteUrl(ctx.repo, 'origin')) === null) {
    errors.push('--push needs a remote named origin; add it (git remote add origin <url>) or run without --push.')
  }
  return errors
}

async function wpsToMerge(
  ctx: EngineContext,
  mission: MissionView,
  where: string,
  errors: string[],
): Promise<WpToMerge[]> {
  const wps: WpToMerge[] = []
  for (const { wp } of await mission.all()) {
    const lane = laneProblem(wp.id, wp.lane, where)
    if (lane) errors.push(lane)
    let branch: string
    try {
      branch = wpBranchName(ctx, mission, wp.id, wp.branch)
    } catch (err) {
      if (!isKittyError(err)) throw err
      errors.push(`${wp.id}: ${err.message}`)
      wps.push({ id: wp.id, lane: wp.lane, dependencies: wp.dependencies, branch: wp.branch ?? '', tip: null })
      continue
    }
    const tip = await readRef(ctx.repo, `refs/heads/${branch}`)
    // A done WP whose branch is gone was merged and cleaned up before; only unmerged work needs one.
    if (tip === null && wp.lane !== 'done') {
      errors.push(
        `Branch ${branch} for ${wp.id} does not exist; run start-implementation for ${wp.id} or set branch: in its frontmatter (${wp.path}).`,
      )
    }
    wps.push({ id: wp.id, lane: wp.lane, dependencies: wp.dependencies, branch, tip })
  }
  return wps
}

export async function preflightMerge(ctx: EngineContext, input: PreflightInput): Promise<Preflight> {
  const errors: string[] = []
  const branch = await resolveStateBranch(ctx.repo, input.target)
  const tip = await readRef(ctx.repo, branch.ref)
  const target: MergeTarget = { branch, tip }
  const mission = await missionOnTarget(input, tip, ctx, errors)
  const wps = await wpsToMerge(ctx, mission, input.target, errors)
  if (mission.wpIds().length === 0) {
    errors.push(
      `Mission ${mission.dir} has no work packages (${mission.path}/tasks/WP*.md); there is nothing to merge.`,
    )
  }
  errors.push(...(await targetProblems(ctx, target, input.push)))
  const graph = new Map(wps.map((wp) => [wp.id, wp.dependencies]))
  const { order, errors: graphErrors } = planMergeOrder(graph)
  errors.push(...graphErrors)
  return { mission, target, wps, order, errors, shallow: await isShallow(ctx.repo) }
}
