/** The nine public lanes of contract 1.3.0, in display order (docs/upstream-contract.md#the-lanes). */
export const LANES = [
  'planned',
  'claimed',
  'in_progress',
  'for_review',
  'in_review',
  'approved',
  'done',
  'blocked',
  'canceled',
] as const

export type Lane = (typeof LANES)[number]

/** Input-only aliases. `doing` is the 0.x name of in_progress; output is always canonical. */
export const LANE_ALIASES: Readonly<Record<string, Lane>> = { doing: 'in_progress' }

/** Targets that need a `--policy` on `transition` (docs/upstream-contract.md#lanes-that-need-a-policy, HEAD set). */
export const POLICY_REQUIRED_LANES: ReadonlySet<Lane> = new Set<Lane>([
  'claimed',
  'in_progress',
  'for_review',
  'in_review',
  'approved',
])

/** A dependency counts as satisfied once its WP is approved or done (HEAD rule). */
export const DEPENDENCY_SATISFIED_LANES: ReadonlySet<Lane> = new Set<Lane>(['approved', 'done'])

export function isLane(value: string): value is Lane {
  return (LANES as readonly string[]).includes(value)
}

/** Strip, lowercase, resolve aliases. Returns null for anything that is not a lane. */
export function normalizeLane(input: string): Lane | null {
  const folded = input.trim().toLowerCase()
  const resolved = LANE_ALIASES[folded] ?? folded
  return isLane(resolved) ? resolved : null
}

export type LaneSummary = Record<Lane, number>

export function emptySummary(): LaneSummary {
  return Object.fromEntries(LANES.map((lane) => [lane, 0])) as LaneSummary
}
