import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'

/**
 * Paths named in comments and pages rot silently when files move (the store regroup left five behind). This
 * checks every repository path named in a comment of src/, test/ and scripts/ and anywhere in a tracked
 * Markdown page, and every relative Markdown link, and names each dangling one as file:line.
 */

const PREFIXES = ['src', 'test', 'scripts', 'docs', 'examples', 'schema', 'bin', 'dist', '.github', '.ci']
/** A path that starts at the repository root; brace alternatives, `<placeholder>` and `*` allowed. */
const PATH = new RegExp(
  `(?<![\\w./@-])((?:${PREFIXES.map((p) => p.replace('.', '\\.')).join('|')})/[\\w.{},*<>/-]*)(#[\\w-]+)?`,
  'g',
)
/**
 * Inside src/ a path often drops the `src/`: `store/history/update-ref.ts`. Only files, so prose such as "the store/
 * folder" is left alone.
 */
const SRC_RELATIVE =
  /(?<![\w./@-])((?:core|store|engine|surface|github|cli|action|app|board)\/[\w./-]*\.(?:ts|mjs))(?![\w/-])/g
/** Root files are named bare: `action.yml`, `CONTRIBUTING.md`, `vitest.config.ts`. */
const ROOT_NAMES =
  '[A-Z][A-Z_-]*\\.md|LICENSE|action\\.yml|app\\.yml|package\\.json|tsconfig\\.json|biome\\.json|[a-z]+\\.config\\.(?:ts|mjs)'
const ROOT_FILE = new RegExp(`(?<![\\w./@-])((?:${ROOT_NAMES}))(?![\\w/-])(#[\\w-]+)?`, 'g')
/**
 * Paths that name a file in the user's repository, not in this one: the settings file kitty reads from the
 * repository it manages.
 */
const NOT_OURS = new Set(['.github/kitty.yml'])

interface Dangling {
  where: string
  reference: string
  why: string
}

/** `x/{a,b}.ts` → `x/a.ts` and `x/b.ts`; nested braces are not used in this repository. */
function expandBraces(path: string): string[] {
  const m = /\{([^{}]*)\}/.exec(path)
  if (!m) return [path]
  return m[1]!
    .split(',')
    .flatMap((alt) => expandBraces(path.slice(0, m.index) + alt + path.slice(m.index + m[0].length)))
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const { text } of markdownLines(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)
    if (!m) continue
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    anchors.add(n === 0 ? base : `${base}-${n}`)
  }
  return anchors
}

/** The lines of a page outside fenced code, with their numbers. */
function markdownLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = []
  let fence: string | null = null
  markdown.split('\n').forEach((text, i) => {
    const open = /^\s*(```|~~~)/.exec(text)
    if (open) {
      if (fence === null) fence = open[1]!
      else if (text.trim().startsWith(fence)) fence = null
      return
    }
    if (fence === null) out.push({ line: i + 1, text })
  })
  return out
}

/**
 * The comment text of a TypeScript or JavaScript file, line by line (code blanked), so that the file names a test
 * writes into a temporary repository are not taken for references. A small scanner: strings
 * and template literals are skipped, `//` and block comments kept.
 */
/** The index of the closing `/` of the regular expression literal that opens at `start` (on the same line). */
function endOfRegex(source: string, start: number): number {
  let inClass = false
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i]!
    if (c === '\n') return i - 1
    if (c === '\\') i++
    else if (c === '[') inClass = true
    else if (c === ']') inClass = false
    else if (c === '/' && !inClass) return i
  }
  return source.length
}

function commentLines(source: string): string[] {
  const lines: string[] = []
  let current = ''
  let state: 'code' | 'line' | 'block' | "'" | '"' | '`' = 'code'
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!
    const next = source[i + 1]
    if (c === '\n') {
      lines.push(current)
      current = ''
      // A quote cannot span lines: an unclosed one was a regular expression or a stray character.
      if (state === 'line' || state === "'" || state === '"') state = 'code'
      continue
    }
    if (state === 'code') {
      if (c === '/' && next === '/') state = 'line'
      else if (c === '/' && next === '*') state = 'block'
      else if (c === "'" || c === '"' || c === '`') state = c
      else if (c === '/' && /(^|[(,=:[!&|?{};]|return)\s*$/.test(source.slice(Math.max(0, i - 8), i))) {
        i = endOfRegex(source, i)
        continue
      }
      if (state === 'line' || state === 'block') i++
      continue
    }
    if (state === 'line') current += c
    else if (state === 'block') {
      if (c === '*' && next === '/') {
        state = 'code'
        i++
      } else current += c
    } else if (c === '\\') i++
    else if (c === state) state = 'code'
  }
  lines.push(current)
  return lines
}

interface Context {
  root: string
  /** Anchors of a page, read once. */
  anchorsOf: (path: string) => Set<string> | null
}

function checkTarget(ctx: Context, target: string, anchor: string | undefined): string | null {
  const full = join(ctx.root, target)
  if (!existsSync(full)) return 'no such file or folder'
  if (anchor && target.endsWith('.md') && statSync(full).isFile()) {
    const anchors = ctx.anchorsOf(target)
    if (anchors && !anchors.has(anchor)) return `no heading #${anchor} in ${target}`
  }
  return null
}

/** Every root-relative path named in one line of text that does not resolve. */
function danglingPaths(ctx: Context, text: string, where: string): Dangling[] {
  const found: Dangling[] = []
  const check = (raw: string, anchor: string | undefined, base = '') => {
    const path = raw.replace(/[.,;:)]+$/, '')
    if (NOT_OURS.has(path)) return
    for (const alternative of expandBraces(path)) {
      // `test/cli/<area>-commands.test.ts`, `docs/*.md`: the folder before the placeholder must exist.
      const wild = alternative.search(/[*<>]/)
      const target = wild < 0 ? alternative : alternative.slice(0, alternative.lastIndexOf('/', wild) + 1)
      const why = checkTarget(ctx, base + target, wild < 0 ? anchor?.slice(1) : undefined)
      if (why) found.push({ where, reference: base + alternative + (anchor ?? ''), why })
    }
  }
  // `a.ts,b.ts` is two paths (a list in an environment variable); a comma inside braces is an alternative.
  for (const m of text.matchAll(PATH)) for (const one of m[1]!.split(/,(?![^{]*\})/)) check(one, m[2])
  for (const m of text.matchAll(SRC_RELATIVE)) check(m[1]!, undefined, 'src/')
  for (const m of text.matchAll(ROOT_FILE)) check(m[1]!, m[2])
  return found
}

/** Every relative link or image of a page whose file, or whose `#anchor` in a page, does not exist. */
function danglingLinks(ctx: Context, page: string, markdown: string): Dangling[] {
  const found: Dangling[] = []
  const own = headingAnchors(markdown)
  for (const { line, text } of markdownLines(markdown)) {
    const prose = text.replace(/`[^`]*`/g, '')
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const link = m[1]!
      if (/^[a-z][a-z+.-]*:/i.test(link)) continue
      const [file, anchor] = link.split('#') as [string, string | undefined]
      if (file === '') {
        if (anchor && !own.has(anchor))
          found.push({ where: `${page}:${line}`, reference: link, why: 'no such heading here' })
        continue
      }
      const target = normalize(join(dirname(page), decodeURIComponent(file)))
      const why = target.startsWith('..') ? 'outside the repository' : checkTarget(ctx, target, anchor)
      if (why) found.push({ where: `${page}:${line}`, reference: link, why })
    }
  }
  return found
}

function makeContext(root: string): Context {
  const cache = new Map<string, Set<string> | null>()
  return {
    root,
    anchorsOf: (path) => {
      if (!cache.has(path)) {
        const full = join(root, path)
        cache.set(path, existsSync(full) ? headingAnchors(readFileSync(full, 'utf8')) : null)
      }
      return cache.get(path)!
    },
  }
}

const format = (list: Dangling[]) => list.map((d) => `${d.where}: ${d.reference} (${d.why})`)

describe('every reference resolves', () => {
  const ctx = makeContext(PROJECT_ROOT)
  // Tracked files plus new ones not yet committed; the vendored upstream corpus is data, not our prose.
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f !== '' && !f.startsWith('test/fixtures/') && existsSync(join(PROJECT_ROOT, f)))
  const sources = files.filter((f) => /^(src|test|scripts)\/.*\.(ts|mjs|js)$/.test(f))
  const pages = files.filter((f) => f.endsWith('.md'))

  it('finds what it checks (so it cannot pass by finding nothing)', () => {
    expect(sources.length).toBeGreaterThan(200)
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/design.md']))
  })

  it('every repository path named in a comment of src/, test/ or scripts/ exists', () => {
    const dangling = sources.flatMap((file) =>
      commentLines(readFileSync(join(PROJECT_ROOT, file), 'utf8')).flatMap((text, i) =>
        danglingPaths(ctx, text, `${file}:${i + 1}`),
      ),
    )
    expect(format(dangling)).toEqual([])
  })

  it('every repository path named in a Markdown page exists', () => {
    const dangling = pages.flatMap((page) =>
      readFileSync(join(PROJECT_ROOT, page), 'utf8')
        .split('\n')
        .flatMap((text, i) => danglingPaths(ctx, text, `${page}:${i + 1}`)),
    )
    expect(format(dangling)).toEqual([])
  })

  it('every relative Markdown link resolves, to the heading when it names one', () => {
    const dangling = pages.flatMap((page) => danglingLinks(ctx, page, readFileSync(join(PROJECT_ROOT, page), 'utf8')))
    expect(format(dangling)).toEqual([])
  })
})

describe('the checker itself', () => {
  const ctx = makeContext(PROJECT_ROOT)

  it('names a planted bad path with its place, and accepts good ones, globs, placeholders and braces', () => {
    const text = 'see src/store/limits.ts, src/core/lanes.ts:12, docs/*.md, test/cli/<area>-commands.test.ts'
    expect(format(danglingPaths(ctx, text, 'x.ts:3'))).toEqual(['x.ts:3: src/store/limits.ts (no such file or folder)'])
    expect(format(danglingPaths(ctx, 'test/core/{lanes,nope}.test.ts', 'y.md:1'))).toEqual([
      'y.md:1: test/core/nope.test.ts (no such file or folder)',
    ])
    expect(danglingPaths(ctx, 'https://github.com/o/r/blob/main/src/nope.ts and .test-dist/x', 'z:1')).toEqual([])
    expect(format(danglingPaths(ctx, 'CONTRIBUTING.md and SECURITY.md', 'z:2'))).toEqual([
      'z:2: SECURITY.md (no such file or folder)',
    ])
  })

  it('checks the anchor of a path named in a comment', () => {
    expect(danglingPaths(ctx, '(docs/design.md#quality-bars)', 'a:1')).toEqual([])
    expect(format(danglingPaths(ctx, '(docs/design.md#no-such-heading).', 'a:2'))).toEqual([
      'a:2: docs/design.md#no-such-heading (no heading #no-such-heading in docs/design.md)',
    ])
  })

  it('reads only comments of code, never strings, and keeps block comments', () => {
    const source = [
      "const p = 'docs/old.md' // the test repo's docs/old.md",
      'const re = /["]/ // src/x.ts',
      '/** see src/y.ts',
      ' * and src/z.ts */ const t = `src/no.ts`',
    ].join('\n')
    expect(commentLines(source)).toEqual([
      " the test repo's docs/old.md",
      ' src/x.ts',
      '* see src/y.ts',
      ' * and src/z.ts ',
    ])
  })

  it('resolves links relative to the page, skips URLs and code, and checks anchors', () => {
    const page = [
      '# Title',
      '## A `code` heading: with punctuation',
      '[ok](#a-code-heading-with-punctuation) [url](https://x.y/z) `[code](nope.md)`',
      '[up](../README.md#kitty-github) [sibling](design.md#quality-bars) ![img](board-static-small.png)',
      '[bad](nope.md) [bad anchor](design.md#nope) [self](#nope)',
      '```',
      '[in a fence](nope.md)',
      '```',
    ].join('\n')
    expect(format(danglingLinks(ctx, 'docs/page.md', page))).toEqual([
      'docs/page.md:5: nope.md (no such file or folder)',
      'docs/page.md:5: design.md#nope (no heading #nope in docs/design.md)',
      'docs/page.md:5: #nope (no such heading here)',
    ])
  })
})
