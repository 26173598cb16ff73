import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src/engine/framework/registry.ts'
import { cleanupTempDirs, makeRepo, POLICY, POLICY_JSON, wpFile } from '../helpers/git-repo.ts'
import { cliInProcess, envelopeProblems, fingerprint } from '../helpers/in-process.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100)
const gitQuiet = (repo: string, ...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' })

/** Run one CLI call and check every invariant; returns the outcome for property-specific checks. */
async function checked(repo: string, argv: string[]) {
  const before = fingerprint(repo)
  const out = await cliInProcess(repo, argv)
  const problems = envelopeProblems(out.envelope, out.exitCode)
  if (!out.envelope.success && fingerprint(repo) !== before) problems.push('a failure changed the repository')
  if (problems.length > 0) throw new Error(`${JSON.stringify(argv)} → ${problems.join('; ')}\n${out.line}`)
  return out
}

const weird = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../etc',
    'a/b',
    '-',
    '--',
    '--mission',
    'WP01',
    'WP99',
    M,
    '099',
    'doing',
    'done',
    '{}',
    '[]',
    'null',
    '\u0000',
    'ü',
    '\n',
  ),
)
const flagNames = [...new Set(COMMANDS.flatMap((c) => c.params.map((p) => `--${p.name}`)))].filter(
  (f) => f !== '--repo',
)
const argvArb = fc.tuple(
  fc.constantFrom('orchestrator-api', 'agent', 'reconcile', 'migrate', 'bogus', '--help', ''),
  fc.constantFrom(...COMMANDS.map((c) => c.name), 'feature-state', 'nope', '--bogus', 'tasks'),
  fc.array(fc.oneof(fc.constantFrom(...flagNames, '--no-force', '--feature', '--json', '--policy', '--to'), weird), {
    maxLength: 10,
  }),
)

const LANE_VALUES = [
  'planned',
  'claimed',
  'in_progress',
  'doing',
  'for_review',
  'in_review',
  'approved',
  'done',
  'blocked',
  'canceled',
]
/** Mostly-valid values per flag, with a weird one now and then, so runs reach the engine and the store. */
function valueFor(name: string): fc.Arbitrary<string> {
  const likely: Record<string, string[]> = {
    mission: [M, '099', 'test-mission'],
    wp: ['WP01', 'WP02', 'WP99'],
    actor: ['claude', 'codex', 'reviewer'],
    policy: [POLICY_JSON],
    to: [...LANE_VALUES, 'frontmatter', 'events'],
    from: ['events', 'frontmatter'],
    note: ['why not', 'line one\nline two'],
    'review-ref': ['pr#1'],
    'review-result-json': [
      JSON.stringify({ reviewer: 'r', verdict: 'approved', reference: 'pr#1' }),
      JSON.stringify({ reviewer: 'r', verdict: 'changes_requested', reference: 'pr#1' }),
    ],
    'evidence-json': [JSON.stringify({ review: { reviewer: 'r', verdict: 'approved', reference: 'pr#1' } })],
    status: ['done', 'pending'],
    strategy: ['merge', 'squash', 'rebase', 'octopus'],
    limit: ['1', '5'],
    offset: ['0', '2'],
    'provider-version': ['0.1.0', '2'],
  }
  const values = likely[name] ?? ['x']
  return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: weird })
}

/** Well-formed shapes with random values, so properties reach the engine, not only the parser. */
const structuredArgv = fc.constantFrom(...COMMANDS).chain((spec) => {
  const params = spec.params.filter((p) => p.name !== 'repo' && p.name !== 'branch')
  const flagArbs = params.map((p) =>
    fc.oneof(
      {
        weight: p.required ? 9 : 1,
        arbitrary:
          p.type === 'boolean'
            ? fc.constant([p.negatable ? `--no-${p.name}` : `--${p.name}`])
            : valueFor(p.name).map((v) => [`--${p.name}`, v]),
      },
      { weight: p.required ? 1 : 2, arbitrary: fc.constant([] as string[]) },
    ),
  )
  return fc
    .tuple(fc.tuple(...flagArbs), fc.array(fc.constantFrom('T001', 'T002', 'T9', 'x'), { maxLength: 2 }))
    .map(([flags, positionals]) => {
      const head =
        spec.group === 'orchestrator-api'
          ? ['orchestrator-api', spec.name]
          : spec.group === 'kitty'
            ? [spec.name]
            : ['agent', 'tasks', spec.name]
      return [...head, ...(spec.positionals ? positionals : []), ...flags.flat()]
    })
})

/**
 * How often a property took each branch of its checks: an assertion inside an `if` means something only
 * if that branch is reached often enough, so each property asserts a floor on it (a change that sends
 * every case down the failure path fails the test instead of passing vacuously).
 */
function branchCounter() {
  const counts = new Map<string, number>()
  return {
    hit: (branch: string) => counts.set(branch, (counts.get(branch) ?? 0) + 1),
    expectAtLeast(branch: string, floor: number) {
      if (process.env['KITTY_FUZZ_REPORT']) console.error(`${branch}: ${counts.get(branch) ?? 0}`)
      expect(
        counts.get(branch) ?? 0,
        `branch "${branch}" reached ${counts.get(branch) ?? 0} times, floor ${Math.ceil(floor)}`,
      ).toBeGreaterThanOrEqual(Math.ceil(floor))
    },
  }
}

const outcomes = new Map<string, number>()
afterAll(() => {
  if (process.env['KITTY_FUZZ_REPORT'])
    console.error(
      [...outcomes]
        .sort()
        .map(([k, n]) => `${n}\t${k}`)
        .join('\n'),
    )
})

describe('property: any argv vector', () => {
  it(`well-formed commands with random values: one valid envelope, failures write nothing (${RUNS * 2} runs)`, async () => {
    const repo = makeRepo()
    const branches = branchCounter()
    await fc.assert(
      fc.asyncProperty(structuredArgv, async (argv) => {
        const out = await checked(repo, argv)
        const key = `${argv[1]} ${out.envelope.error_code ?? 'ok'}`
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
        branches.hit(
          out.envelope.success
            ? 'success'
            : out.envelope.error_code === 'USAGE_ERROR'
              ? 'usage error'
              : 'refused by the engine',
        )
      }),
      { numRuns: RUNS * 2 },
    )
    // Floors are about a quarter of what a run reaches (KITTY_FUZZ_REPORT=1 prints the counts), so a
    // fresh seed does not trip them but a change that sends every case down one path does.
    // The shapes are meant to reach the engine: some succeed, some are refused past the parser.
    branches.expectAtLeast('success', RUNS * 0.2)
    branches.expectAtLeast('refused by the engine', RUNS * 0.1)
  })

  it(`answers exactly one valid envelope and a failure writes nothing (${RUNS} runs)`, async () => {
    const repo = makeRepo()
    await fc.assert(
      fc.asyncProperty(argvArb, async ([group, command, rest]) => {
        const argv = [group, command, ...rest].filter((a) => a !== '')
        // --repo would point the CLI elsewhere; everything else is fair game.
        await checked(repo, argv)
      }),
      { numRuns: RUNS },
    )
  })
})

const secretish = fc
  .tuple(fc.constantFrom('token', 'SECRET', 'Key', 'password', 'credential'), fc.stringMatching(/^[a-z0-9]{10}$/))
  .map(([word, tail]) => `zz${word}${tail}`)
const jsonWithSecrets: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    secretish,
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value
const policyArb = fc.oneof(
  // A real policy with one field replaced by anything.
  fc
    .tuple(fc.constantFrom(...Object.keys(POLICY), 'tool_restrictions', 'extra'), jsonWithSecrets)
    .map(([k, v]) => JSON.stringify({ ...POLICY, [k]: v })),
  jsonWithSecrets.map((v) => JSON.stringify(v)),
  fc.string(),
)
function secretsIn(raw: string): string[] {
  return [...raw.matchAll(/zz(?:token|SECRET|Key|password|credential)[a-z0-9]{10}/g)].map((m) => m[0])
}

describe('property: any policy JSON', () => {
  it(`is accepted or refused cleanly and never echoes a secret-like value (${RUNS} runs)`, async () => {
    const repo = makeRepo()
    const branches = branchCounter()
    await fc.assert(
      fc.asyncProperty(
        policyArb,
        fc.constantFrom('start-implementation', 'transition', 'start-review'),
        async (policy, command) => {
          const flags = command === 'transition' ? ['--to', 'blocked'] : []
          const out = await checked(repo, [
            'orchestrator-api',
            command,
            '--mission',
            M,
            '--wp',
            'WP02',
            '--actor',
            'fuzz',
            '--policy',
            policy,
            ...flags,
          ])
          for (const secret of secretsIn(policy)) expect(out.line).not.toContain(secret)
          if (secretsIn(policy).length > 0) {
            branches.hit('secret-like value')
            expect(out.envelope.success).toBe(false)
          }
        },
      ),
      { numRuns: RUNS },
    )
    branches.expectAtLeast('secret-like value', RUNS * 0.05)
  })
})

const yamlKey = fc.constantFrom(
  'lane',
  'dependencies',
  'title',
  'assignee',
  'history',
  'subtasks',
  'work_package_id',
  'agent',
  'x',
)
const yamlValue = fc.oneof(
  fc.constantFrom(
    'planned',
    '"doing"',
    "'done'",
    'reviewing',
    '[WP01]',
    '[WP02, WP01]',
    '"WP01, WP02"',
    '"[]"',
    '[]',
    '{}',
    '',
    '~',
    'null',
    '&a [x]',
    '*a',
    '*b',
    '!!binary aGk=',
    '|\n  block',
    '>\n  folded',
    'yes',
    '0123',
    '1.10',
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.nat({ max: 1200 }).map((n) => 'x'.repeat(n * 997)),
)
const frontmatterArb = fc
  .record({
    bom: fc.boolean(),
    crlf: fc.boolean(),
    closing: fc.constantFrom('---', '---', '---', '', '...'),
    lines: fc.array(fc.tuple(yamlKey, yamlValue, fc.constantFrom(': ', ':', ':\t', ' : ', ': # c\n  ')), {
      maxLength: 8,
    }),
    body: fc.string({ maxLength: 200 }),
  })
  .map(({ bom, crlf, closing, lines, body }) => {
    const text = ['---', ...lines.map(([k, v, sep]) => `${k}${sep}${v}`), closing, body, '## Activity Log', ''].join(
      '\n',
    )
    return (bom ? '\uFEFF' : '') + (crlf ? text.replace(/\n/g, '\r\n') : text)
  })

describe('property: any WP frontmatter', () => {
  it(`reads or refuses with WP_FILE_INVALID/INPUT_TOO_LARGE, and a transition touches only that file (${RUNS} runs)`, async () => {
    const repo = makeRepo()
    const path = join(repo, 'kitty-specs', M, 'tasks', 'WP01.md')
    const branches = branchCounter()
    await fc.assert(
      fc.asyncProperty(frontmatterArb, async (text) => {
        writeFileSync(path, text)
        gitQuiet(repo, 'add', '-A')
        gitQuiet(repo, 'commit', '-q', '--allow-empty', '-m', 'fuzz input')
        const state = await checked(repo, ['orchestrator-api', 'mission-state', '--mission', M])
        if (!state.envelope.success) {
          branches.hit('refused')
          expect(['WP_FILE_INVALID', 'INPUT_TOO_LARGE']).toContain(state.envelope.error_code)
        }
        const moved = await checked(repo, [
          'orchestrator-api',
          'transition',
          '--mission',
          M,
          '--wp',
          'WP01',
          '--to',
          'blocked',
          '--actor',
          'fuzz',
          '--force',
          '--note',
          'fuzz',
        ])
        if (moved.envelope.success) {
          branches.hit('transition committed')
          const changed = execFileSync('git', ['diff', '--name-only', 'HEAD~1', 'HEAD'], {
            cwd: repo,
            encoding: 'utf8',
          }).trim()
          expect(changed).toBe(`kitty-specs/${M}/tasks/WP01.md`)
          const after = await checked(repo, ['orchestrator-api', 'mission-state', '--mission', M])
          expect(after.envelope.success).toBe(true)
          const wp01 = (after.envelope.data['work_packages'] as { wp_id: string; lane: string }[]).find(
            (w) => w.wp_id === 'WP01',
          )
          expect(wp01?.lane).toBe('blocked')
        }
      }),
      { numRuns: RUNS },
    )
    branches.expectAtLeast('transition committed', RUNS * 0.05)
    branches.expectAtLeast('refused', RUNS * 0.2)
  })
})

describe('property: any meta.json', () => {
  it(`reads or refuses with MISSION_META_INVALID (${RUNS} runs)`, async () => {
    const repo = makeRepo()
    const path = join(repo, 'kitty-specs', M, 'meta.json')
    const metaArb = fc.oneof(
      fc.json(),
      fc.string(),
      fc
        .record(
          {
            mission_number: jsonWithSecrets,
            mission_id: fc.oneof(fc.string(), fc.constant('01KXWN13GH4QCRMS28N448V7CR')),
            mission_slug: fc.string(),
            mission_type: jsonWithSecrets,
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
    )
    const branches = branchCounter()
    await fc.assert(
      fc.asyncProperty(metaArb, async (meta) => {
        writeFileSync(path, meta)
        gitQuiet(repo, 'add', '-A')
        gitQuiet(repo, 'commit', '-q', '--allow-empty', '-m', 'fuzz meta')
        for (const argv of [
          ['orchestrator-api', 'mission-state', '--mission', M],
          ['orchestrator-api', 'accept-mission', '--mission', M, '--actor', 'fuzz'],
        ]) {
          const out = await checked(repo, argv)
          branches.hit(`${argv[1]} ${out.envelope.success ? 'read' : 'refused'}`)
          if (!out.envelope.success)
            expect(['MISSION_META_INVALID', 'MISSION_NOT_READY']).toContain(out.envelope.error_code)
        }
      }),
      { numRuns: RUNS },
    )
    branches.expectAtLeast('mission-state read', RUNS * 0.03)
    branches.expectAtLeast('mission-state refused', RUNS * 0.2)
  })
})

describe('property: any mission selector', () => {
  it(`resolves to a real mission, or answers USAGE_ERROR / MISSION_NOT_FOUND / ambiguity (${RUNS * 2} runs)`, async () => {
    const repo = makeRepo([{}, { slug: '041-a' }, { slug: '041-b' }])
    const branches = branchCounter()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'grapheme' }),
          fc.constantFrom('..', '../..', '099', '041', 'test-mission', ' 099', '099\n', '.', '/', '\\', 'a\u0000b'),
        ),
        async (handle) => {
          const out = await checked(repo, ['orchestrator-api', 'mission-state', '--mission', handle])
          branches.hit(out.envelope.success ? 'resolved' : 'refused')
          if (out.envelope.success)
            expect(['099-test-mission', '041-a', '041-b']).toContain(out.envelope.data['mission_slug'])
          else
            expect(['USAGE_ERROR', 'MISSION_NOT_FOUND', 'MISSION_AMBIGUOUS_SELECTOR']).toContain(
              out.envelope.error_code,
            )
        },
      ),
      { numRuns: RUNS * 2 },
    )
    branches.expectAtLeast('resolved', RUNS * 0.02)
    branches.expectAtLeast('refused', RUNS * 0.5)
  })
})

describe('known inputs', () => {
  it('a valid policy still works in-process (guards the harness itself)', async () => {
    const repo = makeRepo()
    const out = await checked(repo, [
      'orchestrator-api',
      'start-implementation',
      '--mission',
      M,
      '--wp',
      'WP01',
      '--actor',
      'a',
      '--policy',
      POLICY_JSON,
    ])
    expect(out.envelope.success).toBe(true)
    expect(wpFile({ id: 'WP01' })).toContain('work_package_id')
  })
})
