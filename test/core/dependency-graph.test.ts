import { describe, expect, it } from 'vitest'
import {
  compareWpIds,
  cycleError,
  findCycle,
  findUnknownDependencies,
  normalizeWpId,
  wpNumber,
  parseDependencies,
  topologicalOrder,
  unknownDependencyError,
} from '../../src/core/dependency-graph.ts'

const graph = (o: Record<string, string[]>) => new Map(Object.entries(o))

describe('dependencies', () => {
  it('parses every form the corpus uses', () => {
    expect(parseDependencies(['WP01', 'WP02'])).toEqual({ ok: true, dependencies: ['WP01', 'WP02'] })
    expect(parseDependencies('WP01, WP02')).toEqual({ ok: true, dependencies: ['WP01', 'WP02'] })
    expect(parseDependencies('[]')).toEqual({ ok: true, dependencies: [] })
    expect(parseDependencies('["WP03"]')).toEqual({ ok: true, dependencies: ['WP03'] })
    expect(parseDependencies(null)).toEqual({ ok: true, dependencies: [] })
    expect(parseDependencies(undefined)).toEqual({ ok: true, dependencies: [] })
  })
  it('WP1 ≡ WP01 ≡ wp01 → WP01; WP001 stays WP001 as upstream keeps it (issue 21, D11)', () => {
    for (const raw of ['WP1', 'WP01', 'wp01', ' WP1 ']) expect(normalizeWpId(raw)).toBe('WP01')
    expect(normalizeWpId('Wp001')).toBe('WP001')
    expect(normalizeWpId('wp100')).toBe('WP100')
    expect(normalizeWpId('WP0')).toBe('WP00')
    for (const raw of ['WP', 'WP1x', 'T001', 'WP-1', '']) expect(normalizeWpId(raw)).toBeNull()
    expect(parseDependencies(['wp1', 'WP01', 'WP002'])).toEqual({ ok: true, dependencies: ['WP01', 'WP002'] })
    expect(parseDependencies('wp3')).toEqual({ ok: true, dependencies: ['WP03'] })
    expect(parseDependencies(['wp2'], 'WP02').ok).toBe(false)
  })
  it('refuses non-ids, maps and self-references', () => {
    expect(parseDependencies(['WP1x']).ok).toBe(false)
    expect(parseDependencies({ a: 1 }).ok).toBe(false)
    expect(parseDependencies(['WP02'], 'WP02').ok).toBe(false)
  })
  it('orders ids numerically', () => {
    expect(['WP10', 'WP2', 'WP01', 'WP100', 'WP09'].sort(compareWpIds)).toEqual([
      'WP01',
      'WP2',
      'WP09',
      'WP10',
      'WP100',
    ])
  })
})

describe('topological order (Kahn, ties by WP id)', () => {
  it('orders a diamond with ties broken by id', () => {
    const g = graph({ WP04: ['WP02', 'WP03'], WP03: ['WP01'], WP02: ['WP01'], WP01: [], WP05: [] })
    expect(topologicalOrder(g)).toEqual(['WP01', 'WP02', 'WP03', 'WP04', 'WP05'])
  })
  it('puts independent WPs in id order', () => {
    expect(topologicalOrder(graph({ WP03: [], WP01: [], WP02: [] }))).toEqual(['WP01', 'WP02', 'WP03'])
  })
  it('a dependent comes after its dependency even with a smaller id', () => {
    expect(topologicalOrder(graph({ WP01: ['WP03'], WP02: [], WP03: [] }))).toEqual(['WP02', 'WP03', 'WP01'])
  })
  it('reports a cycle as a closed path', () => {
    const g = graph({ WP01: ['WP02'], WP02: ['WP03'], WP03: ['WP01'], WP04: [] })
    expect(findCycle(g)).toEqual(['WP01', 'WP02', 'WP03', 'WP01'])
    expect(() => topologicalOrder(g)).toThrow(
      expect.objectContaining({ code: 'DEPENDENCY_CYCLE', data: { cycle: ['WP01', 'WP02', 'WP03', 'WP01'] } }),
    )
  })
  it('reports unknown dependencies', () => {
    expect(() => topologicalOrder(graph({ WP01: ['WP09'] }))).toThrow(
      expect.objectContaining({
        code: 'DEPENDENCY_CYCLE',
        data: { unknown_dependencies: [{ wp_id: 'WP01', dependency: 'WP09' }] },
      }),
    )
  })
})

describe('normalizeWpId', () => {
  it('the whole text must be the id: nothing before WP', () => {
    expect(normalizeWpId('xWP01')).toBeNull()
    expect(normalizeWpId('my-wp1')).toBeNull()
  })
  it('keeps the digits as written when there are two or more, pads a single digit to two', () => {
    expect(normalizeWpId('WP0001')).toBe('WP0001')
    expect(normalizeWpId('WP00012')).toBe('WP00012')
    expect(normalizeWpId('WP000')).toBe('WP000')
    expect(normalizeWpId('wp7')).toBe('WP07')
  })
  it('wpNumber: every spelling of one number names it', () => {
    for (const raw of ['WP1', 'WP01', 'wp001']) expect(wpNumber(raw)).toBe(1)
    expect(wpNumber('T001')).toBeNull()
  })
})

describe('compareWpIds', () => {
  it('equal numbers fall back to the text, so WP01 and WP1 still have a fixed order', () => {
    expect(compareWpIds('WP01', 'WP1')).toBe(-1)
    expect(compareWpIds('WP1', 'WP01')).toBe(1)
    expect(compareWpIds('WP01', 'WP01')).toBe(0)
  })
  it('an id without a number sorts by text against a numbered one, never NaN', () => {
    expect(compareWpIds('WPa', 'WP1')).toBe(1)
    expect(compareWpIds('WP1', 'WPa')).toBe(-1)
    expect(compareWpIds('WPa', 'WP9')).toBe(1)
  })
  it('by number first', () => {
    expect(compareWpIds('WP2', 'WP10')).toBeLessThan(0)
    expect(compareWpIds('WP10', 'WP9')).toBeGreaterThan(0)
  })
})

describe('parseDependencies', () => {
  it('a list written as one string may carry spaces around the brackets and quotes around the ids', () => {
    expect(parseDependencies(' [WP01, WP02] ')).toEqual({ ok: true, dependencies: ['WP01', 'WP02'] })
    expect(parseDependencies('WP01, "WP02", \'WP3\'')).toEqual({ ok: true, dependencies: ['WP01', 'WP02', 'WP03'] })
    expect(parseDependencies('')).toEqual({ ok: true, dependencies: [] })
    expect(parseDependencies('WP01, WP1')).toEqual({ ok: true, dependencies: ['WP01'] })
  })
  it('brackets and quotes count only around the whole list and around each id', () => {
    expect(parseDependencies('WP01, [WP02]')).toEqual({
      ok: false,
      reason: 'dependency "[WP02]" is not a WP id like WP01',
    })
    expect(parseDependencies('[WP01], WP02')).toEqual({
      ok: false,
      reason: 'dependency "[WP01]" is not a WP id like WP01',
    })
    expect(parseDependencies("WP0'2")).toEqual({ ok: false, reason: 'dependency "WP0\'2" is not a WP id like WP01' })
  })
  it('refuses with a reason that says what is wrong', () => {
    expect(parseDependencies({ a: 1 })).toEqual({ ok: false, reason: 'dependencies must be a list of WP ids' })
    expect(parseDependencies(5)).toEqual({ ok: false, reason: 'dependencies must be a list of WP ids' })
    expect(parseDependencies([5])).toEqual({ ok: false, reason: 'dependency 5 is not a WP id like WP01' })
    expect(parseDependencies([null])).toEqual({ ok: false, reason: 'dependency null is not a WP id like WP01' })
    expect(parseDependencies(['WP1x'])).toEqual({ ok: false, reason: 'dependency "WP1x" is not a WP id like WP01' })
    expect(parseDependencies(['WP01', 'wp2'], 'WP02')).toEqual({ ok: false, reason: 'WP02 depends on itself' })
  })
})

describe('findUnknownDependencies', () => {
  it('lists every unknown dependency, by WP id whatever the map order', () => {
    expect(findUnknownDependencies(graph({ WP10: ['WP99'], WP02: ['WP01', 'WP98', 'WP97'], WP01: [] }))).toEqual([
      { wp_id: 'WP02', dependency: 'WP98' },
      { wp_id: 'WP02', dependency: 'WP97' },
      { wp_id: 'WP10', dependency: 'WP99' },
    ])
  })
})

describe('findCycle', () => {
  it('no cycle: null, also when one WP is reached along two paths', () => {
    expect(findCycle(graph({ WP01: ['WP02'], WP02: [], WP03: ['WP01'] }))).toBeNull()
    expect(findCycle(graph({ WP01: ['WP02', 'WP03'], WP02: ['WP04'], WP03: ['WP04'], WP04: [] }))).toBeNull()
    expect(findCycle(graph({ WP01: ['WP09'] }))).toBeNull()
  })
  it('the cycle is only the closed path, not the way in', () => {
    expect(findCycle(graph({ WP01: ['WP02'], WP02: ['WP03'], WP03: ['WP02'] }))).toEqual(['WP02', 'WP03', 'WP02'])
  })
  it('finished WPs are not part of a later cycle', () => {
    expect(findCycle(graph({ WP01: ['WP02', 'WP03'], WP02: [], WP03: ['WP01'] }))).toEqual(['WP01', 'WP03', 'WP01'])
  })
  it('dependencies and roots are walked in WP-id order, whatever the map order', () => {
    expect(findCycle(graph({ WP01: ['WP03', 'WP02'], WP02: ['WP01'], WP03: ['WP01'] }))).toEqual([
      'WP01',
      'WP02',
      'WP01',
    ])
    expect(findCycle(graph({ WP03: ['WP04'], WP04: ['WP03'], WP01: ['WP02'], WP02: ['WP01'] }))).toEqual([
      'WP01',
      'WP02',
      'WP01',
    ])
  })
  it('a cycle away from the first root is still found', () => {
    expect(findCycle(graph({ WP01: [], WP02: ['WP03'], WP03: ['WP02'] }))).toEqual(['WP02', 'WP03', 'WP02'])
  })
  it('a wide, deep graph is searched once per WP (finished WPs are not walked again)', () => {
    // 30 layers of 2 WPs, each depending on both WPs of the layer below: 2^30 paths, 60 WPs.
    const g = new Map<string, string[]>()
    for (let layer = 0; layer < 30; layer++) {
      const below = layer === 0 ? [] : [`WP${2 * layer - 1}`, `WP${2 * layer}`]
      g.set(`WP${2 * layer + 1}`, below).set(`WP${2 * layer + 2}`, below)
    }
    expect(findCycle(g)).toBeNull()
    expect(topologicalOrder(g)).toHaveLength(60)
  })
})

describe('dependency errors', () => {
  it('a cycle names its path and the fix', () => {
    const err = cycleError(['WP01', 'WP02', 'WP01'])
    expect(err.code).toBe('DEPENDENCY_CYCLE')
    expect(err.message).toBe(
      'Circular dependency detected: WP01 → WP02 → WP01. Remove one of these dependencies from the WP frontmatter.',
    )
  })
  it('unknown dependencies are listed as edges, with the fix', () => {
    const unknown = [
      { wp_id: 'WP01', dependency: 'WP08' },
      { wp_id: 'WP02', dependency: 'WP09' },
    ]
    const err = unknownDependencyError(unknown)
    expect(err.code).toBe('DEPENDENCY_CYCLE')
    expect(err.message).toBe(
      'Unknown dependency: WP01 → WP08, WP02 → WP09. Add the missing work package or remove it from the dependencies.',
    )
    expect(err.data).toEqual({ unknown_dependencies: unknown })
  })
  it('topologicalOrder throws them with the same words', () => {
    expect(() => topologicalOrder(graph({ WP01: ['WP09'] }))).toThrow(
      'Unknown dependency: WP01 → WP09. Add the missing work package or remove it from the dependencies.',
    )
    expect(() => topologicalOrder(graph({ WP01: ['WP01'] }))).toThrow(
      'Circular dependency detected: WP01 → WP01. Remove one of these dependencies from the WP frontmatter.',
    )
  })
})
