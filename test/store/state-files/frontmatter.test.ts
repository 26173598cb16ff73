import { globSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { appendActivityLog } from '../../../src/store/state-files/activity-log.ts'
import { MAX_WP_FILE_BYTES, parseFrontmatter, renderWpFile } from '../../../src/store/state-files/frontmatter.ts'
import { joinFile, splitFrontmatter } from '../../../src/store/state-files/split-frontmatter.ts'
import { editMetaJson } from '../../../src/store/state-files/meta-json.ts'
import { CORPUS } from '../../helpers/git-repo.ts'

const lane = (value: string) => ({ kind: 'set' as const, key: 'lane', value })
const entry = { timestamp: '2026-11-22T10:00:00Z', lane: 'for_review', agent: 'claude', shell_pid: '', action: 'moved' }
const changedLines = (a: string, b: string) => {
  const x = a.split('\n')
  const y = b.split('\n')
  return x.map((l, i) => (l === y[i] ? null : [l, y[i]])).filter(Boolean)
}

describe('frontmatter over the real corpus', () => {
  const files = globSync(join(CORPUS, '*/tasks/WP*.md')).sort()
  it('finds the corpus', () => expect(files.length).toBeGreaterThan(200))

  it('round-trips every WP file byte for byte and a lane edit touches only the lane line', () => {
    for (const path of files) {
      const text = readFileSync(path, 'utf8')
      const file = parseFrontmatter(text, path)
      expect(renderWpFile(file, []), path).toBe(text)
      const out = renderWpFile(file, [lane('in_review')])
      const diff = changedLines(text, out)
      expect(diff, path).toHaveLength(1)
      expect(diff[0]![0], path).toMatch(/^lane:/)
      expect(diff[0]![1], path).toMatch(/^lane: "?in_review"?/)
      expect(parseFrontmatter(out, path).data['lane']).toBe('in_review')
    }
  })

  it('appending a history entry adds lines only, in the file’s own style', () => {
    for (const path of files.slice(0, 40)) {
      const text = readFileSync(path, 'utf8')
      const out = renderWpFile(parseFrontmatter(text, path), [{ kind: 'append', key: 'history', item: entry }])
      const before = text.split('\n')
      const after = out.split('\n')
      // Every original line survives, in order.
      let j = 0
      for (const line of before) {
        while (j < after.length && after[j] !== line) j++
        expect(j, `${path}: lost line ${JSON.stringify(line)}`).toBeLessThan(after.length)
        j++
      }
      const history = parseFrontmatter(out, path).data['history'] as unknown[]
      expect(history.at(-1)).toEqual(entry)
    }
  })
})

describe('every file of the corpus round-trips', () => {
  const all = globSync(join(CORPUS, '**/*'), { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))

  it('every Markdown file with frontmatter parses and serializes back byte for byte', () => {
    let checked = 0
    for (const path of all.filter((p) => p.endsWith('.md'))) {
      const text = readFileSync(path, 'utf8')
      if (!/^(\uFEFF)?---\r?\n/.test(text)) continue
      expect(renderWpFile(parseFrontmatter(text, path), []), path).toBe(text)
      checked++
    }
    expect(checked).toBe(230)
  })

  it('every meta.json survives an edit that changes nothing, and an accept touches only its keys', () => {
    const metas = all.filter((p) => p.endsWith('meta.json'))
    expect(metas.length).toBeGreaterThan(40)
    for (const path of metas) {
      const text = readFileSync(path, 'utf8')
      const parsed = JSON.parse(text) as Record<string, unknown>
      expect(editMetaJson(text, {}), path).toBe(text)
      const edited = editMetaJson(text, { accepted_by: 'someone' })
      expect(JSON.parse(edited), path).toEqual({ ...parsed, accepted_by: 'someone' })
      // Every original line survives in order.
      const kept = edited.split('\n')
      let j = 0
      for (const line of text.trimEnd().split('\n').slice(0, -1)) {
        if (line.includes('"accepted_by"')) continue
        const base = line.replace(/,$/, '')
        while (j < kept.length && kept[j]!.replace(/,$/, '') !== base) j++
        expect(j, `${path}: ${line}`).toBeLessThan(kept.length)
      }
    }
  })
})

describe('frontmatter edge cases (older layouts)', () => {
  it('keeps a BOM, CRLF line endings, comments and odd spacing', () => {
    const text =
      '\uFEFF---\r\nwork_package_id: "WP01"\r\nlane: "doing"  # legacy lane\r\ntitle:   spaced   \r\n---\r\nbody\r\n'
    const out = renderWpFile(parseFrontmatter(text, 'x.md'), [lane('for_review')])
    expect(out).toBe(
      '\uFEFF---\r\nwork_package_id: "WP01"\r\nlane: "for_review"  # legacy lane\r\ntitle:   spaced   \r\n---\r\nbody\r\n',
    )
  })
  it('adds a missing key at the end of the frontmatter and quotes YAML 1.1 look-alikes', () => {
    const out = renderWpFile(parseFrontmatter('---\ntitle: x\n---\nbody', 'x.md'), [
      { kind: 'set', key: 'assignee', value: 'yes' },
      { kind: 'set', key: 'shell_pid', value: '123' },
    ])
    expect(out).toBe("---\ntitle: x\nassignee: 'yes'\nshell_pid: '123'\n---\nbody")
  })
  it('turns an empty flow history into a block list and follows flow-map style of earlier entries', () => {
    expect(
      renderWpFile(parseFrontmatter('---\nhistory: []\n---\n', 'x.md'), [
        { kind: 'append', key: 'history', item: entry },
      ]),
    ).toBe(
      "---\nhistory:\n- timestamp: '2026-11-22T10:00:00Z'\n  lane: for_review\n  agent: claude\n  shell_pid: ''\n  action: moved\n---\n",
    )
    const flow =
      '---\nhistory:\n  - {timestamp: "2025-01-16T00:00:00Z", lane: "planned", agent: "system", shell_pid: "", action: "Prompt"}\n---\n'
    const out = renderWpFile(parseFrontmatter(flow, 'x.md'), [{ kind: 'append', key: 'history', item: entry }])
    expect(out.split('\n')[3]).toBe(
      '  - {timestamp: "2026-11-22T10:00:00Z", lane: "for_review", agent: "claude", shell_pid: "", action: "moved"}',
    )
  })
  it.each([
    ['no frontmatter', '# just a body\n', 1],
    ['no closing fence', '---\nlane: planned\n', 2],
    ['bad YAML', '---\nlane: [planned\n---\n', undefined],
    ['duplicate keys', '---\nlane: planned\nlane: done\n---\n', 3],
    ['a list instead of a map', '---\n- a\n- b\n---\n', 2],
  ])('refuses %s with WP_FILE_INVALID', (_name, text, line) => {
    try {
      parseFrontmatter(text, 'tasks/WP01.md')
      throw new Error('parsed')
    } catch (err) {
      const e = err as { code: string; data: { path: string; line?: number } }
      expect(e.code).toBe('WP_FILE_INVALID')
      expect(e.data.path).toBe('tasks/WP01.md')
      if (line !== undefined) expect(e.data.line).toBe(line)
    }
  })
  it('refuses an alias bomb', () => {
    const bomb = [
      '---',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`),
      '---',
      '',
    ].join('\n')
    expect(() => parseFrontmatter(bomb, 'x.md')).toThrow(expect.objectContaining({ code: 'WP_FILE_INVALID' }))
  })
})

describe('activity log', () => {
  it('appends after the last entry of the section, before the next heading', () => {
    const body = '\n# WP01\n\n## Activity Log\n\n- one\n- two\n\n## Notes\nx\n'
    expect(appendActivityLog(body, '- three', '\n')).toBe(
      '\n# WP01\n\n## Activity Log\n\n- one\n- two\n- three\n\n## Notes\nx\n',
    )
  })
  it('creates the section at the end when missing, and handles a heading-only section and CRLF', () => {
    expect(appendActivityLog('\nbody\n', '- e', '\n')).toBe('\nbody\n\n## Activity Log\n\n- e\n')
    expect(appendActivityLog('x\r\n## Activity Log\r\n', '- e', '\r\n')).toBe('x\r\n## Activity Log\r\n\r\n- e\r\n')
    expect(appendActivityLog('## Activity Log\n- a', '- b', '\n')).toBe('## Activity Log\n- a\n- b\n')
  })
})

describe('meta.json edits', () => {
  it('changes only the given keys and keeps formatting', () => {
    const text = '{\n    "slug": "x",\n    "nested": {"a": [1,2]},\n    "accepted_at": "old"\n}'
    expect(editMetaJson(text, { accepted_at: 'new' })).toBe(
      '{\n    "slug": "x",\n    "nested": {"a": [1,2]},\n    "accepted_at": "new"\n}',
    )
    expect(editMetaJson(text, { accepted_by: 'me' })).toContain('"accepted_at": "old",\n    "accepted_by": "me"\n}')
  })
})

describe('parseFrontmatter: what it refuses, in the words users see', () => {
  const refusal = (text: string) => {
    try {
      parseFrontmatter(text, 'tasks/WP01.md')
    } catch (err) {
      const e = err as { code: string; message: string; data: unknown }
      return { code: e.code, message: e.message, data: e.data }
    }
    throw new Error('parsed')
  }

  it('a file over the size limit: INPUT_TOO_LARGE, counted in UTF-8 bytes, before anything is parsed', () => {
    const limit = MAX_WP_FILE_BYTES
    const fits = `---\ntitle: x\n---\n${'a'.repeat(limit - 17)}`
    expect(Buffer.byteLength(fits)).toBe(limit)
    expect(parseFrontmatter(fits, 'tasks/WP01.md').data).toEqual({ title: 'x' })
    const over = {
      code: 'INPUT_TOO_LARGE',
      message: `Work package file tasks/WP01.md is larger than ${limit} bytes`,
      data: { path: 'tasks/WP01.md', limit_bytes: limit },
    }
    expect(refusal(`${fits}a`)).toEqual(over)
    // One character more, two bytes more: the limit is in bytes, not characters; and no fence is needed to be refused.
    const wide = `${'é'.repeat(limit / 2)}`
    expect(wide.length).toBeLessThan(limit)
    expect(refusal(`${wide}é`)).toEqual(over)
  })

  it.each([
    [
      'a YAML syntax error',
      '---\ntitle: x\nlane: [planned\n---\n',
      4,
      'Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1:',
    ],
    [
      'an unclosed quote after a blank line',
      '---\ntitle: x\n\nk: "unterminated\n---\n',
      5,
      'Missing closing "quote at line 4, column 1:',
    ],
    ['a tab as indentation', '---\na: 1\n\tb: 2\n---\n', 3, 'Tabs are not allowed as indentation at line 2, column 1:'],
    ['a duplicate key', '---\nlane: planned\nlane: done\n---\n', 3, 'Map keys must be unique at line 2, column 1:'],
    ['a list instead of a mapping', '---\n- a\n---\n', 2, 'the frontmatter is not a YAML mapping'],
    ['a bare scalar', '---\njust text\n---\n', 2, 'the frontmatter is not a YAML mapping'],
    ['a null document', '---\n~\n---\n', 2, 'the frontmatter is not a YAML mapping'],
    // Refused only under YAML's strict rules (PyYAML, which spec-kitty uses, refuses them too).
    [
      'a key longer than 1024 characters',
      `---\nok: 1\n${'k'.repeat(1100)}: 1\n---\n`,
      3,
      'The : indicator must be at most 1024 chars after the start of an implicit block mapping key at line 2, column 1:',
    ],
    [
      'a flow pair whose key spans two lines',
      '---\na: [b\n  : c]\n---\n',
      2,
      'Implicit keys of flow sequence pairs need to be on a single line at line 1, column 6:',
    ],
    // The fences themselves.
    ['no opening fence', '# just a body\n', 1, 'it does not start with a --- frontmatter fence'],
    ['an opening fence after a blank line', '\n---\na: 1\n---\n', 1, 'it does not start with a --- frontmatter fence'],
    ['no closing fence', '---\nlane: planned\n', 2, 'the frontmatter has no closing --- fence'],
    ['no closing fence, three lines', '---\na: 1\nb: 2\nc: 3', 4, 'the frontmatter has no closing --- fence'],
    ['only an opening fence', '---\n', 1, 'the frontmatter has no closing --- fence'],
    ['a fence with text after it', '---\na: 1\n--- no\n', 3, 'the frontmatter has no closing --- fence'],
  ])(
    '%s: WP_FILE_INVALID with the line in the file (the opening fence is line 1) and the first line of the reason',
    (_name, text, line, reason) => {
      expect(refusal(text)).toEqual({
        code: 'WP_FILE_INVALID',
        message: `Work package file tasks/WP01.md:${line} is invalid: ${reason}`,
        data: { path: 'tasks/WP01.md', line, reason },
      })
    },
  )

  it.each([
    [
      'an alias bomb',
      [
        '---',
        'a: &a [x, x, x, x, x, x, x, x, x, x]',
        ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`),
        '---',
        '',
      ].join('\n'),
      'Excessive alias count indicates a resource exhaustion attack',
    ],
    [
      'an alias without its anchor',
      '---\na: *nope\n---\n',
      'Unresolved alias (the anchor must be set before the alias): nope',
    ],
  ])('%s: WP_FILE_INVALID saying it cannot be read, without a line', (_name, text, why) => {
    const reason = `the frontmatter cannot be read (${why})`
    expect(refusal(text)).toEqual({
      code: 'WP_FILE_INVALID',
      message: `Work package file tasks/WP01.md is invalid: ${reason}`,
      data: { path: 'tasks/WP01.md', reason },
    })
  })

  it('empty or comment-only frontmatter is an empty mapping', () => {
    expect(parseFrontmatter('---\n---\n', 'x.md').data).toEqual({})
    expect(parseFrontmatter('---\n# only a comment\n---\nbody', 'x.md').data).toEqual({})
  })
})

describe('splitFrontmatter', () => {
  it.each([
    [
      'LF',
      '---\na: 1\n---\nbody\n',
      { bom: '', opener: '---\n', yaml: 'a: 1\n', closer: '---\n', body: 'body\n', eol: '\n' },
    ],
    [
      'CRLF, a BOM, fences with trailing blanks',
      '\uFEFF--- \r\na: 1\r\n---\t\r\nbody',
      { bom: '\uFEFF', opener: '--- \r\n', yaml: 'a: 1\r\n', closer: '---\t\r\n', body: 'body', eol: '\r\n' },
    ],
    [
      'a closing fence at the very end',
      '---\na: 1\n---',
      { bom: '', opener: '---\n', yaml: 'a: 1\n', closer: '---', body: '', eol: '\n' },
    ],
    [
      'CRLF inside, LF opener: the opener decides',
      '---\na: 1\r\n---\r\n',
      { bom: '', opener: '---\n', yaml: 'a: 1\r\n', closer: '---\r\n', body: '', eol: '\n' },
    ],
    [
      'a second fence in the body stays in the body',
      '---\n---\n---\n',
      { bom: '', opener: '---\n', yaml: '', closer: '---\n', body: '---\n', eol: '\n' },
    ],
  ])('%s', (_name, text, parts) => {
    const split = splitFrontmatter(text, 'x.md')
    expect(split).toEqual(parts)
    expect(joinFile(split)).toBe(text)
  })
})

describe('editFrontmatterYaml: shapes the in-place writer hands to the re-rendering', () => {
  const set = (key: string, value: string | number | boolean | null) => ({ kind: 'set' as const, key, value })
  const append = (key: string, item: Record<string, string | number | null>) => ({ kind: 'append' as const, key, item })
  it.each<[string, string, Parameters<typeof renderWpFile>[1], string]>([
    [
      'a key present with no value',
      '---\nassignee:\nlane: planned\n---\n',
      [set('assignee', 'me')],
      '---\nassignee: me\nlane: planned\n---\n',
    ],
    [
      'a key with no value but a comment, set to a YAML 1.1 boolean',
      '---\nassignee:   # who\nlane: planned\n---\n',
      [set('assignee', 'yes')],
      "---\nassignee: 'yes' # who\nlane: planned\n---\n",
    ],
    ['a key with no value set to null', '---\nassignee:\n---\n', [set('assignee', null)], '---\nassignee:\n---\n'],
    [
      'a flow list replaced by a scalar',
      '---\ndeps: [a, b]\nlane: x\n---\n',
      [set('deps', 'none')],
      '---\ndeps: none\nlane: x\n---\n',
    ],
    [
      'a block mapping replaced by a look-alike of null',
      '---\nm:\n  x: 1\n---\n',
      [set('m', 'null')],
      "---\nm: 'null'\n---\n",
    ],
    [
      'a block mapping replaced by a plain string',
      "---\nk: 'q'\nm:\n  x: 1\n---\n",
      [set('m', 'v')],
      "---\nk: 'q'\nm: v\n---\n",
    ],
    [
      'a flow list with items becomes a block list',
      '---\nhistory: [{lane: a}]\nz: 1\n---\n',
      [append('history', { lane: 'b', n: 1 })],
      '---\nhistory:\n- {lane: a}\n- {lane: b, n: 1}\nz: 1\n---\n',
    ],
    [
      'a flow mapping as the whole frontmatter: a set',
      '---\n{a: 1, lane: x}\n---\n',
      [set('lane', 'done')],
      '---\n{a: 1, lane: done}\n---\n',
    ],
    [
      'a flow mapping as the whole frontmatter: a new key quoted as YAML 1.1 would misread it',
      '---\n{a: 1}\n---\n',
      [set('k', 'yes'), set('n', '1.5')],
      "---\n{a: 1, k: 'yes', n: '1.5'}\n---\n",
    ],
    [
      'a flow mapping as the whole frontmatter: an appended list',
      '---\n{a: 1}\n---\n',
      [append('history', { lane: 'b' })],
      '---\n{a: 1, history: [{lane: b}]}\n---\n',
    ],
    [
      'a mapping where the list should be, in a file indenting its lists',
      '---\nlist:\n  - a\nhistory: {}\n---\n',
      [append('history', { lane: 'c' })],
      '---\nlist:\n  - a\nhistory:\n  - lane: c\n---\n',
    ],
    [
      'a scalar where the list should be, empty strings quoted',
      '---\nlist:\n  - a\nhistory: x\n---\n',
      [append('history', { lane: 'c', s: '' })],
      "---\nlist:\n  - a\nhistory:\n  - lane: c\n    s: ''\n---\n",
    ],
    [
      'a block scalar set: its style stays',
      '---\nlane: "x"\nk: |\n  block\n---\n',
      [set('k', 'v')],
      '---\nlane: "x"\nk: |-\n  v\n---\n',
    ],
    [
      'numbers and booleans replace a string',
      '---\na: x\nb: y\n---\n',
      [set('a', 5), set('b', true)],
      '---\na: 5\nb: true\n---\n',
    ],
    [
      'a flow item style followed, then a block scalar set',
      '---\nhistory:\n- {lane: "a", n: \'1\'}\nk: |\n  x\n---\n',
      [append('history', { lane: 'c', n: '2' }), set('k', 'z')],
      '---\nhistory:\n- {lane: "a", n: \'1\'}\n- {lane: "c", n: \'2\'}\nk: |-\n  z\n---\n',
    ],
    [
      'a multi-line double-quoted value set: its quotes stay',
      '---\nk: "multi\n  line"\nz: 1\n---\n',
      [set('k', 'x')],
      '---\nk: "x"\nz: 1\n---\n',
    ],
    [
      'a multi-line double-quoted value set to a YAML 1.1 boolean: still double-quoted',
      '---\nk: "multi\n  line"\nz: 1\n---\n',
      [set('k', 'yes')],
      '---\nk: "yes"\nz: 1\n---\n',
    ],
    [
      'a multi-line plain value set to a YAML 1.1 boolean: quoted',
      '---\nk: multi\n  line\nz: 1\n---\n',
      [set('k', 'yes')],
      "---\nk: 'yes'\nz: 1\n---\n",
    ],
    [
      'a multi-line plain value set to a plain string',
      '---\nk: multi\n  line\nz: 1\n---\n',
      [set('k', 'no way')],
      '---\nk: no way\nz: 1\n---\n',
    ],
    [
      'a block mapping replaced by a string with control characters: JSON escapes',
      '---\nm:\n  x: 1\n---\n',
      [set('m', 'bell\x07')],
      '---\nm: "bell\\u0007"\n---\n',
    ],
    ['a two-line value into empty frontmatter', '---\n---\n', [set('n', 'a\nb')], '---\nn: |-\n  a\n  b\n---\n'],
    [
      'a two-line value over a one-line plain value with a comment',
      '---\nn: x  # c\nz: 1\n---\n',
      [set('n', 'a\nb')],
      '---\nn: a\n\n  b # c\nz: 1\n---\n',
    ],
    [
      'a new list in a file that indents its lists only below nested keys',
      '---\nm:\n  sub:\n    - x\nlist:\n- a\n---\n',
      [append('history', { lane: 'done' })],
      '---\nm:\n  sub:\n    - x\nlist:\n- a\nhistory:\n- lane: done\n---\n',
    ],
    [
      'a new list in a file that indents its lists, blanks after the key',
      '---\nlist:   \n  - a\n---\n',
      [append('history', { lane: 'done' })],
      '---\nlist:   \n  - a\nhistory:\n  - lane: done\n---\n',
    ],
  ])('%s', (_name, text, edits, expected) => {
    const out = renderWpFile(parseFrontmatter(text, 'x.md'), edits)
    expect(out).toBe(expected)
    // What the edits asked for is what a reader gets back.
    const data = parseFrontmatter(out, 'x.md').data
    for (const e of edits) if (e.kind === 'set') expect(data[e.key]).toEqual(e.value)
  })
})

describe('editFrontmatterYaml: sets done on the source text', () => {
  const set = (key: string, value: string | number | boolean | null) => ({ kind: 'set' as const, key, value })
  it.each<[string, string, Parameters<typeof renderWpFile>[1], string]>([
    [
      'two values changing length, in file order',
      '---\na: x\nb: y\n---\n',
      [set('a', 'longer'), set('b', 'z')],
      '---\na: longer\nb: z\n---\n',
    ],
    [
      'two values changing length, in reverse order',
      '---\na: x\nb: y\n---\n',
      [set('b', 'zz'), set('a', '')],
      "---\na: ''\nb: zz\n---\n",
    ],
    [
      'a single-quoted value stays single-quoted',
      "---\nlane: 'doing'\n---\n",
      [set('lane', 'done')],
      "---\nlane: 'done'\n---\n",
    ],
    [
      'a double-quoted value stays double-quoted',
      '---\nlane: "doing"\n---\n',
      [set('lane', 'done')],
      '---\nlane: "done"\n---\n',
    ],
    [
      'a number and a boolean over quoted strings are a number and a boolean',
      '---\na: "x"\nb: \'y\'\n---\n',
      [set('a', 5), set('b', false)],
      '---\na: 5\nb: false\n---\n',
    ],
    [
      'a long value keeps the spacing before its comment (never folded)',
      '---\ntitle: x  # c\n---\n',
      [set('title', 'y'.repeat(90))],
      `---\ntitle: ${'y'.repeat(90)}  # c\n---\n`,
    ],
    [
      'a value ending in --- keeps the spacing before its comment',
      '---\ntitle: x  # c\n---\n',
      [set('title', 'a---')],
      '---\ntitle: a---  # c\n---\n',
    ],
    [
      'a plain value set to a look-alike of a number is quoted',
      '---\nshell_pid: x  # pid\n---\n',
      [set('shell_pid', '0x1F')],
      "---\nshell_pid: '0x1F'  # pid\n---\n",
    ],
    [
      'a double-quoted value set to a look-alike of a boolean stays double-quoted',
      '---\nlane: "doing"\n---\n',
      [set('lane', 'yes')],
      '---\nlane: "yes"\n---\n',
    ],
    [
      'a long value with spaces is never folded',
      '---\ntitle: x  # c\n---\n',
      [set('title', 'word '.repeat(30).trim())],
      `---\ntitle: ${'word '.repeat(30).trim()}  # c\n---\n`,
    ],
    [
      'control characters in a double-quoted value: JSON escapes',
      '---\nlane: "x"  # c\n---\n',
      [set('lane', 'bell\x07')],
      '---\nlane: "bell\\u0007"  # c\n---\n',
    ],
  ])('%s', (_name, text, edits, expected) => {
    const out = renderWpFile(parseFrontmatter(text, 'x.md'), edits)
    expect(out).toBe(expected)
    const data = parseFrontmatter(out, 'x.md').data
    for (const e of edits) if (e.kind === 'set') expect(data[e.key]).toEqual(e.value)
  })
})

describe('delete edits (a retired key leaves the file)', () => {
  const text = [
    '---',
    'work_package_id: WP01',
    "lane: 'in_review'   # kept as written",
    'review_ref: PR-1',
    'history:',
    '- timestamp: "2026-01-01T00:00:00Z"',
    '  lane: in_review',
    '---',
    '# body',
    '',
  ].join('\n')

  it('removes only the key line; every other byte stays', () => {
    const out = renderWpFile(parseFrontmatter(text, 'WP01.md'), [{ kind: 'delete', key: 'review_ref' }])
    expect(out).toBe(text.replace('review_ref: PR-1\n', ''))
  })

  it('removes an indented block value with its key, and is a no-op for an absent key', () => {
    const block = text.replace('review_ref: PR-1', 'review_ref:\n  - PR-1\n  - PR-2')
    const out = renderWpFile(parseFrontmatter(block, 'WP01.md'), [{ kind: 'delete', key: 'review_ref' }])
    expect(out).toBe(text.replace('review_ref: PR-1\n', ''))
    const file = parseFrontmatter(out, 'WP01.md')
    expect(renderWpFile(file, [{ kind: 'delete', key: 'review_ref' }])).toBe(out)
  })

  it('combines with a set in one render, CRLF kept', () => {
    const crlf = text.replace(/\n/g, '\r\n')
    const out = renderWpFile(parseFrontmatter(crlf, 'WP01.md'), [
      { kind: 'set', key: 'lane', value: 'approved' },
      { kind: 'delete', key: 'review_ref' },
    ])
    expect(out).toBe(crlf.replace('review_ref: PR-1\r\n', '').replace("'in_review'   #", "'approved'   #"))
  })

  it('re-renders when the key sits in a flow mapping, keeping the other keys', () => {
    const flow = '---\n{work_package_id: WP01, review_ref: PR-1, lane: done}\n---\n'
    const data = parseFrontmatter(
      renderWpFile(parseFrontmatter(flow, 'WP01.md'), [{ kind: 'delete', key: 'review_ref' }]),
      'WP01.md',
    ).data
    expect(data).toEqual({ work_package_id: 'WP01', lane: 'done' })
  })
})
