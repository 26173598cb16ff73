import { globSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { parseDocument } from 'yaml'
import { describe, expect, it } from 'vitest'
import { scanFrontmatter } from '../../../src/store/state-files/frontmatter-scan.ts'
import { splitFrontmatter } from '../../../src/store/state-files/split-frontmatter.ts'
import { CORPUS } from '../../helpers/git-repo.ts'

/** What the full parser says, or 'error' when it refuses the text. */
function full(yaml: string): unknown {
  const doc = parseDocument(yaml, { uniqueKeys: true, strict: true })
  if (doc.errors.length > 0) return 'error'
  return doc.toJS({ maxAliasCount: 100 }) ?? {}
}

const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100) * 20

describe('fast frontmatter scan', () => {
  it('reads every corpus WP file exactly as the YAML parser does', () => {
    let fast = 0
    const files = globSync(join(CORPUS, '*/tasks/WP*.md'))
    for (const path of files) {
      const { yaml } = splitFrontmatter(readFileSync(path, 'utf8'), path)
      const scanned = scanFrontmatter(yaml)
      if (scanned === null) continue
      fast++
      expect(scanned, path).toEqual(full(yaml))
    }
    // The point is speed on real files: nearly all must take the fast path (the corpus's misses are
    // block scalars `|-` and nested maps, which only the full parser reads).
    expect(fast / files.length).toBeGreaterThan(0.9)
  })

  const token = fc.oneof(
    fc.constantFrom(
      'planned',
      'WP01',
      'x y',
      'a#b',
      'a #c',
      "it's",
      '"q"',
      'true',
      'False',
      'null',
      '~',
      '12',
      '-3',
      '+4',
      '007',
      '1.5',
      '0x1f',
      '0o7',
      '.inf',
      'yes',
      'a: b',
      'a:b',
      '- x',
      '[x]',
      '{x}',
      '&a',
      '*a',
      '!t',
      '|',
      '>',
      '%',
      '@',
      '`',
      ' ',
      '',
      '\\',
      '\\n',
      '\\u00e9',
      '\\x41',
      'é',
      '\u2028',
      '\t',
    ),
    fc.string({ maxLength: 6 }),
  )
  const quoted = fc.oneof(
    token,
    token.map((t) => `'${t.replace(/'/g, "''")}'`),
    token.map((t) => `"${t}"`),
  )
  const value = fc.oneof(
    quoted,
    fc.array(quoted, { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
    fc.tuple(quoted, fc.constantFrom('', '  # c', ' #c', '#c')).map(([v, c]) => v + c),
  )
  const line = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('lane', 'title', 'a', 'b', 'dependencies', 'x-y', 'k.v', '_u'),
        fc.constantFrom(': ', ':', ' : ', ':  '),
        value,
      )
      .map(([k, s, v]) => `${k}${s}${v}`),
    fc.constantFrom(
      'history:',
      'subtasks:',
      '- a',
      '  - a',
      '- t: x',
      '  l: y',
      '  - t: x',
      '    l: y',
      '# comment',
      '',
      '  indented',
      '? x',
      '---',
    ),
  )

  it(`agrees with the YAML parser whenever it accepts an input (${RUNS} generated inputs)`, () => {
    let accepted = 0
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.boolean(), (lines, crlf) => {
        const yaml = lines.join(crlf ? '\r\n' : '\n') + (crlf ? '\r\n' : '\n')
        const scanned = scanFrontmatter(yaml)
        if (scanned === null) return
        accepted++
        expect(scanned).toEqual(full(yaml))
      }),
      { numRuns: RUNS },
    )
    expect(accepted).toBeGreaterThan(RUNS / 10)
  })
})
