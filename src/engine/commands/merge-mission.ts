import { KittyError, StateConflictError } from '../../core/errors.ts'
import type { MissionIdentity } from '../../core/mission-meta.ts'
import type { MergeStrategy } from '../../core/plan-merge.ts'
import { isMergeStrategy, MERGE_STRATEGIES } from '../../core/plan-merge.ts'
import { changedPaths } from '../../store/objects/diff-trees.ts'
import type { WorktreeRemoval } from '../../store/worktree/git-worktree.ts'
import { removeWorktree, worktreeBranch } from '../../store/worktree/git-worktree.ts'
import type { BranchMove } from '../../store/history/move-branch.ts'
import { moveBranch } from '../../store/history/move-branch.ts'
import { warn } from '../framework/warnings.ts'
import { MERGE_DEPTHS, mirrorMergeHistory, setCachedBranch } from '../../store/remote/mirror-branches.ts'
import { pushCommit, pushRef, redactUrl, remoteUrl } from '../../store/remote/remote.ts'
import { branchProtectedError } from '../../store/remote/branch-protection.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { readCommitInfo } from '../../store/objects/walk-commits.ts'
import { buildMergeChain } from '../merge/build-merge-chain.ts'
import type { MergeChain } from '../merge/build-merge-chain.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import type { EngineContext } from '../framework/context.ts'
import { loadMission } from '../mission/load-mission.ts'
import type { Preflight } from '../merge/preflight-merge.ts'
import { preflightMerge } from '../merge/preflight-merge.ts'
import type { MergeRecord } from '../merge/record-merge.ts'
import { buildMergeRecord, planMergeRecord } from '../merge/record-merge.ts'
import { pushStaging, stagingBranch, stagingRemote } from '../merge/stage-merge.ts'
import { mutate } from '../mission/state-branch.ts'
import type { Request } from '../framework/request.ts'
import { optionalBoolean, optionalString, requiredActor, requiredString } from '../framework/request.ts'
import { readTip } from '../mission/state-branch.ts'
import { identityOf, wpBranchNames, workspacePaths } from '../mission/workspace.ts'

/** The target moving under us means re-reading and re-merging; after this many tries, give up. */
const MAX_ATTEMPTS = 3

interface MergeRequest {
  handle: string
  target: string | undefined
  strategy: MergeStrategy
  push: boolean
  dryRun: boolean
  actor: string
  via: MergeVia
  /** Set when a merged staging pull request is being recorded: its merge commit. */
  mergedCommit: string | undefined
}

type MergeVia = 'push' | 'pull_request'

/** A merge fully built in the object database, ready for the one ref move. */
interface BuiltMerge {
  preflight: Preflight
  tip: string
  chain: MergeChain
  merged: string[]
  /** Null when there is nothing to do: every WP done and every branch already in the target. */
  record: MergeRecord | null
}

function readStrategy(ctx: EngineContext, req: Request): MergeStrategy {
  const strategy = optionalString(req, 'strategy') ?? ctx.config.merge.strategy
  if (!isMergeStrategy(strategy)) {
    throw new KittyError(
      'UNSUPPORTED_STRATEGY',
      `Unsupported merge strategy '${strategy}'; use one of ${MERGE_STRATEGIES.join(', ')}.`,
      {
        strategy,
        supported: [...MERGE_STRATEGIES],
      },
    )
  }
  return strategy
}

function readVia(ctx: EngineContext, req: Request): MergeVia {
  const via = optionalString(req, 'via') ?? ctx.config.merge.via
  if (via !== 'push' && via !== 'pull_request')
    throw new KittyError('USAGE_ERROR', `--via must be push or pull_request, not '${via}'.`, { via })
  return via
}

function readMergedCommit(req: Request): string | undefined {
  const sha = optionalString(req, 'merged-commit')
  if (sha !== undefined && !/^[0-9a-f]{40}$/.test(sha))
    throw new KittyError('USAGE_ERROR', '--merged-commit must be a full 40-hex commit id.', {})
  return sha
}

function readRequest(ctx: EngineContext, req: Request): MergeRequest {
  const strategy = readStrategy(ctx, req)
  return {
    via: readVia(ctx, req),
    mergedCommit: readMergedCommit(req),
    handle: requiredString(req, 'mission'),
    target: optionalString(req, 'target'),
    strategy,
    push: optionalBoolean(req, 'push') ?? false,
    dryRun: optionalBoolean(req, 'dry-run') ?? false,
    actor: optionalString(req, 'actor') === undefined ? ctx.author.name : requiredActor(req),
  }
}

/** `--target`, else the mission's merge target, else its target branch, else the state branch. */
function targetOf(ctx: EngineContext, mission: MissionView, explicit: string | undefined): string {
  const nonEmpty = (v: string | null | undefined) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)
  return (
    explicit ??
    nonEmpty(mission.meta.meta.merge_target_branch) ??
    nonEmpty(mission.meta.meta.target_branch) ??
    ctx.branch.branch
  )
}

async function buildMerge(
  ctx: EngineContext,
  r: MergeRequest,
  stateMission: MissionView,
  target: string,
): Promise<BuiltMerge> {
  const preflight = await preflightMerge(ctx, { stateMission, target, push: r.push })
  const { mission, order, wps } = preflight
  const tip = preflight.target.tip
  const chain =
    order && tip
      ? await buildMergeChain(ctx, {
          mission,
          target,
          tip,
          wps,
          order,
          strategy: r.strategy,
          shallow: preflight.shallow,
          countAhead: r.dryRun,
        })
      : null
  const errors = [...preflight.errors, ...(chain?.errors ?? [])]
  if (errors.length > 0 || !chain || !tip || !order) {
    throw new KittyError(
      'PREFLIGHT_FAILED',
      `Merge preflight failed: ${errors.length} problem(s); nothing was changed`,
      {
        ...identityOf(mission),
        target_branch: target,
        strategy: r.strategy,
        errors,
        conflicts: chain?.conflicts ?? [],
        not_checked: chain?.notTried ?? [],
        merge_order: order ?? [],
      },
    )
  }
  const merged = chain.steps.filter((s) => s.outcome === 'merged').map((s) => s.wpId)
  const nothingToDo = merged.length === 0 && wps.every((wp) => wp.lane === 'done')
  const record = nothingToDo
    ? null
    : await buildMergeRecord(ctx, {
        dir: mission.dir,
        head: chain.head,
        order,
        merged,
        strategy: r.strategy,
        actor: r.actor,
        target,
      })
  return { preflight, tip, chain, merged, record }
}

/** Files of the checked-out target that the merge changes: checked for edits before, synced after. */
async function touchedPaths(ctx: EngineContext, built: BuiltMerge, next: string): Promise<string[]> {
  if (!built.preflight.target.branch.checkedOut) return []
  const [from, to] = await Promise.all(
    [built.tip, next].map(async (oid) => (await readCommitInfo(ctx.repo, oid)).commit.tree),
  )
  return changedPaths(ctx.repo, from!, to!)
}

/** Push once; on failure put the local target back where it was (a compare-and-swap too). */
async function pushOrUndo(ctx: EngineContext, built: BuiltMerge, move: BranchMove, r: MergeRequest): Promise<void> {
  const branch = built.preflight.target.branch
  const url = await remoteUrl(ctx.repo, 'origin')
  const pushed = await pushRef(
    ctx.repo,
    { url: url ?? '', token: ctx.remoteToken, timeoutMs: ctx.remoteTimeoutMs ?? 30_000 },
    branch.branch,
  )
    .then((outcome) =>
      outcome.ok
        ? outcome
        : {
            ok: false as const,
            reason: outcome.moved ? 'origin has moved on (not a fast-forward): fetch and merge first' : outcome.reason,
            protectedBy: outcome.moved ? null : outcome,
          },
    )
    .catch((err: Error) => ({ ok: false as const, reason: err.message, protectedBy: null }))
  if (pushed.ok) return
  const undo = { ...move, expected: move.next, next: move.expected!, subject: 'merge-mission undone: the push failed' }
  const why = await moveBranch(ctx.repo, branch, undo).then(
    ({ moved, warnings }) => {
      warn(ctx, warnings)
      return moved ? null : `${branch.branch} moved again meanwhile`
    },
    (err: Error) => err.message,
  )
  const rolledBack = why === null
  if (rolledBack && pushed.protectedBy?.protected) {
    throw protectedTarget(built, r, redactUrl(url ?? 'origin'), pushed.protectedBy)
  }
  throw new KittyError(
    'PUSH_FAILED',
    rolledBack
      ? `Pushing ${branch.branch} to origin failed: ${pushed.reason}. ${branch.branch} was put back as it was; nothing was merged.`
      : `Pushing ${branch.branch} to origin failed: ${pushed.reason}. The local merge could not be undone (${why}); ` +
          `${branch.branch} holds it unpushed: push it again, or reset ${branch.branch} to ${move.expected}.`,
    {
      ...identityOf(built.preflight.mission),
      target_branch: branch.branch,
      strategy: r.strategy,
      reason: pushed.reason,
      rolled_back: rolledBack,
      merged_wps: built.merged,
    },
  )
}

/** An object the (shallow) cache lacks, however the walk that needed it reported it. */
function missingObject(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return (
    e.code === 'NotFoundError' || /Could not find [0-9a-f]{40}|delta base [0-9a-f]{40} not found/.test(e.message ?? '')
  )
}

/**
 * In a checkout, the merge as is. With --remote there is no checkout: bring the target and every WP
 * branch into the cache (each attempt, so a retry merges onto what the remote holds now), deep enough
 * to reach each fork point, deepening further if the merge still walks past the cache's history.
 */
async function buildMergeHere(
  ctx: EngineContext,
  r: MergeRequest,
  stateMission: MissionView,
  target: string,
): Promise<BuiltMerge> {
  if (!ctx.remote) return buildMerge(ctx, r, stateMission, target)
  const branches = wpBranchNames(
    ctx,
    stateMission,
    (await stateMission.all()).map(({ wp }) => wp),
  )
  for (let level = 0; ; level++) {
    level = await mirrorMergeHistory(ctx.repo, ctx.remote.options, target, branches, level)
    try {
      return await buildMerge(ctx, r, stateMission, target)
    } catch (err) {
      if (!missingObject(err) || level >= MERGE_DEPTHS.length - 1) throw err
    }
  }
}

/**
 * The one ref move. In a checkout: compare-and-swap on the local branch. With --remote: the push is
 * the compare-and-swap; false when the target moved (re-read and merge again).
 */
async function landMerge(ctx: EngineContext, built: BuiltMerge, move: BranchMove, r: MergeRequest): Promise<boolean> {
  if (!ctx.remote) {
    const { moved, warnings } = await moveBranch(ctx.repo, built.preflight.target.branch, move)
    warn(ctx, warnings)
    return moved
  }
  const target = built.preflight.target.branch.branch
  const pushed = await pushCommit(ctx.repo, ctx.remote.options, target, move.next, built.tip)
  if (pushed.ok) return true
  // The cache mirrors the remote: put the branch back where the remote still has it.
  await setCachedBranch(ctx.repo, target, built.tip)
  if (pushed.moved) return false
  const where = redactUrl(ctx.remote.options.url)
  if (pushed.protected) throw protectedTarget(built, r, where, pushed)
  throw new KittyError('PUSH_FAILED', `${where} refused the push to ${target}: ${pushed.reason}. Nothing was merged.`, {
    ...identityOf(built.preflight.mission),
    remote: where,
    target_branch: target,
    strategy: r.strategy,
    reason: pushed.reason,
    rolled_back: true,
    merged_wps: [],
  })
}

/** The target is protected: the clear refusal, naming merge.via: pull_request among the fixes; nothing was merged. */
function protectedTarget(
  built: BuiltMerge,
  r: MergeRequest,
  remote: string,
  refusal: { reason: string; messages: string[] },
): KittyError {
  const err = branchProtectedError({
    remote,
    branch: built.preflight.target.branch.branch,
    reason: refusal.reason,
    messages: refusal.messages,
    mergeMission: true,
  })
  Object.assign(err.data, {
    ...identityOf(built.preflight.mission),
    target_branch: built.preflight.target.branch.branch,
    strategy: r.strategy,
    rolled_back: true,
    merged_wps: [],
  })
  return err
}

interface WorktreeCleanup {
  removed: string[]
  kept: Array<{ path: string; reason: string }>
}

/** Remove the merged mission's clean WP worktrees; dirty ones stay, and are reported. */
async function removeWpWorktrees(ctx: EngineContext, built: BuiltMerge): Promise<WorktreeCleanup> {
  const cleanup: WorktreeCleanup = { removed: [], kept: [] }
  if (!ctx.repo.workdir || !(await ctx.gitBinary())) return cleanup
  const { mission, wps } = built.preflight
  for (const wp of wps) {
    const { workspace_path: path } = workspacePaths(ctx, mission, wp.id, mission.wpPath(wp.id) ?? '')
    if ((await worktreeBranch(path)) === null) continue
    const outcome: WorktreeRemoval = await removeWorktree(ctx.repo, path)
    if (outcome.removed) cleanup.removed.push(path)
    else cleanup.kept.push({ path, reason: outcome.reason })
  }
  return cleanup
}

/** For a no-op, the merge commit meta.json already records (else the target's tip). */
function recordedMergeCommit(built: BuiltMerge): string {
  const recorded = built.preflight.mission.meta.raw?.['merge_commit']
  return typeof recorded === 'string' && /^[0-9a-f]{40}$/.test(recorded) ? recorded : built.tip
}

function identityAfter(built: BuiltMerge): MissionIdentity {
  return built.record?.identity ?? built.preflight.mission.identity
}

function planSummary(built: BuiltMerge, r: MergeRequest, target: string) {
  const { mission_id, mission_slug, mission_number, mission_type } = identityAfter(built)
  return {
    mission_id,
    mission_slug,
    mission_number,
    mission_type,
    target_branch: target,
    strategy: r.strategy,
    merge_order: built.preflight.order ?? [],
  }
}

function dryRunPayload(built: BuiltMerge, r: MergeRequest, target: string) {
  return {
    ...planSummary(built, r, target),
    dry_run: true,
    no_op: built.record === null,
    would_merge: built.chain.steps.map((s) => ({
      wp_id: s.wpId,
      branch: s.branch,
      commits_ahead: s.commitsAhead ?? 0,
      outcome: s.outcome,
    })),
    commits: [
      ...built.chain.steps.flatMap((s) => s.commits.map((c) => c.subject)),
      ...(built.record ? [built.record.subject] : []),
    ],
    state_conflicts_resolved: built.chain.keptOurs,
  }
}

/** What a surface needs to open the staging pull request: the WPs in merge order with their reviews. */
async function pullRequestPlan(built: BuiltMerge) {
  const byId = new Map((await built.preflight.mission.all()).map((l) => [l.wp.id, l]))
  const steps = new Map(built.chain.steps.map((s) => [s.wpId, s]))
  const order = built.preflight.order ?? []
  const files = await Promise.all(order.map((id) => byId.get(id)?.file()))
  return order.map((id, i) => {
    const loaded = byId.get(id)
    const data = files[i]?.data ?? {}
    const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null)
    return {
      wp_id: id,
      title: loaded?.wp.title ?? null,
      lane: loaded?.wp.lane ?? null,
      branch: steps.get(id)?.branch ?? null,
      outcome: steps.get(id)?.outcome ?? null,
      review_status: loaded?.wp.reviewStatus ?? null,
      reviewed_by: text(data['reviewed_by']),
      review_ref: text(data['review_ref']),
    }
  })
}

/**
 * merge.via: pull_request. Same preflight and merge as a push, but the result goes to the staging
 * branch (compare-and-swap; rebuilt from the target's tip on every run, so a target that moved is
 * picked up) and nothing is recorded: the WPs stay approved until the pull request is merged.
 */
async function stageForPull(ctx: EngineContext, r: MergeRequest, stateMission: MissionView, target: string) {
  const remote = await stagingRemote(ctx)
  const attempts = Math.max(MAX_ATTEMPTS, ctx.config.max_attempts)
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const built = await buildMergeHere(ctx, { ...r, push: false }, stateMission, target)
    const base = {
      ...planSummary(built, r, target),
      via: 'pull_request' as const,
      merged: false,
      merged_wps: [] as string[],
      would_merge: built.merged,
      already_merged_wps: built.chain.steps
        .filter((s) => s.outcome === 'already-merged' || s.outcome === 'no-branch')
        .map((s) => s.wpId),
      state_commit: null,
      state_conflicts_resolved: built.chain.keptOurs,
    }
    if (built.merged.length === 0)
      return { ...base, no_op: true, staging_branch: null, staging_commit: null, pushed: false, pull_request: null }
    const staged = await pushStaging(ctx, built, remote)
    if (!staged) continue
    const { mission_slug } = planSummary(built, r, target)
    return {
      ...base,
      no_op: false,
      staging_branch: staged.branch,
      staging_commit: staged.commit,
      pushed: staged.pushed,
      pull_request: {
        head: staged.branch,
        base: target,
        title: `kitty: merge mission ${mission_slug} into ${target}`,
        work_packages: await pullRequestPlan(built),
      },
    }
  }
  throw new StateConflictError(`refs/heads/${stagingBranch(stateMission.identity.mission_slug)}`, attempts)
}

/**
 * The staging pull request was merged: record the WPs done exactly as a pushed merge-mission does,
 * in one state commit on the state branch, with GitHub's merge commit as merge_commit. Idempotent:
 * a mission already recorded with this commit is a no-op (and the surface's delivery key guards too).
 */
async function recordPullMerge(ctx: EngineContext, r: MergeRequest, mergedCommit: string) {
  const outcome = await mutate<Record<string, unknown>>(ctx, async (snapshot) => {
    const mission = await loadMission(snapshot, r.handle)
    const target = targetOf(ctx, mission, r.target)
    const wps = (await mission.all()).map(({ wp }) => wp)
    const order = orderOf(wps)
    const summary = {
      ...identityOf(mission),
      target_branch: target,
      strategy: r.strategy,
      via: 'pull_request',
      merge_order: order,
      merge_commit: mergedCommit,
    }
    const open = wps.filter((wp) => wp.lane !== 'done').map((wp) => wp.id)
    if (open.length === 0 && mission.meta.raw?.['merge_commit'] === mergedCommit)
      return { kind: 'noop' as const, result: { ...summary, merged: true, merged_wps: [] as string[], no_op: true } }
    const notApproved = wps.filter((wp) => wp.lane !== 'done' && wp.lane !== 'approved').map((wp) => wp.id)
    if (notApproved.length > 0)
      throw new KittyError(
        'MISSION_NOT_READY',
        `The staging pull request was merged, but ${notApproved.join(', ')} is no longer approved; nothing recorded. ` +
          'Approve them again, then merge the mission.',
        { ...summary, not_ready: notApproved },
      )
    const planned = await planMergeRecord(ctx, snapshot, {
      dir: mission.dir,
      head: snapshot.commit ?? mergedCommit,
      order,
      merged: open,
      strategy: r.strategy,
      actor: r.actor,
      target,
      mergeCommit: mergedCommit,
    })
    return {
      kind: 'commit' as const,
      message: planned.message,
      changes: planned.changes,
      result: {
        ...summary,
        ...planned.identity,
        merged: true,
        merged_wps: open,
        marked_done: planned.markedDone,
        no_op: false,
      },
    }
  })
  return { ...outcome.result, state_commit: outcome.commit, pushed: ctx.remote !== undefined }
}

/** Dependency order, ties by id, as the merge used (the graph was checked when it was staged). */
function orderOf(wps: Array<{ id: string; dependencies: string[] }>): string[] {
  const ids = new Set(wps.map((w) => w.id))
  const done = new Set<string>()
  const order: string[] = []
  const left = [...wps].sort((a, b) => a.id.localeCompare(b.id))
  while (left.length > 0) {
    const i = left.findIndex((w) => w.dependencies.every((d) => done.has(d) || !ids.has(d)))
    const [next] = left.splice(i === -1 ? 0 : i, 1)
    done.add(next!.id)
    order.push(next!.id)
  }
  return order
}

export const mergeMission: CommandSpec = {
  ...commandMeta('orchestrator-api', 'merge-mission'),
  async run(ctx, req) {
    const r = readRequest(ctx, req)
    if (r.mergedCommit && r.dryRun)
      throw new KittyError('USAGE_ERROR', '--merged-commit records a merge; it has no dry run.', {})
    if (r.mergedCommit) return recordPullMerge(ctx, r, r.mergedCommit)
    const stateMission = await loadMission(await readTip(ctx), r.handle)
    const target = targetOf(ctx, stateMission, r.target)
    if (r.via === 'pull_request' && !r.dryRun) return stageForPull(ctx, r, stateMission, target)
    // A remote target races other writers for real; a local one only other processes on this machine.
    const attempts = ctx.remote ? Math.max(MAX_ATTEMPTS, ctx.config.max_attempts) : MAX_ATTEMPTS
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const built = await buildMergeHere(ctx, r, stateMission, target)
      if (r.dryRun) return dryRunPayload(built, r, target)
      const base = {
        ...planSummary(built, r, target),
        merged: true,
        merged_wps: built.merged,
        // A done WP whose branch is gone was merged (and cleaned up) before.
        already_merged_wps: built.chain.steps
          .filter((s) => s.outcome === 'already-merged' || s.outcome === 'no-branch')
          .map((s) => s.wpId),
        merge_commit: built.record ? built.chain.head : recordedMergeCommit(built),
        state_conflicts_resolved: built.chain.keptOurs,
      }
      if (!built.record) return { ...base, state_commit: null, no_op: true, worktree_removed: false, pushed: false }
      const next = built.record.commit
      const move: BranchMove = {
        expected: built.tip,
        next,
        paths: await touchedPaths(ctx, built, next),
        who: ctx.author,
        subject: built.record.subject,
      }
      if (!(await landMerge(ctx, built, move, r))) continue
      if (r.push && !ctx.remote) await pushOrUndo(ctx, built, move, r)
      const worktrees = await removeWpWorktrees(ctx, built)
      return {
        ...base,
        state_commit: next,
        no_op: false,
        // With --remote there are no worktrees to remove.
        worktree_removed: !ctx.remote && worktrees.kept.length === 0,
        worktrees_removed: worktrees.removed,
        worktrees_kept: worktrees.kept,
        pushed: r.push || ctx.remote !== undefined,
      }
    }
    throw new StateConflictError(`refs/heads/${target}`, attempts)
  },
}
