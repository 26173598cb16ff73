import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { findCommand } from '../../src/engine/framework/registry.ts'
import { COMMENT_COMMANDS, commentHelp, findCommentCommand, helpRow } from '../../src/github/comment-commands.ts'
import type { ParseContext } from '../../src/github/parse-comment.ts'
import { MAX_COMMANDS, parseComment, targetFromBranch } from '../../src/github/parse-comment.ts'
import { cleanupTempDirs, makeRepo, POLICY_JSON, PROJECT_ROOT } from '../helpers/git-repo.ts'
import { cliInProcess, envelopeProblems, fingerprint } from '../helpers/in-process.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100)
const URL = 'https://github.com/acme/app/pull/7#issuecomment-1'
const CTX: ParseContext = {
  author: 'octocat',
  url: URL,
  headBranch: `${M}-WP02`,
  branchPattern: '{mission_slug}-{wp_id}',
}

const argvOf = (body: string, ctx: Partial<ParseContext> = {}) =>
  parseComment(body, { ...CTX, ...ctx }).map((l) => (l.kind === 'command' ? l.argv : `error: ${l.message}`))
const review = (verdict: string) =>
  `--review-result-json=${JSON.stringify({ reviewer: 'octocat', verdict, reference: URL })}`

describe('comment commands: the registry', () => {
  it('declares for each command the access its orchestrator-api command has', () => {
    for (const c of COMMENT_COMMANDS) {
      if (c.engine === null) expect(c.access).toBe('read')
      else expect(c.access, c.name).toBe(findCommand('orchestrator-api', c.engine)!.access)
    }
  })

  it('/kitty help lists every command, its usage and who may use it; docs/comment-commands.md shows the same table', () => {
    const help = commentHelp()
    const readme = readFileSync(join(PROJECT_ROOT, 'docs', 'comment-commands.md'), 'utf8')
    for (const c of COMMENT_COMMANDS) {
      expect(help).toContain(`| ${helpRow(c)} |`)
      expect(readme, `docs/comment-commands.md row for ${c.name}`).toContain(`| ${helpRow(c)} |`)
    }
    expect(helpRow(findCommentCommand('merge')!)).toBe(
      '`/kitty merge [--strategy merge\\|squash\\|rebase]` | Merge every WP branch into the target in dependency order, then mark the WPs done. | write access',
    )
  })
})

describe('parseComment', () => {
  it('turns each command into its orchestrator-api call, mission and WP from the head branch', () => {
    const body = [
      'Looks good overall.',
      '/kitty start-review',
      '/kitty approve --note ship it',
      '/kitty request-changes please add "tests" for the parser',
      "/kitty block waiting on the API team's answer",
      '/kitty note  reran CI, green ',
      '/kitty transition doing --force --note back to work',
      '/kitty state',
      '/kitty ready',
    ].join('\n')
    expect(argvOf(body)).toEqual([
      [
        'orchestrator-api',
        'start-review',
        `--mission=${M}`,
        '--wp=WP02',
        `--review-ref=${URL}`,
        '--actor=github:octocat',
      ],
      [
        'orchestrator-api',
        'transition',
        `--mission=${M}`,
        '--wp=WP02',
        '--to=approved',
        review('approved'),
        '--note=ship it',
        '--actor=github:octocat',
      ],
      [
        'orchestrator-api',
        'transition',
        `--mission=${M}`,
        '--wp=WP02',
        '--to=in_progress',
        review('changes_requested'),
        '--note=please add "tests" for the parser',
        '--actor=github:octocat',
      ],
      [
        'orchestrator-api',
        'transition',
        `--mission=${M}`,
        '--wp=WP02',
        '--to=blocked',
        "--note=waiting on the API team's answer",
        '--actor=github:octocat',
      ],
      [
        'orchestrator-api',
        'append-history',
        `--mission=${M}`,
        '--wp=WP02',
        '--note=reran CI, green',
        '--actor=github:octocat',
      ],
      [
        'orchestrator-api',
        'transition',
        `--mission=${M}`,
        '--wp=WP02',
        '--to=in_progress',
        '--force',
        '--note=back to work',
        '--actor=github:octocat',
      ],
      ['orchestrator-api', 'mission-state', `--mission=${M}`],
      ['orchestrator-api', 'list-ready', `--mission=${M}`],
    ])
  })

  it('mission-level commands, explicit --mission/--wp, a WP given to start-review, and help', () => {
    expect(argvOf('/kitty merge --strategy squash\n/kitty accept', { headBranch: `${M}-WP01` })).toEqual([
      ['orchestrator-api', 'merge-mission', `--mission=${M}`, '--strategy=squash', '--actor=github:octocat'],
      ['orchestrator-api', 'accept-mission', `--mission=${M}`, '--actor=github:octocat'],
    ])
    expect(argvOf('/kitty start-review wp03 --mission 041-older', { headBranch: 'feature/x' })).toEqual([
      [
        'orchestrator-api',
        'start-review',
        '--mission=041-older',
        '--wp=WP03',
        `--review-ref=${URL}`,
        '--actor=github:octocat',
      ],
    ])
    const help = parseComment('/kitty\n/kitty help', CTX)
    expect(help.map((l) => l.kind === 'command' && l.command.name)).toEqual(['help', 'help'])
  })

  it('a value is only ever a value: "--force" in a note stays in the note', () => {
    expect(argvOf('/kitty approve --note --force --to done')).toEqual([
      [
        'orchestrator-api',
        'transition',
        `--mission=${M}`,
        '--wp=WP02',
        '--to=approved',
        review('approved'),
        '--note=--force --to done',
        '--actor=github:octocat',
      ],
    ])
    expect(argvOf('/kitty note rm -rf / --force; --mission=x')).toEqual([
      [
        'orchestrator-api',
        'append-history',
        `--mission=${M}`,
        '--wp=WP02',
        '--note=rm -rf / --force; --mission=x',
        '--actor=github:octocat',
      ],
    ])
    // Declared options come first; their values are values too (the engine refuses an unsafe selector).
    expect(argvOf('/kitty note --mission=../x; rm -rf /')).toEqual([
      [
        'orchestrator-api',
        'append-history',
        '--mission=../x;',
        '--wp=WP02',
        '--note=rm -rf /',
        '--actor=github:octocat',
      ],
    ])
  })

  it('ignores commands in code fences, quotes and indented code; reads CRLF comments', () => {
    const body = [
      '```',
      '/kitty approve',
      '```',
      '> /kitty approve',
      '    /kitty approve',
      '~~~~',
      '/kitty merge',
      '~~~',
      '~~~~',
      '/kitty state\r',
      '',
    ].join('\r\n')
    expect(argvOf(body)).toEqual([['orchestrator-api', 'mission-state', `--mission=${M}`]])
    expect(argvOf('/kittyapprove\n/kitty-approve\nplease /kitty approve')).toEqual([])
  })

  it('answers mistakes with one sentence and the usage', () => {
    expect(argvOf('/kitty aprove')).toEqual([
      "error: Unknown command '/kitty aprove'. Did you mean /kitty approve? Try /kitty help.",
    ])
    expect(argvOf('/kitty transition sideways')[0]).toMatch(
      /^error: 'sideways' is not a lane; use one of planned, claimed, .* Usage: `\/kitty transition <lane>/,
    )
    expect(argvOf('/kitty block')).toEqual(['error: /kitty block needs <text>. Usage: `/kitty block <reason>`'])
    expect(argvOf('/kitty merge --strategy')[0]).toBe(
      'error: --strategy needs a value. Usage: `/kitty merge [--strategy merge|squash|rebase]`',
    )
    expect(argvOf('/kitty state --force')[0]).toBe('error: /kitty state has no option --force. Usage: `/kitty state`')
    expect(argvOf('/kitty approve now')[0]).toBe("error: Unexpected 'now'. Usage: `/kitty approve [--note <text>]`")
    expect(argvOf('/kitty start-review WPX')[0]).toMatch(/^error: 'WPX' is not a work package id/)
    expect(argvOf('/kitty approve', { headBranch: 'main' })[0]).toBe(
      "error: /kitty approve needs a mission: this pull request's branch 'main' does not match {mission_slug}-{wp_id}; add --mission <slug>. Usage: `/kitty approve [--note <text>]`",
    )
    expect(argvOf('/kitty approve --mission 099', { headBranch: 'main' })[0]).toMatch(
      /^error: \/kitty approve needs a WP: /,
    )
  })

  it(`runs at most ${MAX_COMMANDS} commands of one comment and says so`, () => {
    const lines = parseComment(Array.from({ length: 15 }, () => '/kitty state').join('\n'), CTX)
    expect(lines).toHaveLength(MAX_COMMANDS + 1)
    expect(lines.at(-1)).toMatchObject({
      kind: 'error',
      line: MAX_COMMANDS + 1,
      message: expect.stringContaining(`first ${MAX_COMMANDS}`),
    })
  })

  it('reads mission and WP from a configured branch pattern', () => {
    expect(targetFromBranch('kitty/034-auth/WP07', 'kitty/{mission_slug}/{wp_id}')).toEqual({
      mission: '034-auth',
      wp: 'WP07',
    })
    expect(targetFromBranch('034-auth-WP07', '{mission_slug}-{wp_id}')).toEqual({ mission: '034-auth', wp: 'WP07' })
    expect(targetFromBranch('034-auth', '{mission_slug}-{wp_id}')).toEqual({})
    expect(targetFromBranch('a.b+c-WP1', '{mission_slug}-{wp_id}')).toEqual({})
  })
})

// ---------------------------------------------------------------------------------------------
// Properties

const ALLOWED_FLAGS = new Set([
  'mission',
  'wp',
  'actor',
  'to',
  'note',
  'force',
  'strategy',
  'review-ref',
  'review-result-json',
])

const noise = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '--',
    '--force',
    '--note',
    '--to=done',
    '"',
    "'",
    '```',
    '~~~',
    '> ',
    '\u0000',
    '\u202e',
    '/kitty',
    'WP01',
    'doing',
    '\t',
  ),
)
const word = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'WP01',
      'WP02',
      'wp03',
      'WP99',
      'done',
      'approved',
      'in_review',
      'for_review',
      'doing',
      'blocked',
      'squash',
      'octopus',
      M,
      '099',
      'nope',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '--note',
      '--force',
      '--mission',
      '--wp',
      '--strategy',
      '--to',
      '--note=',
      '--bogus',
      '--mission=099',
    ),
  },
  { weight: 1, arbitrary: noise },
)
const commandLine = fc
  .tuple(
    fc.constantFrom(' ', '', '   '),
    fc.constantFrom('/kitty', '/KITTY', '/kitty'),
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...COMMENT_COMMANDS.map((c) => c.name)) },
      { weight: 1, arbitrary: noise },
    ),
    fc.array(word, { maxLength: 6 }),
  )
  .map(([indent, prefix, name, rest]) => `${indent}${prefix} ${name} ${rest.join(' ')}`)
/** A line following a command's declared grammar, with plausible values: reaches the engine. */
const VALUES: Record<string, string[]> = {
  to: ['for_review', 'in_review', 'approved', 'done', 'doing', 'blocked', 'planned', 'canceled'],
  wp: ['WP01', 'WP02', 'WP03', 'WP04', 'wp02', 'WP09'],
  mission: [M, '099', 'test-mission'],
  strategy: ['merge', 'squash', 'octopus'],
  note: ['ship it', 'needs "tests"', "don't merge yet", '--force', 'ünïcödé ✓'],
}
const wellFormed = fc
  .tuple(fc.constantFrom(...COMMENT_COMMANDS), fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), fc.boolean())
  .map(([c, picks, withOption]) => {
    const pick = (name: string, i: number) => VALUES[name]?.[picks[i]! % VALUES[name]!.length] ?? 'x'
    const parts = [`/kitty ${c.name}`]
    const option = c.options[picks[3]! % Math.max(c.options.length, 1)]
    if (withOption && option && option.kind !== 'rest')
      parts.push(option.kind === 'flag' ? `--${option.name}` : `--${option.name} ${pick(option.name, 1)}`)
    if (c.positional) parts.push(pick(c.positional.name, 0))
    if (withOption && option?.kind === 'rest') parts.push(`--${option.name} ${pick(option.name, 2)}`)
    return parts.join(' ')
  })
const body = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: wellFormed },
      { weight: 2, arbitrary: commandLine },
      { weight: 1, arbitrary: noise },
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((lines) => lines.join('\n'))
const ctxArb = fc.record({
  author: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('octocat', 'dependabot[bot]', 'a-b') },
    { weight: 1, arbitrary: fc.string() },
  ),
  url: fc.constantFrom(URL, ''),
  headBranch: fc.constantFrom(
    `${M}-WP01`,
    `${M}-WP02`,
    `${M}-WP03`,
    `${M}-WP04`,
    `${M}-WP07`,
    'main',
    null,
    '099-WP01',
  ),
  branchPattern: fc.oneof(
    { weight: 4, arbitrary: fc.constant('{mission_slug}-{wp_id}') },
    { weight: 1, arbitrary: fc.constantFrom('kitty/{mission_slug}/{wp_id}', '{wp_id}') },
  ),
})

describe('property: any comment body', () => {
  it(`parses without throwing; user words only ever become values of declared flags (${RUNS * 20} runs)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(body, fc.string({ maxLength: 2000 }), fc.string({ unit: 'binary', maxLength: 2000 })),
        ctxArb,
        (text, ctx) => {
          const lines = parseComment(text, ctx)
          expect(lines.length).toBeLessThanOrEqual(MAX_COMMANDS + 1)
          for (const l of lines) {
            if (l.kind === 'error') {
              expect(l.message.length).toBeGreaterThan(0)
              continue
            }
            if (l.command.engine === null) {
              expect(l.argv).toEqual([])
              continue
            }
            expect(l.argv.slice(0, 2)).toEqual(['orchestrator-api', l.command.engine])
            const spec = findCommand('orchestrator-api', l.command.engine)!
            for (const arg of l.argv.slice(2)) {
              const flag = /^--([a-z-]+)(=|$)/.exec(arg)?.[1]
              expect(flag && ALLOWED_FLAGS.has(flag) && spec.params.some((p) => p.name === flag), arg).toBe(true)
              expect(arg).not.toMatch(/[\r\n]/)
            }
            expect(new Set(l.argv.map((a) => a.split('=')[0])).size).toBe(l.argv.length)
          }
        },
      ),
      { numRuns: RUNS * 20 },
    )
  })

  it(`end to end: every parsed command answers one valid envelope and a failure writes nothing (${RUNS} comments)`, async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'for_review' },
          { id: 'WP02', lane: 'in_review' },
          { id: 'WP03', lane: 'in_progress' },
          { id: 'WP04', lane: 'approved' },
        ],
      },
    ])
    let ran = 0
    const codes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(body, ctxArb, async (text, ctx) => {
        for (const l of parseComment(text, ctx)) {
          if (l.kind !== 'command' || l.command.engine === null) continue
          const spec = findCommand('orchestrator-api', l.command.engine)!
          const argv = spec.params.some((p) => p.name === 'policy') ? [...l.argv, `--policy=${POLICY_JSON}`] : l.argv
          const before = fingerprint(repo)
          const out = await cliInProcess(repo, argv)
          const problems = envelopeProblems(out.envelope, out.exitCode)
          if (!out.envelope.success && fingerprint(repo) !== before) problems.push('a failure changed the repository')
          if (problems.length > 0) throw new Error(`${JSON.stringify(argv)} → ${problems.join('; ')}\n${out.line}`)
          ran++
          const code = out.envelope.error_code ?? 'ok'
          codes.set(code, (codes.get(code) ?? 0) + 1)
        }
      }),
      { numRuns: RUNS },
    )
    // The generator must reach the engine and the store, not only the parser's error paths.
    expect(ran).toBeGreaterThan(RUNS / 2)
    expect(codes.get('ok') ?? 0).toBeGreaterThan(0)
    if (process.env['KITTY_FUZZ_REPORT']) console.log('comment commands run', ran, Object.fromEntries(codes))
  })
})
