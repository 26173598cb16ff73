import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FrontmatterEdit } from '../../../src/store/state-files/frontmatter.ts'
import { parseFrontmatter, renderWpFile } from '../../../src/store/state-files/frontmatter.ts'
import { expectKept, frontmatterFor, wpText } from '../../helpers/frontmatter-arb.ts'

const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100) * 3
const entry = { timestamp: '2026-11-22T10:00:00Z', lane: 'for_review', agent: 'claude', shell_pid: '', action: 'moved' }
const append: FrontmatterEdit = { kind: 'append', key: 'history', item: entry }

/**
 * The frontmatter edits of each write path (engine/lanes/plan-lane-change.ts, engine/merge/record-merge.ts,
 * engine/commands/append-history.ts).
 */
const WRITES: [string, FrontmatterEdit[], string[]][] = [
  ['append-history (body only)', [], []],
  ['a lane change', [{ kind: 'set', key: 'lane', value: 'for_review' }, append], ['lane', 'history']],
  [
    'start-implementation',
    [
      { kind: 'set', key: 'lane', value: 'in_progress' },
      { kind: 'set', key: 'assignee', value: 'claude' },
      { kind: 'set', key: 'agent', value: 'claude' },
      append,
    ],
    ['lane', 'history', 'assignee', 'agent'],
  ],
  [
    'start-review',
    [
      { kind: 'set', key: 'lane', value: 'in_review' },
      { kind: 'set', key: 'reviewer', value: 'r' },
      { kind: 'set', key: 'review_ref', value: 'pr#1' },
      append,
    ],
    ['lane', 'history', 'reviewer', 'review_ref'],
  ],
  ['a history append alone', [append], ['history']],
]

describe('property: frontmatter edits keep untouched lines byte for byte (issue 15)', () => {
  it.each(WRITES)(`%s (${RUNS} runs)`, (_name, edits, touched) => {
    let appended = 0
    fc.assert(
      fc.property(frontmatterFor('WP01'), fc.boolean(), (fm, crlf) => {
        const lf = wpText(fm, 'WP01')
        const text = crlf ? lf.replace(/\n/g, '\r\n') : lf
        const file = parseFrontmatter(text, 'WP01.md')
        const out = renderWpFile(file, edits)
        if (crlf) expect(out.replace(/\r\n/g, '')).not.toContain('\n')
        expectKept(lf, out.replace(/\r\n/g, '\n'), touched, 'edit')
        const data = parseFrontmatter(out, 'WP01.md').data
        for (const edit of edits) {
          if (edit.kind === 'set') expect(data[edit.key]).toBe(edit.value)
          else if (edit.kind === 'append') {
            const before = (file.data[edit.key] as unknown[] | undefined) ?? []
            expect(data[edit.key]).toEqual([...before, edit.item])
            appended++
          }
        }
        // Keys the edit does not name keep their values, and their order.
        const others = (d: Record<string, unknown>) => Object.keys(d).filter((k) => !touched.includes(k))
        expect(others(data)).toEqual(others(file.data))
        for (const key of others(file.data)) expect(data[key]).toEqual(file.data[key])
      }),
      { numRuns: RUNS },
    )
    if (edits.some((e) => e.kind === 'append')) expect(appended).toBe(RUNS)
  })
})
