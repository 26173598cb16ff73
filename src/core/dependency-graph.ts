import { KittyError } from './errors.ts'

export const WP_ID = /^WP\d{2,}$/

/**
 * A WP id as kitty keeps it: `WP` + the digits as written when there are at least two (`WP001` stays
 * `WP001`, `wp01` is `WP01`), padded to two when there is one (`WP1` → `WP01`). Upstream keeps ids as
 * written (`^WP\d{2,}$` in status/wp_metadata.py, `^WP\d+$` in its event store), so rewriting `WP001`
 * would name a WP upstream does not know (issue 21, D11). Null for anything that is not `WP` + digits.
 * A selector that names a WP by another spelling of its number is resolved by the mission (`wpNumber`).
 */
export function normalizeWpId(raw: string): string | null {
  const digits = /^wp(\d+)$/i.exec(raw.trim())?.[1]
  if (digits === undefined) return null
  return `WP${digits.padStart(2, '0')}`
}

/** The number a WP id names (`WP001` and `WP1` both name 1), or null for anything else. */
export function wpNumber(id: string): number | null {
  const digits = /^wp(\d+)$/i.exec(id.trim())?.[1]
  return digits === undefined ? null : Number(digits)
}

/** WP ids compare by number first so WP100 sorts after WP99; equal numbers fall back to text. */
export function compareWpIds(a: string, b: string): number {
  const na = Number(a.slice(2))
  const nb = Number(b.slice(2))
  if (na !== nb && Number.isFinite(na) && Number.isFinite(nb)) return na - nb
  return a < b ? -1 : a > b ? 1 : 0
}

export type DependencyParse = { ok: true; dependencies: string[] } | { ok: false; reason: string }

/**
 * Frontmatter `dependencies` in every form the corpus uses: a YAML list, null/absent, the string
 * `"[]"` or `"WP01, WP02"` (HEAD's coercions, docs/upstream-contract.md#wp-frontmatter-eras).
 */
export function parseDependencies(value: unknown, self?: string): DependencyParse {
  let items: unknown[]
  if (value === undefined || value === null || value === '') items = []
  else if (Array.isArray(value)) items = value
  else if (typeof value === 'string') {
    const inner = value.trim().replace(/^\[(.*)\]$/s, '$1')
    items = inner
      .split(',')
      .map((s) => s.trim().replace(/^["']|["']$/g, ''))
      .filter((s) => s !== '')
  } else return { ok: false, reason: 'dependencies must be a list of WP ids' }

  const deps: string[] = []
  for (const item of items) {
    const id = typeof item === 'string' ? normalizeWpId(item) : null
    if (id === null) return { ok: false, reason: `dependency ${JSON.stringify(item)} is not a WP id like WP01` }
    if (id === self) return { ok: false, reason: `${id} depends on itself` }
    if (!deps.includes(id)) deps.push(id)
  }
  return { ok: true, dependencies: deps }
}

export type DependencyGraph = ReadonlyMap<string, readonly string[]>

export interface UnknownDependency {
  wp_id: string
  dependency: string
}

export function findUnknownDependencies(graph: DependencyGraph): UnknownDependency[] {
  const out: UnknownDependency[] = []
  for (const id of [...graph.keys()].sort(compareWpIds)) {
    for (const dep of graph.get(id) ?? []) if (!graph.has(dep)) out.push({ wp_id: id, dependency: dep })
  }
  return out
}

/** The first cycle found by a depth-first search in WP-id order, as a closed path `[A, B, A]`. */
export function findCycle(graph: DependencyGraph): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (id: string): string[] | null => {
    state.set(id, 'visiting')
    stack.push(id)
    for (const dep of [...(graph.get(id) ?? [])].sort(compareWpIds)) {
      if (!graph.has(dep)) continue
      const s = state.get(dep)
      if (s === 'visiting') return [...stack.slice(stack.indexOf(dep)), dep]
      if (s === undefined) {
        const found = visit(dep)
        if (found) return found
      }
    }
    stack.pop()
    state.set(id, 'done')
    return null
  }
  for (const id of [...graph.keys()].sort(compareWpIds)) {
    if (!state.has(id)) {
      const found = visit(id)
      if (found) return found
    }
  }
  return null
}

export function cycleError(cycle: string[]): KittyError {
  return new KittyError(
    'DEPENDENCY_CYCLE',
    `Circular dependency detected: ${cycle.join(' → ')}. Remove one of these dependencies from the WP frontmatter.`,
    { cycle },
  )
}

export function unknownDependencyError(unknown: UnknownDependency[]): KittyError {
  const list = unknown.map((u) => `${u.wp_id} → ${u.dependency}`).join(', ')
  return new KittyError(
    'DEPENDENCY_CYCLE',
    `Unknown dependency: ${list}. Add the missing work package or remove it from the dependencies.`,
    { unknown_dependencies: unknown },
  )
}

/**
 * Kahn's algorithm with the ready set kept sorted by WP id (docs/upstream-contract.md#merge-order): deterministic, and
 * the order merge-mission uses. Throws DEPENDENCY_CYCLE for unknown dependencies or a cycle.
 */
export function topologicalOrder(graph: DependencyGraph): string[] {
  const unknown = findUnknownDependencies(graph)
  if (unknown.length > 0) throw unknownDependencyError(unknown)
  const cycle = findCycle(graph)
  if (cycle) throw cycleError(cycle)

  const remaining = new Map<string, number>()
  const dependents = new Map<string, string[]>()
  for (const [id, deps] of graph) {
    remaining.set(id, deps.length)
    for (const dep of deps) dependents.set(dep, [...(dependents.get(dep) ?? []), id])
  }
  const ready = [...remaining].filter(([, n]) => n === 0).map(([id]) => id)
  const order: string[] = []
  while (ready.length > 0) {
    ready.sort(compareWpIds)
    const id = ready.shift()!
    order.push(id)
    for (const next of dependents.get(id) ?? []) {
      const left = remaining.get(next)! - 1
      remaining.set(next, left)
      if (left === 0) ready.push(next)
    }
  }
  return order
}
