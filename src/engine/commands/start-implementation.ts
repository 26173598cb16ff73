import { suggestTransitions } from '../lanes/suggest-transitions.ts'
import { withElapsed } from '../../store/progress.ts'
import { KittyError, TransitionRejectedError } from '../../core/errors.ts'
import { DEPENDENCY_SATISFIED_LANES } from '../../core/lanes.ts'
import type { Lane } from '../../core/lanes.ts'
import type { Policy } from '../../core/policy.ts'
import { holderCompatible } from '../../core/work-package.ts'
import { displayLane } from '../../core/reduce-status-events.ts'
import { checkTransition } from '../../core/transitions.ts'
import { isomorphicGit } from '../../store/isomorphic-git.ts'
import { ensureBranch, ensureWorktree, removeWorktree, worktreeLinkProblem } from '../../store/worktree/git-worktree.ts'
import type { ProvisionalClaim } from '../../store/worktree/provisional-claims.ts'
import { settleProvisional, writeProvisional } from '../../store/worktree/provisional-claims.ts'
import { pushCommit } from '../../store/remote/remote.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import type { EngineContext } from '../framework/context.ts'
import { unfinalizedIds } from '../lanes/event-log.ts'
import { loadMission } from '../mission/load-mission.ts'
import { planLaneChange } from '../lanes/plan-lane-change.ts'
import { requirePolicy } from '../lanes/policy-input.ts'
import { requiredActor, requiredString, requiredWpId } from '../framework/request.ts'
import { readRef } from '../../store/repository.ts'
import { mutate, readTip } from '../mission/state-branch.ts'
import { identityOf, wpBranchName, workspacePaths } from '../mission/workspace.ts'
import { laneFields } from './resolve-workspace.ts'

interface Started {
  mission: MissionView
  wpId: string
  wpPath: string
  from: Lane
  noOp: boolean
  branch: string | null
}

/** A dependency known only to the event log still has a lane (upstream gates on the reduced lanes). */
function eventOnlyLane(mission: MissionView, id: string): Lane | null {
  return mission.events && mission.eventOnlyIds().includes(id)
    ? displayLane(mission.events.reduced.work_packages[id])
    : null
}

async function dependencyGate(mission: MissionView, wpId: string, deps: string[]): Promise<void> {
  const unsatisfied: string[] = []
  for (const dep of deps) {
    const lane = mission.has(dep) ? (await mission.wp(dep)).wp.lane : eventOnlyLane(mission, dep)
    if (!lane || !DEPENDENCY_SATISFIED_LANES.has(lane)) unsatisfied.push(dep)
  }
  if (unsatisfied.length > 0) {
    throw new KittyError(
      'DEPENDENCIES_NOT_SATISFIED',
      `dependencies_not_satisfied: ${wpId} depends on ${unsatisfied.join(', ')}; ` +
        'each must be approved or done before implementation starts',
      { ...identityOf(mission), wp_id: wpId, unsatisfied_dependencies: unsatisfied },
    )
  }
}

function alreadyClaimed(mission: MissionView, wpId: string, holder: string, actor: string): KittyError {
  return new KittyError('WP_ALREADY_CLAIMED', `WP ${wpId} is already claimed for implementation by '${holder}'`, {
    ...identityOf(mission),
    wp_id: wpId,
    claimed_by: holder,
    requesting_actor: actor,
  })
}

/**
 * Upstream's refusal for a WP its event log has never seen (issue 21, D7): starting it would leave the
 * log without the finalize-tasks seed upstream requires. kitty reconcile writes that seed.
 */
function notFinalized(mission: MissionView, wpId: string): TransitionRejectedError {
  const fix = `kitty reconcile --mission ${mission.dir}`
  return new TransitionRejectedError(
    `WP ${wpId} is not finalized; run \`spec-kitty agent mission finalize-tasks\`, or ${fix}, which seeds it in the event log (genesis -> planned) as finalize-tasks does; then retry.`,
    { ...identityOf(mission), wp_id: wpId, not_finalized: true, fix },
  )
}

/** Called once the claim is known to be allowed, before it is committed; the commit waits for it. */
type OnAllowed = (started: Started, tip: string | null) => Promise<void>

/**
 * Refuse, before anything is committed, a workspace `git worktree add` would put outside the
 * repository (`.worktrees` committed or made as a symbolic link): upstream's allocation failure.
 */
async function refuseLinkedWorkspace(
  ctx: EngineContext,
  mission: MissionView,
  wpId: string,
  wpPath: string,
): Promise<void> {
  if (ctx.remote || !ctx.config.worktrees || !ctx.repo.workdir) return
  const { workspace_path } = workspacePaths(ctx, mission, wpId, wpPath)
  const reason = await worktreeLinkProblem(ctx.repo, workspace_path)
  if (reason) throw new KittyError('LANE_ALLOCATION_FAILED', reason, { ...identityOf(mission), wp_id: wpId, reason })
}

async function claim(
  ctx: EngineContext,
  handle: string,
  asked: string,
  actor: string,
  policy: Policy,
  onAllowed: OnAllowed,
) {
  return mutate<Started>(ctx, async (snapshot) => {
    const mission = await loadMission(snapshot, handle)
    const wpId = mission.resolveWpId(asked)
    const loaded = await mission.wp(wpId)
    const { wp } = loaded
    if (unfinalizedIds(mission).includes(wp.id)) throw notFinalized(mission, wp.id)
    await refuseLinkedWorkspace(ctx, mission, wpId, wp.path)
    // The branch is made after the claim is committed; a name that cannot be used must refuse the claim.
    wpBranchName(ctx, mission, wpId, wp.branch)
    if (wp.lane === 'planned' || wp.lane === 'claimed') await dependencyGate(mission, wpId, wp.dependencies)
    const result: Started = { mission, wpId, wpPath: wp.path, from: wp.lane, noOp: false, branch: wp.branch }
    if (wp.lane === 'in_progress' || wp.lane === 'claimed') {
      if (!holderCompatible(wp.assignee, actor)) throw alreadyClaimed(mission, wpId, wp.assignee!, actor)
      if (wp.lane === 'in_progress') {
        await onAllowed(result, snapshot.commit)
        return { kind: 'noop', result: { ...result, noOp: true } }
      }
    } else if (wp.lane !== 'planned') {
      // Upstream's words, then where the WP can go from here.
      throw new TransitionRejectedError(
        `WP ${wpId} is in '${wp.lane}', cannot start implementation: only a planned WP can be started. ${suggestTransitions(mission.dir, wpId)}`,
        {
          ...identityOf(mission),
          wp_id: wpId,
          lane: wp.lane,
        },
      )
    }
    // planned → claimed → in_progress in one commit (HEAD writes them as one batch).
    const guards = {
      actor,
      force: false,
      subtasksComplete: true,
      implementationEvidence: true,
      workspaceContext: 'worktree',
    }
    for (const [from, to] of [
      ['planned', 'claimed'],
      ['claimed', 'in_progress'],
    ] as const) {
      if (wp.lane === 'claimed' && from === 'planned') continue
      const verdict = checkTransition(from, to, guards)
      if (!verdict.ok) throw new TransitionRejectedError(verdict.message, { ...identityOf(mission), wp_id: wpId })
    }
    await onAllowed(result, snapshot.commit)
    return planLaneChange(
      ctx,
      mission,
      loaded,
      {
        command: 'start-implementation',
        actor,
        from: wp.lane,
        to: 'in_progress',
        set: { assignee: actor, agent: policy.agent_family },
        policy,
        // Upstream batches planned → claimed → in_progress as two events, no reason, no review ref.
        event: { via: wp.lane === 'planned' ? ['claimed'] : [], reason: null, reviewRef: null },
      },
      result,
    )
  })
}

export const startImplementation: CommandSpec = {
  ...commandMeta('orchestrator-api', 'start-implementation'),
  async run(ctx, req) {
    const policy = requirePolicy(req, 'start-implementation')
    const handle = requiredString(req, 'mission')
    const asked = requiredWpId(req)
    const actor = requiredActor(req)
    // In a checkout the worktree (a git checkout, the slow part) is made while the claim is committed:
    // the claim is already validated, and a claim lost to a race leaves only a reusable worktree.
    // The WP branch itself is made before the claim commits, so a claim never lands without its branch.
    const early: { work: Promise<Provisioned> | null; branchMade: Promise<void> } = {
      work: null,
      branchMade: Promise.resolve(),
    }
    let claimed: Awaited<ReturnType<typeof claim>>
    try {
      claimed = await claim(ctx, handle, asked, actor, policy, (started, tip) => {
        if (ctx.remote || early.work) return early.branchMade
        const workspace = workspacePaths(ctx, started.mission, started.wpId, started.wpPath).workspace_path
        let made: () => void = () => undefined
        const branchMade = new Promise<void>((resolve) => (made = resolve))
        early.work = settle(
          provisionWorkspace(ctx, started.mission, started.wpId, started.branch, workspace, tip, () => made()),
        )
        // Settled either way: a provisioning that fails early must not hold the claim back.
        early.branchMade = Promise.race([branchMade, early.work.then(() => undefined)])
        return early.branchMade
      })
    } catch (err) {
      // A refused command leaves nothing behind, not even the worktree it started early.
      await (await early.work)?.undo()
      throw err
    }
    const { result, commit } = claimed
    const { mission, from, noOp, wpId } = result
    const paths = workspacePaths(ctx, mission, wpId, result.wpPath)
    const provisioned = await (early.work ??
      settle(provisionWorkspace(ctx, mission, wpId, result.branch, paths.workspace_path, commit)))
    await provisioned.settled()
    const lane = provisioned.fields
    return {
      ...identityOf(mission),
      wp_id: wpId,
      from_lane: from,
      to_lane: 'in_progress',
      ...paths,
      policy_metadata_recorded: true,
      no_op: noOp,
      ...lane,
    }
  },
}

/**
 * Make sure the WP branch exists and, where git and a checkout are available, a worktree on it.
 * The claim is already committed; a worktree that cannot be made is reported, not fatal, and the
 * lane fields are then left out so clients do not require commits on a branch nobody checked out.
 */
interface Provisioned {
  /** Lane fields when the worktree exists on the WP branch, or warnings. */
  fields: Record<string, unknown>
  /** Remove what this provisioning created (a worktree, a branch). */
  undo: () => Promise<void>
  /** The claim's outcome is known (landed, or undone): forget the provisional record. */
  settled: () => Promise<void>
}

const nothing = async (): Promise<void> => undefined

function settle(work: Promise<Provisioned>): Promise<Provisioned> {
  return work.catch((err: Error) => ({
    fields: { warnings: [`workspace not provisioned: ${err.message}`] },
    undo: nothing,
    settled: nothing,
  }))
}

async function provisionWorkspace(
  ctx: EngineContext,
  mission: MissionView,
  wpId: string,
  ownBranch: string | null,
  workspacePath: string,
  commit: string | null,
  /** Told once the WP branch exists (before the slow worktree); the claim commit waits for it. */
  branchMade: () => void = () => undefined,
): Promise<Provisioned> {
  const branch = wpBranchName(ctx, mission, wpId, ownBranch)
  const start = commit ?? (await readTip(ctx)).commit
  if (!start) return { fields: {}, undo: nothing, settled: nothing }
  if (ctx.remote) {
    // No checkout to put a worktree in: make sure the branch exists on the remote, never moving it.
    const pushed = await pushCommit(ctx.repo, ctx.remote.options, branch, start, null)
    const fields =
      pushed.ok || pushed.moved ? {} : { warnings: [`WP branch ${branch} not created on the remote: ${pushed.reason}`] }
    return { fields, undo: nothing, settled: nothing }
  }
  // Recorded before the branch exists, so a kill at any point leaves proof of what was made.
  const branchWasAbsent = (await readRef(ctx.repo, `refs/heads/${branch}`)) === null
  const claim: ProvisionalClaim = {
    missionDir: mission.dir,
    wpId,
    branch,
    start,
    workspace: workspacePath,
    branchWasAbsent,
  }
  const record = await writeProvisional(ctx.repo, claim)
  const settled = async () => settleProvisional(record)
  const newBranch = await ensureBranch(ctx.repo, branch, start, ctx.author)
  branchMade()
  const dropBranch = async () => {
    if (newBranch)
      await (await isomorphicGit())
        .deleteRef({ fs: ctx.repo.fs, gitdir: ctx.repo.gitdir, ref: `refs/heads/${branch}` })
        .catch(() => undefined)
    await settled()
  }
  if (!ctx.config.worktrees || !ctx.repo.workdir || !(await ctx.gitBinary()))
    return { fields: {}, undo: dropBranch, settled }
  const outcome = await withElapsed(ctx.progress, `checking out ${branch} into ${workspacePath}`, () =>
    ensureWorktree(ctx.repo, workspacePath, branch),
  )
  const undo = async () => {
    if (outcome.created) await removeWorktree(ctx.repo, workspacePath, true)
    await dropBranch()
  }
  if (!outcome.checkedOut)
    return { fields: { warnings: [outcome.reason ?? `no worktree on ${branch} at ${workspacePath}`] }, undo, settled }
  return { fields: laneFields(ctx, wpId, branch), undo, settled }
}
