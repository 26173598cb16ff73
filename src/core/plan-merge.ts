import type { DependencyGraph } from './dependency-graph.ts'
import { findCycle, findUnknownDependencies, topologicalOrder } from './dependency-graph.ts'
import type { Lane } from './lanes.ts'
import { DEPENDENCY_SATISFIED_LANES } from './lanes.ts'

/**
 * merge-mission's pure decisions: strategies, merge order, commit subjects, the next mission number,
 * and the preflight's sentences (each names the problem and how to fix it).
 */

export const MERGE_STRATEGIES = ['merge', 'rebase', 'squash'] as const
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number]

export function isMergeStrategy(value: string): value is MergeStrategy {
  return (MERGE_STRATEGIES as readonly string[]).includes(value)
}

/** The one commit a WP becomes under merge or squash (upstream's messages). */
export function mergeCommitSubject(strategy: MergeStrategy, mission: string, wpId: string, target: string): string {
  return `${strategy === 'squash' ? 'squash merge' : 'merge'}: ${mission}/${wpId} into ${target}`
}

export function nextMissionNumber(numbers: ReadonlyArray<number | null>): number {
  return numbers.reduce<number>((max, n) => (n !== null && n > max ? n : max), 0) + 1
}

const LANE_FIX: Partial<Record<Lane, string>> = {
  planned: 'implement it, get it reviewed and move it to approved',
  claimed: 'implement it, get it reviewed and move it to approved',
  in_progress: 'finish it, get it reviewed and move it to approved',
  for_review: 'review it and move it to approved',
  in_review: 'finish the review and move it to approved',
  blocked: 'unblock and finish it, then move it to approved',
  canceled: 'remove its task file from the mission, or move it to approved if it is to be merged after all,',
}

/** Null when the WP may be merged (approved or done). */
export function laneProblem(wpId: string, lane: Lane, where: string): string | null {
  if (DEPENDENCY_SATISFIED_LANES.has(lane)) return null
  return `${wpId} is ${lane} on ${where}; ${LANE_FIX[lane] ?? 'move it to approved'} before merging.`
}

export interface MergeOrder {
  /** Null when the dependencies admit no order. */
  order: string[] | null
  errors: string[]
}

/**
 * Topological over the dependencies, ties by WP id (docs/upstream-contract.md#merge-order); unknown and circular ones
 * are errors.
 */
export function planMergeOrder(graph: DependencyGraph): MergeOrder {
  const errors: string[] = []
  for (const u of findUnknownDependencies(graph)) {
    errors.push(
      `${u.wp_id} depends on ${u.dependency}, which is not a work package of this mission; remove it from ${u.wp_id}'s dependencies or add ${u.dependency}.`,
    )
  }
  const cycle = findCycle(graph)
  if (cycle) {
    errors.push(`Circular dependency: ${cycle.join(' → ')}; remove one of these dependencies from the WP frontmatter.`)
  }
  return errors.length > 0 ? { order: null, errors } : { order: topologicalOrder(graph), errors }
}

export interface ConflictReport {
  wpId: string
  branch: string
  target: string
  mergedBefore: readonly string[]
  paths: ReadonlyArray<{ path: string; kind: string }>
  /** For rebase: the branch commit being replayed. */
  commit?: { oid: string; subject: string } | undefined
}

export function conflictSentence(r: ConflictReport): string {
  const onto = r.mergedBefore.length > 0 ? `${r.target} (after merging ${r.mergedBefore.join(', ')})` : r.target
  const what = r.commit
    ? `${r.wpId}'s commit ${r.commit.oid.slice(0, 7)} "${r.commit.subject}"`
    : `${r.wpId} (branch ${r.branch})`
  const paths = r.paths.map((p) => (p.kind === 'content' ? p.path : `${p.path} (${p.kind})`)).join(', ')
  return (
    `${what} conflicts with ${onto} in ${paths}; ` +
    `merge ${r.target} into ${r.branch}, resolve the conflicts there and commit, then run merge-mission again.`
  )
}

export function noMergeBaseSentence(wpId: string, branch: string, target: string, shallow: boolean): string {
  return shallow
    ? `${wpId}'s branch ${branch} shares no history with ${target} in this shallow clone; fetch the full history (git fetch --unshallow) and run merge-mission again.`
    : `${wpId}'s branch ${branch} shares no history with ${target}; recreate the branch from ${target} and re-apply its changes.`
}
