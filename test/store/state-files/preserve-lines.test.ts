import { describe, expect, it } from 'vitest'
import { parseFrontmatter, renderWpFile } from '../../../src/store/state-files/frontmatter.ts'
import { preserveUntouchedLines } from '../../../src/store/state-files/preserve-lines.ts'

/**
 * The re-rendering path: edits the in-place writer does not cover (a key that exists with no value, a
 * flow list with items) re-render the YAML and carry the edit back line by line. What it must keep.
 */
describe('preserveUntouchedLines', () => {
  it('keeps original bytes of lines the serializer only normalised, and takes the edited lines', () => {
    const original = ['title:   spaced   # note', '# full-line comment', "lane: 'planned'", 'x:  1']
    const base = ['title: spaced # note', '# full-line comment', 'lane: planned', 'x: 1']
    const edited = ['title: spaced # note', '# full-line comment', 'lane: done', 'x: 1', 'y: 2']
    expect(preserveUntouchedLines(original, base, edited)).toEqual([
      'title:   spaced   # note',
      '# full-line comment',
      'lane: done',
      'x:  1',
      'y: 2',
    ])
  })
  it('inserts lines at the start, between and after equal lines, and drops removed ones', () => {
    expect(preserveUntouchedLines(['a:  1', 'b: 2'], ['a: 1', 'b: 2'], ['z: 0', 'a: 1', 'b: 2'])).toEqual([
      'z: 0',
      'a:  1',
      'b: 2',
    ])
    expect(preserveUntouchedLines(['a: 1', 'b:  2', 'c: 3'], ['a: 1', 'b: 2', 'c: 3'], ['a: 1', 'c: 3'])).toEqual([
      'a: 1',
      'c: 3',
    ])
    expect(preserveUntouchedLines(['a: 1', 'b: 2'], ['a: 1', 'b: 2'], ['a: 1', 'n: 9', 'b: 2'])).toEqual([
      'a: 1',
      'n: 9',
      'b: 2',
    ])
    expect(preserveUntouchedLines([], [], ['n: 1'])).toEqual(['n: 1'])
  })
  it('a block the serializer rewrote as a unit stays original when the edit is outside it', () => {
    const original = ['k: >-', '  folded', '  text', 'z:   1']
    const base = ['k: >-', '  folded text', 'z: 1']
    expect(preserveUntouchedLines(original, base, [...base, 'n: 2'])).toEqual([...original, 'n: 2'])
  })
  it('drops every line of a removed run, not only its first', () => {
    const lines = ['a: 1', 'b: 2', 'c: 3', 'd: 4']
    expect(preserveUntouchedLines(lines, lines, ['a: 1', 'd: 4'])).toEqual(['a: 1', 'd: 4'])
  })
  it('a rewritten block (unequal sizes) that the edit reaches is taken from the rendering: a changed line', () => {
    const original = ['k:   one', 'm:   two', '  # note']
    const base = ['k: one', 'm: two']
    expect(preserveUntouchedLines(original, base, ['k: one', 'm: 2'])).toEqual(['k: one', 'm: 2'])
  })
  it('a rewritten block (unequal sizes) that the edit reaches is taken from the rendering: a line inserted inside it', () => {
    const original = ['k:   one', 'm:   two', '  # note']
    const base = ['k: one', 'm: two']
    expect(preserveUntouchedLines(original, base, ['k: one', 'n: new', 'm: two'])).toEqual([
      'k: one',
      'n: new',
      'm: two',
    ])
    // After its last line, the block stays as it was.
    expect(preserveUntouchedLines(original, base, ['k: one', 'm: two', 'n: new'])).toEqual([...original, 'n: new'])
  })
})

describe('frontmatter edits through the re-rendering path keep untouched lines', () => {
  it('a key present with no value is set; comments, spacing and quoting elsewhere survive', () => {
    const text =
      "---\n# a full-line comment\ntitle:   spaced   # note\nassignee:\nlane: 'planned'  # why\n  # indented comment\nsubtasks: [T001,  T002]\n---\nbody\n"
    const out = renderWpFile(parseFrontmatter(text, 'x.md'), [{ kind: 'set', key: 'assignee', value: 'claude' }])
    expect(out).toBe(
      "---\n# a full-line comment\ntitle:   spaced   # note\nassignee: claude\nlane: 'planned'  # why\n  # indented comment\nsubtasks: [T001,  T002]\n---\nbody\n",
    )
  })
  it('a history append to a flow list with items', () => {
    const text = '---\n# a full-line comment\ntitle:   spaced   # note\nhistory: [{lane: planned}]\nz:  "q"\n---\n'
    const entry = { lane: 'done' }
    const out = renderWpFile(parseFrontmatter(text, 'x.md'), [{ kind: 'append', key: 'history', item: entry }])
    expect(out.split('\n').slice(0, 3)).toEqual(['---', '# a full-line comment', 'title:   spaced   # note'])
    expect(out).toContain('\nz:  "q"\n')
    expect(parseFrontmatter(out, 'x.md').data['history']).toEqual([{ lane: 'planned' }, entry])
  })
})
