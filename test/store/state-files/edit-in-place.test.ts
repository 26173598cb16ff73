import { describe, expect, it } from 'vitest'
import { appendActivityLog } from '../../../src/store/state-files/activity-log.ts'
import type { FrontmatterEdit } from '../../../src/store/state-files/frontmatter.ts'
import { parseFrontmatter, renderWpFile } from '../../../src/store/state-files/frontmatter.ts'
import { editMetaJson } from '../../../src/store/state-files/meta-json.ts'
import type { SourceEdit } from '../../../src/store/state-files/edit-in-place.ts'
import { addKeyInPlace, appendItemInPlace, editInPlace } from '../../../src/store/state-files/edit-in-place.ts'
import { parseDocument, Scalar, YAMLMap } from 'yaml'

const done = { kind: 'append', key: 'history', item: { lane: 'done' } } as const
const set = (key: string, value: string): FrontmatterEdit => ({ kind: 'set', key, value })

/** Shapes at the edges of the in-place writer (and where it hands over to the re-rendering). */
describe('frontmatter edits at the edges', () => {
  it.each<[string, string, FrontmatterEdit[], string]>([
    ['a key into empty frontmatter', '---\n---\nbody', [set('assignee', 'a')], '---\nassignee: a\n---\nbody'],
    ['a list into empty frontmatter', '---\n---\n', [done], '---\nhistory:\n- lane: done\n---\n'],
    [
      'a missing list, after the last key',
      '---\ntitle: x\n---\n',
      [done],
      '---\ntitle: x\nhistory:\n- lane: done\n---\n',
    ],
    [
      'a missing list, indented like the file’s other lists',
      '---\ntitle: x\nlist:\n  - a: 1\n---\n',
      [done],
      '---\ntitle: x\nlist:\n  - a: 1\nhistory:\n  - lane: done\n---\n',
    ],
    [
      'an empty flow list keeps its trailing comment',
      '---\nhistory: []   # none yet\nz: 1\n---\n',
      [done],
      '---\nhistory:   # none yet\n- lane: done\nz: 1\n---\n',
    ],
    ['an empty flow list', '---\nhistory: []\n---\n', [done], '---\nhistory:\n- lane: done\n---\n'],
    [
      'after the last item, before a comment that follows the list',
      '---\nhistory:\n  - lane: a\n    agent: x\n# after\nz:   1\n---\n',
      [done],
      '---\nhistory:\n  - lane: a\n    agent: x\n  - lane: done\n# after\nz:   1\n---\n',
    ],
    [
      'CRLF, an item and a key',
      '---\r\nhistory:\r\n- lane: a\r\nz:   1\r\n---\r\n',
      [done, set('k', 'v')],
      '---\r\nhistory:\r\n- lane: a\r\n- lane: done\r\nz:   1\r\nk: v\r\n---\r\n',
    ],
    [
      'a flow mapping as the whole frontmatter (re-rendered)',
      '---\n{a: 1}\n---\n',
      [set('k', 'v')],
      '---\n{a: 1, k: v}\n---\n',
    ],
    [
      'a scalar where the list should be (re-rendered)',
      '---\nhistory: x\n---\n',
      [done],
      '---\nhistory:\n- lane: done\n---\n',
    ],
    [
      'a multi-line value (re-rendered)',
      '---\nk: "multi\n  line"\n---\n',
      [set('n', 'a\nb')],
      '---\nk: "multi\n  line"\nn: |-\n  a\n  b\n---\n',
    ],
    ['a list of lists', '---\nhistory:\n- - nested\n---\n', [done], '---\nhistory:\n- - nested\n- lane: done\n---\n'],
    ['frontmatter without a final line break', '---\ntitle: x', [], ''],
  ])('%s', (_name, text, edits, expected) => {
    if (expected === '')
      return expect(() => parseFrontmatter(text, 'x.md')).toThrow(expect.objectContaining({ code: 'WP_FILE_INVALID' }))
    expect(renderWpFile(parseFrontmatter(text, 'x.md'), edits)).toBe(expected)
  })

  it('a last list item without a line break before the closing fence is impossible, but a YAML text without one still gets lines', async () => {
    const { editInPlace, appendItemInPlace, addKeyInPlace } = await import(
      '../../../src/store/state-files/edit-in-place.ts'
    )
    const { Scalar, YAMLMap } = await import('yaml')
    const item = new YAMLMap()
    item.set('lane', new Scalar('done'))
    expect(
      editInPlace('history:\n- lane: a', [appendItemInPlace('history', item, '')], '\n', {
        history: [{ lane: 'a' }, { lane: 'done' }],
      }),
    ).toBe('history:\n- lane: a\n- lane: done\n')
    expect(editInPlace('a: 1', [addKeyInPlace('b', new Scalar('x'))], '\n', { a: 1, b: 'x' })).toBe('a: 1\nb: x\n')
    // The result is kept only when it reads back as the data the renderer would give.
    expect(editInPlace('a: 1', [addKeyInPlace('b', new Scalar('x'))], '\n', { a: 1, b: 'y' })).toBeNull()
    expect(editInPlace('a: 1\n', [addKeyInPlace('a', new Scalar('x'))], '\n', { a: 'x' })).toBeNull()
    expect(editInPlace('a: [1\n', [addKeyInPlace('b', new Scalar('x'))], '\n', {})).toBeNull()
  })
})

describe('activity log entries', () => {
  it.each<[string, string, '\n' | '\r\n', string]>([
    ['an empty body', '', '\n', '## Activity Log\n\n- new\n'],
    ['a body without a section', 'x', '\n', 'x\n\n## Activity Log\n\n- new\n'],
    ['a body of one blank line', '\n', '\n', '\n## Activity Log\n\n- new\n'],
    ['a heading without a line break', '## Activity Log', '\n', '## Activity Log\n\n- new\n'],
    [
      'CRLF, a lower-case heading, a sub-heading inside, the next section',
      'a\r\n## activity log  \r\n- one\r\n### sub\r\n- two\r\n## Next\r\n',
      '\r\n',
      'a\r\n## activity log  \r\n- one\r\n### sub\r\n- two\r\n- new\r\n## Next\r\n',
    ],
    ['blank lines after the last entry', '## Activity Log\n\n- a\n\n\n', '\n', '## Activity Log\n\n- a\n- new\n\n\n'],
    ['"#Activity Log" is not the heading', '#Activity Log\n', '\n', '#Activity Log\n\n## Activity Log\n\n- new\n'],
    [
      '"## Activity Logs" is not the heading',
      '## Activity Logs\n- a\n',
      '\n',
      '## Activity Logs\n- a\n\n## Activity Log\n\n- new\n',
    ],
    [
      'a heading in text is not the heading',
      'see ## Activity Log\n',
      '\n',
      'see ## Activity Log\n\n## Activity Log\n\n- new\n',
    ],
    ['more than one blank after the hashes', '##  Activity Log\n- a\n', '\n', '##  Activity Log\n- a\n- new\n'],
  ])('%s', (_name, body, eol, expected) => expect(appendActivityLog(body, '- new', eol)).toBe(expected))
})

describe('meta.json edits keep the file’s indentation', () => {
  it.each<[string | null, string]>([
    ['{"a": 1}', '{\n  "a": 1,\n  "c": "x"\n}'],
    ['{\n\t"a": 1\n}\n', '{\n\t"a": 1,\n\t"c": "x"\n}\n'],
    ['{\n    "a": 1\n}\n', '{\n    "a": 1,\n    "c": "x"\n}\n'],
    ['{}', '{\n  "c": "x"\n}'],
    ['{\n  "a": 1,\n  "b": [\n    1\n  ]\n}', '{\n  "a": 1,\n  "b": [\n    1\n  ],\n  "c": "x"\n}'],
    [null, '{\n  "c": "x"\n}\n'],
    ['{\r\n  "a": 1\r\n}\r\n', '{\r\n  "a": 1,\r\n  "c": "x"\r\n}\r\n'],
  ])('%j', (text, expected) => expect(editMetaJson(text, { c: 'x' })).toBe(expected))

  it.each<[string, string]>([
    ['{\n    "a": 1\n}\n', '{\n    "a": 1,\n    "c": {\n        "d": [\n            1\n        ]\n    }\n}\n'],
    ['{\n\t"a": 1\n}\n', '{\n\t"a": 1,\n\t"c": {\n\t\t"d": [\n\t\t\t1\n\t\t]\n\t}\n}\n'],
    ['{"a": 1}', '{\n  "a": 1,\n  "c": {\n    "d": [\n      1\n    ]\n  }\n}'],
  ])('a nested value follows the indentation too: %j', (text, expected) =>
    expect(editMetaJson(text, { c: { d: [1] } })).toBe(expected),
  )
})

/** One source edit on its own: the new text, or null where the shape is the renderer's. */
function apply(edit: SourceEdit, source: string, eol = '\n'): string | null {
  return edit(source, parseDocument(source), eol)
}
const item = (fields: Record<string, string>): YAMLMap => {
  const map = new YAMLMap()
  for (const [k, v] of Object.entries(fields)) map.set(k, new Scalar(v))
  return map
}

describe('addKeyInPlace', () => {
  const key = addKeyInPlace('k', new Scalar('v'))
  it('appends one line to a block mapping, or to empty frontmatter', () => {
    expect(apply(key, 'a: 1\n')).toBe('a: 1\nk: v\n')
    expect(apply(key, '')).toBe('k: v\n')
    expect(apply(key, '# only a comment\n')).toBe('# only a comment\nk: v\n')
    expect(apply(key, 'a: 1', '\r\n')).toBe('a: 1\r\nk: v\r\n')
  })
  it.each([
    ['the key exists', 'k: old\n'],
    ['the key exists with no value', 'a: 1\nk:\n'],
    ['a flow mapping', '{a: 1}\n'],
    ['a list', '- a\n'],
    ['a scalar', 'text\n'],
  ])('hands over to the renderer when %s', (_name, source) => expect(apply(key, source)).toBeNull())
  it('hands over a value that renders on more than one line', () => {
    expect(apply(addKeyInPlace('k', new Scalar('a\nb')), 'a: 1\n')).toBeNull()
  })
  it('renders strings with JSON escapes (as the re-rendering does)', () => {
    expect(apply(addKeyInPlace('k', new Scalar('bell\x07 esc\x1b')), 'a: 1\n')).toBe(
      'a: 1\nk: "bell\\u0007 esc\\u001b"\n',
    )
  })
})

describe('appendItemInPlace', () => {
  const done = appendItemInPlace('history', item({ lane: 'done' }), '')
  it.each([
    ['a missing list, at the end', 'a: 1\n', 'a: 1\nhistory:\n- lane: done\n'],
    ['a missing list in empty frontmatter', '', 'history:\n- lane: done\n'],
    ['a missing list, the file’s list indentation', 'a: 1\n', 'a: 1\nhistory:\n  - lane: done\n', '  '],
    ['after a one-character item', 'history:\n  - a\nz: 1\n', 'history:\n  - a\n  - lane: done\nz: 1\n'],
    [
      'after the last item, the first item’s prefix',
      'history:\n-   lane: a\n- lane: b\nz: 1\n',
      'history:\n-   lane: a\n- lane: b\n-   lane: done\nz: 1\n',
    ],
    [
      'after a last item without a line break, before more text',
      'history:\n- a\nz: 1',
      'history:\n- a\n- lane: done\nz: 1',
    ],
    ['an empty flow list with blanks after it', 'history: []   \nz: 1\n', 'history:\n- lane: done\nz: 1\n'],
    ['an empty flow list with a comment after it', 'history: [] # c\n', 'history: # c\n- lane: done\n'],
  ])('%s', (_name, source, expected, indent = '') => {
    expect(apply(appendItemInPlace('history', item({ lane: 'done' }), indent), source)).toBe(expected)
  })
  it('items of more than one line are indented under their dash', () => {
    expect(apply(appendItemInPlace('history', item({ lane: 'done', agent: 'x' }), '  '), 'a: 1\n')).toBe(
      'a: 1\nhistory:\n  - lane: done\n    agent: x\n',
    )
  })
  it.each([
    ['a flow mapping', '{history: []}\n'],
    ['a list at the top', '- a\n'],
    ['a flow list with items', 'history: [a]\n'],
    ['a scalar at the key', 'history: x\n'],
    ['a mapping at the key', 'history: {}\n'],
    ['an item starting on the line after its dash', 'history:\n-\n  lane: a\n'],
  ])('hands over to the renderer: %s', (_name, source) => expect(apply(done, source)).toBeNull())
})

describe('editInPlace', () => {
  const key = (k: string) => addKeyInPlace(k, new Scalar('x'))
  it('applies edits in turn and keeps the text only when it reads back as the expected data', () => {
    expect(editInPlace('a: 1\n', [key('b'), key('c')], '\n', { a: 1, b: 'x', c: 'x' })).toBe('a: 1\nb: x\nc: x\n')
    expect(editInPlace('a: 1\n', [], '\n', { a: 1 })).toBe('a: 1\n')
    expect(editInPlace('', [], '\n', {})).toBe('')
    expect(editInPlace('a: 1\n', [key('b'), key('b')], '\n', { a: 1, b: 'x' })).toBeNull()
    expect(editInPlace('a: 1\na: 2\n', [key('b')], '\n', { a: 2, b: 'x' })).toBeNull()
  })
})
