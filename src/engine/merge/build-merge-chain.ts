import { isKittyError, KittyError } from '../../core/errors.ts'
import type { MergeStrategy } from '../../core/plan-merge.ts'
import { conflictSentence, mergeCommitSubject, noMergeBaseSentence } from '../../core/plan-merge.ts'
import type { AddedCommit, Integration, Person } from '../../store/history/integrate-branch.ts'
import { integrateBranch } from '../../store/history/integrate-branch.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { commitsOnlyIn } from '../../store/objects/walk-commits.ts'
import type { EngineContext } from '../framework/context.ts'
import type { WpToMerge } from './preflight-merge.ts'
import { identityOf } from '../mission/workspace.ts'

/**
 * The trial merge, which is also the real one: each WP branch in order is merged onto the target so
 * far, building commits in the object database only. Conflicts are preflight errors (nothing has been
 * written to any ref); the chain is used as is when there are none.
 */

export type StepOutcome = 'merged' | 'already-merged' | 'no-branch' | 'not-tried'

export interface MergeStep {
  wpId: string
  branch: string
  outcome: StepOutcome
  commits: AddedCommit[]
  /** Commits on the branch the target so far lacked; counted only when asked (dry runs). */
  commitsAhead?: number
}

export interface WpConflict {
  wp_id: string
  paths: string[]
  commit?: string
}

export interface MergeChain {
  /** The last commit of the chain: the target's tip when nothing was merged. */
  head: string
  steps: MergeStep[]
  errors: string[]
  conflicts: WpConflict[]
  /** WP ids not trial-merged because a WP they depend on conflicts. */
  notTried: string[]
  /** Mission state files whose conflicts were settled for the target's side. */
  keptOurs: string[]
}

export interface ChainInput {
  mission: MissionView
  target: string
  tip: string
  wps: WpToMerge[]
  order: string[]
  strategy: MergeStrategy
  shallow: boolean
  countAhead: boolean
}

/** The mission's state files: the target's copy is authoritative, so their conflicts go its way. */
function isStatePath(mission: MissionView): (path: string) => boolean {
  const root = mission.path
  return (path) => path === `${root}/meta.json` || path === `${root}/tasks.md` || path.startsWith(`${root}/tasks/`)
}

function committer(ctx: EngineContext): Person {
  return { ...ctx.author, timestamp: Math.floor(ctx.now().getTime() / 1000), timezoneOffset: 0 }
}

export async function buildMergeChain(ctx: EngineContext, input: ChainInput): Promise<MergeChain> {
  const chain: MergeChain = { head: input.tip, steps: [], errors: [], conflicts: [], notTried: [], keptOurs: [] }
  const byId = new Map(input.wps.map((wp) => [wp.id, wp]))
  const blocked = new Set<string>()
  const mergedSoFar: string[] = []
  const replayed = new Set<string>()
  const oursWins = isStatePath(input.mission)
  for (const id of input.order) {
    const wp = byId.get(id)!
    const step: MergeStep = { wpId: id, branch: wp.branch, outcome: 'no-branch', commits: [] }
    chain.steps.push(step)
    if (wp.tip === null) continue
    if (wp.dependencies.some((d) => blocked.has(d))) {
      blocked.add(id)
      step.outcome = 'not-tried'
      chain.notTried.push(id)
      continue
    }
    if (input.countAhead) step.commitsAhead = (await commitsOnlyIn(ctx.repo, wp.tip, [chain.head])).length
    const result = await integrate(ctx, input, wp, chain.head, mergedSoFar, oursWins, replayed)
    if (result.kind === 'integrated') {
      chain.head = result.head
      step.outcome = 'merged'
      step.commits = result.commits
      chain.keptOurs.push(...result.keptOurs)
      mergedSoFar.push(id)
    } else if (result.kind === 'up-to-date') {
      step.outcome = 'already-merged'
    } else {
      blocked.add(id)
      step.outcome = 'not-tried'
      chain.errors.push(describeFailure(input, wp, result, mergedSoFar))
      if (result.kind === 'conflict') {
        chain.conflicts.push({
          wp_id: id,
          paths: result.conflicts.map((c) => c.path),
          ...(result.at ? { commit: result.at.oid } : {}),
        })
      }
    }
  }
  chain.keptOurs = [...new Set(chain.keptOurs)].sort()
  return chain
}

async function integrate(
  ctx: EngineContext,
  input: ChainInput,
  wp: WpToMerge,
  onto: string,
  mergedSoFar: string[],
  oursWins: (path: string) => boolean,
  replayed: Set<string>,
): Promise<Integration> {
  try {
    return await integrateBranch(ctx.repo, {
      strategy: input.strategy,
      onto,
      tip: wp.tip!,
      message: mergeCommitSubject(input.strategy, input.mission.identity.mission_slug, wp.id, input.target),
      committer: committer(ctx),
      oursWins,
      replayed,
    })
  } catch (err) {
    if (isKittyError(err)) throw err
    // Not a conflict: the repository could not be read or written (a missing object, a full disk).
    throw new KittyError(
      'MERGE_FAILED',
      `Merging ${wp.id} (branch ${wp.branch}) failed: ${(err as Error).message.split('\n')[0]}`,
      {
        ...identityOf(input.mission),
        target_branch: input.target,
        failed_wp: wp.id,
        conflicts: [],
        merged_so_far: [...mergedSoFar],
      },
    )
  }
}

function describeFailure(
  input: ChainInput,
  wp: WpToMerge,
  result: Exclude<Integration, { kind: 'integrated' } | { kind: 'up-to-date' }>,
  mergedSoFar: string[],
): string {
  if (result.kind === 'no-merge-base') return noMergeBaseSentence(wp.id, wp.branch, input.target, input.shallow)
  return conflictSentence({
    wpId: wp.id,
    branch: wp.branch,
    target: input.target,
    mergedBefore: mergedSoFar,
    paths: result.conflicts,
    commit: result.at,
  })
}
