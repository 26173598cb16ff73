import type { Rng } from './random.ts'
import { createRng, subSeed, ulid } from './random.ts'
import { AGENTS, ASPECTS, REVIEWERS, SUBJECTS, VERBS } from './vocabulary.ts'

/**
 * The in-memory state of a synthetic repository: missions and WPs as data, rendered to files on each
 * commit. Bodies are not kept; they are re-rendered from a per-WP seed (20,000 WPs × a few KB).
 */

export type Lane = 'planned' | 'in_progress' | 'for_review' | 'approved' | 'done'

export interface HistoryEntry {
  timestamp: string
  lane: Lane
  agent: string
  shellPid: string
  action: string
}

export interface Subtask {
  id: string
  title: string
}

export interface WpModel {
  id: string
  title: string
  fileName: string
  deps: string[]
  subtasks: Subtask[]
  phase: string
  createdAt: string
  lane: Lane
  target: Lane
  assignee: string
  agent: string
  shellPid: string
  reviewStatus: string
  reviewedBy: string
  history: HistoryEntry[]
  activity: string[]
  bodySeed: number
}

export interface MissionModel {
  number: number
  slug: string
  friendlyName: string
  createdAt: string
  missionId: string | null
  /** The corpus has both spec-kitty's double-quoted frontmatter and PyYAML's plain style. */
  style: 'quoted' | 'plain'
  wps: WpModel[]
}

export interface ModelOptions {
  wpsPerMission: number
  doneFraction: number
  ulidFraction: number
  seed: number
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

export function kebab(words: string): string {
  return words
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
}

/** Chains and diamonds: WP02→WP01, WP03→WP01, WP04→[WP02,WP03], WP05→WP04, and again from WP05. */
export function dependenciesOf(index: number): number[] {
  if (index === 1) return []
  switch (index % 4) {
    case 2:
      return [index - 1]
    case 3:
      return [index - 2]
    case 0:
      return [index - 2, index - 1]
    default:
      return [index - 1]
  }
}

function titleCase(s: string): string {
  return s.replace(/\b[a-z]/g, (c) => c.toUpperCase())
}

function phrase(rng: Rng): string {
  return `${rng.pick(VERBS)} ${rng.pick(SUBJECTS)} ${rng.pick(ASPECTS)}`
}

/** How many leading WPs end approved/done: around the fraction, but never all, so list-ready has work. */
function doneCount(rng: Rng, total: number, fraction: number): number {
  if (fraction <= 0 || total <= 1) return 0
  const base = Math.round(total * fraction)
  return Math.max(0, Math.min(total - 1, base + rng.int(-2, 2)))
}

function targetLane(index: number, finished: number): Lane {
  if (index > finished) return 'planned'
  return index === finished ? 'approved' : 'done'
}

function makeWp(
  rng: Rng,
  missionSeed: number,
  index: number,
  firstSubtask: number,
  finished: number,
  createdAt: string,
): WpModel {
  const id = `WP${pad(index, 2)}`
  const title = titleCase(phrase(rng))
  const subtasks: Subtask[] = []
  const count = rng.int(3, 6)
  for (let k = 0; k < count; k++) {
    subtasks.push({
      id: `T${pad(firstSubtask + k, 3)}`,
      title: `${titleCase(rng.pick(VERBS))} ${rng.pick(SUBJECTS)} ${rng.pick(ASPECTS)}`,
    })
  }
  return {
    id,
    title,
    fileName: `${id}-${kebab(title)}.md`,
    deps: dependenciesOf(index).map((d) => `WP${pad(d, 2)}`),
    subtasks,
    phase: `Phase ${Math.floor((index - 1) / 4)} - ${titleCase(rng.pick(SUBJECTS))}`,
    createdAt,
    lane: 'planned',
    target: targetLane(index, finished),
    assignee: '',
    agent: '',
    shellPid: '',
    reviewStatus: '',
    reviewedBy: '',
    history: [
      {
        timestamp: createdAt,
        lane: 'planned',
        agent: 'system',
        shellPid: '',
        action: 'Prompt generated via /spec-kitty.tasks',
      },
    ],
    activity: [`- ${createdAt} – system – lane=planned – Prompt created.`],
    bodySeed: subSeed(missionSeed, index),
  }
}

export function makeMission(number: number, createdMs: number, opts: ModelOptions): MissionModel {
  const seed = subSeed(opts.seed, number)
  const rng = createRng(seed)
  const friendlyName = titleCase(
    `${rng.pick(SUBJECTS)} ${rng.pick(ASPECTS)} ${rng.pick(['Rework', 'Integration', 'Hardening', 'Cleanup', 'Sprint'])}`,
  )
  const createdAt = isoSeconds(createdMs)
  const finished = doneCount(rng, opts.wpsPerMission, opts.doneFraction)
  const wps: WpModel[] = []
  let nextSubtask = 1
  for (let i = 1; i <= opts.wpsPerMission; i++) {
    const wp = makeWp(rng, seed, i, nextSubtask, finished, createdAt)
    nextSubtask += wp.subtasks.length
    wps.push(wp)
  }
  return {
    number,
    slug: `${pad(number, 3)}-${kebab(friendlyName)}`,
    friendlyName,
    createdAt,
    missionId: rng.chance(opts.ulidFraction) ? ulid(createdMs, rng) : null,
    style: rng.chance(0.5) ? 'quoted' : 'plain',
    wps,
  }
}

const NEXT: Record<Lane, Lane | null> = {
  planned: 'in_progress',
  in_progress: 'for_review',
  for_review: 'approved',
  approved: 'done',
  done: null,
}

export function needsProgress(wp: WpModel): boolean {
  return wp.lane !== wp.target
}

/** Move a WP one lane towards its target, the way spec-kitty's move-task edits frontmatter and log. */
export function advance(wp: WpModel, rng: Rng, timestamp: string): void {
  const to = NEXT[wp.lane]
  if (to === null || !needsProgress(wp)) return
  let action: string
  if (to === 'in_progress') {
    wp.agent = rng.pick(AGENTS)
    wp.assignee = wp.agent
    wp.shellPid = String(rng.int(1000, 99999))
    action = 'Started implementation via workflow command'
  } else if (to === 'for_review') {
    action = `Ready for review: ${phrase(rng)}, tests passing`
  } else if (to === 'approved') {
    wp.reviewStatus = 'approved'
    wp.reviewedBy = rng.pick(REVIEWERS)
    action = 'Review passed: all subtasks implemented, code follows the plan'
  } else {
    action = 'Merged into main'
  }
  wp.lane = to
  wp.history.push({ timestamp, lane: to, agent: wp.agent, shellPid: wp.shellPid, action })
  wp.activity.push(`- ${timestamp} – ${wp.agent} – shell_pid=${wp.shellPid} – lane=${to} – ${action}`)
}

/** An Activity Log note that changes no frontmatter (most commits in a real repo are like this). */
export function addNote(wp: WpModel, rng: Rng, timestamp: string): void {
  const who = wp.agent || 'system'
  wp.activity.push(`- ${timestamp} – ${who} – lane=${wp.lane} – Note: ${phrase(rng)}.`)
}
