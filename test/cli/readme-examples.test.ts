import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { makeSampleRepo } from '../../scripts/demo-repo.ts'
import { cleanupTempDirs, CLI, PROJECT_ROOT, tempDir } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

/** A fence preceded by this comment holds commands that are not meant to run here (a synopsis, a remote). */
const SKIP = /^<!-- readme-examples: skip\b/

interface Example {
  file: string
  line: number
  command: string
}

/**
 * Every `kitty …` command in a page's bash fences, in order, continuation lines joined; plus the
 * shell variables those fences set (`POLICY='…'`), which later commands use.
 */
function readmeExamples(markdown: string, file = 'README.md'): { commands: Example[]; assignments: string[] } {
  const lines = markdown.split('\n')
  const commands: Example[] = []
  const assignments: string[] = []
  let inFence = false
  let skip = false
  let previous = ''
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!
    if (!inFence && /^```(bash|sh|shell)\s*$/.test(text)) {
      inFence = true
      skip = SKIP.test(previous)
      continue
    }
    if (inFence && text.startsWith('```')) {
      inFence = false
      continue
    }
    if (text.trim() !== '') previous = text.trim()
    if (!inFence || skip) continue
    let logical = text
    const start = i + 1
    while (logical.endsWith('\\') && i + 1 < lines.length)
      logical = `${logical.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`
    const code = logical.replace(/\s{2,}#.*$/, '').trim()
    if (/^([A-Z_]+=\S*\s+)*kitty\s/.test(code)) commands.push({ file, line: start, command: code })
    else if (/^[A-Z_]+='[^']*'$/.test(code)) assignments.push(code)
  }
  return { commands, assignments }
}

/**
 * The README, then every page of docs/ in name order: one walk through the demo mission. Only docs/cli.md
 * changes state, and the pages after it (upstream.md's dry runs) read what it left.
 */
const PAGES = [
  'README.md',
  ...readdirSync(join(PROJECT_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
]
const TEXTS = PAGES.map((page) => readFileSync(join(PROJECT_ROOT, page), 'utf8'))
const extracted = PAGES.map((page, i) => readmeExamples(TEXTS[i]!, page))
const commands = extracted.flatMap((e) => e.commands)
const assignments = extracted.flatMap((e) => e.assignments)

describe('the examples of the README and docs/ run against the demo repository', () => {
  const repo = makeSampleRepo(tempDir('kitty-demo-'))
  // `kitty` is the built CLI; the shell does the quoting exactly as a reader's would.
  const prelude = [`kitty() { ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"; }`, ...assignments].join(
    '\n',
  )

  it('finds the examples (so this test cannot pass by finding none)', () => {
    expect(commands.length).toBeGreaterThanOrEqual(12)
    expect(assignments.some((a) => a.startsWith('POLICY='))).toBe(true)
    for (const file of ['README.md', 'docs/cli.md', 'docs/upstream.md'])
      expect(
        commands.some((c) => c.file === file),
        `no example found in ${file}`,
      ).toBe(true)
    for (const text of TEXTS) expect(text).not.toMatch(/--mission 034\b/)
  })

  // In order: each builds on the state the ones before left.
  it.each(commands.map((c) => [`${c.file}:${c.line}`, c.command] as const))('%s %s', (_where, command) => {
    let stdout: string
    try {
      stdout = execFileSync('bash', ['-c', `${prelude}\n${command}`], {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, KITTY_HELP_FORMAT: '' },
      })
    } catch (err) {
      throw new Error(
        `${command}\n→ exit ${(err as { status?: number }).status}: ${(err as { stdout?: string }).stdout}`,
      )
    }
    expect(stdout.trim().split('\n')).toHaveLength(1)
    const envelope = JSON.parse(stdout)
    expect(envelope.success, stdout).toBe(true)
  })
})

describe('the extraction itself', () => {
  it('joins continuations, drops trailing comments, honours the skip marker and ignores other languages', () => {
    const md = [
      '```bash',
      "X='1'",
      'kitty a --b "$X" \\',
      '  --c d   # note',
      'npm test',
      '```',
      '<!-- readme-examples: skip (synopsis) -->',
      '```bash',
      'kitty never',
      '```',
      '```yaml',
      'kitty: no',
      '```',
    ].join('\n')
    expect(readmeExamples(md)).toEqual({
      commands: [{ file: 'README.md', line: 3, command: 'kitty a --b "$X" --c d' }],
      assignments: ["X='1'"],
    })
  })
})
