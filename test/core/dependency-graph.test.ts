import { describe, expect, it } from 'vitest'
import { compareWpIds, findCycle, normalizeWpId, parseDependencies, topologicalOrder } from '../../src/core/dependency-graph.ts'

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
  it('normalises every spelling of an id: WP1 ≡ WP01 ≡ wp01 ≡ WP001 → WP01', () => {
    for (const raw of ['WP1', 'WP01', 'wp01', 'Wp001', ' WP1 ']) expect(normalizeWpId(raw)).toBe('WP01')
    expect(normalizeWpId('wp100')).toBe('WP100')
    expect(normalizeWpId('WP0')).toBe('WP00')
    for (const raw of ['WP', 'WP1x', 'T001', 'WP-1', '']) expect(normalizeWpId(raw)).toBeNull()
    expect(parseDependencies(['wp1', 'WP01', 'WP002'])).toEqual({ ok: true, dependencies: ['WP01', 'WP02'] })
    expect(parseDependencies('wp3')).toEqual({ ok: true, dependencies: ['WP03'] })
    expect(parseDependencies(['wp2'], 'WP02').ok).toBe(false)
  })
  it('refuses non-ids, maps and self-references', () => {
    expect(parseDependencies(['WP1x']).ok).toBe(false)
    expect(parseDependencies({ a: 1 }).ok).toBe(false)
    expect(parseDependencies(['WP02'], 'WP02').ok).toBe(false)
  })
  it('orders ids numerically', () => {
    expect(['WP10', 'WP2', 'WP01', 'WP100', 'WP09'].sort(compareWpIds)).toEqual(['WP01', 'WP2', 'WP09', 'WP10', 'WP100'])
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
    expect(() => topologicalOrder(g)).toThrow(expect.objectContaining({ code: 'DEPENDENCY_CYCLE', data: { cycle: ['WP01', 'WP02', 'WP03', 'WP01'] } }))
  })
  it('reports unknown dependencies', () => {
    expect(() => topologicalOrder(graph({ WP01: ['WP09'] }))).toThrow(
      expect.objectContaining({ code: 'DEPENDENCY_CYCLE', data: { unknown_dependencies: [{ wp_id: 'WP01', dependency: 'WP09' }] } }),
    )
  })
})
