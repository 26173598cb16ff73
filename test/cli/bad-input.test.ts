import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, git, makeRepo, POLICY, POLICY_JSON, wpFile } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'

/** Everything that proves nothing was written: the ref, the working tree, the object count. */
function fingerprint(repo: string) {
  return {
    head: git(repo, 'rev-parse', 'HEAD'),
    status: git(repo, 'status', '--porcelain', '--ignored'),
    objects: git(repo, 'count-objects'),
    refs: git(repo, 'for-each-ref'),
  }
}

async function expectRefusal(
  repo: string,
  command: string,
  flags: Record<string, string | boolean>,
  code: string,
  exit = 1,
) {
  const before = fingerprint(repo)
  const run = await api(repo, command, flags)
  expect(run.stdout.trim().split('\n'), `${command}: ${run.stdout}`).toHaveLength(1)
  expect(run.envelope.success).toBe(false)
  expect(run.envelope.error_code, `${command}: ${JSON.stringify(run.envelope.data)}`).toBe(code)
  expect(run.code).toBe(exit)
  expect(typeof run.envelope.data.message).toBe('string')
  expect(run.stderr).not.toMatch(/at .*\.js:\d+/) // no stack traces anywhere
  expect(fingerprint(repo)).toEqual(before)
  return run.envelope
}

const MUTATIONS = (wp = 'WP01') =>
  [
    ['start-implementation', { mission: M, wp, actor: 'claude', policy: POLICY_JSON }],
    ['transition', { mission: M, wp, to: 'blocked', actor: 'claude' }],
    ['append-history', { mission: M, wp, actor: 'claude', note: 'n' }],
    ['start-review', { mission: M, wp, actor: 'r', policy: POLICY_JSON }],
  ] as const

describe('bad input: one envelope each, nothing written', () => {
  it('unparseable frontmatter → WP_FILE_INVALID with path and line', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned', extra: 'broken: [unclosed' }] }])
    for (const [cmd, flags] of [['mission-state', { mission: M }] as const, ...MUTATIONS()]) {
      const env = await expectRefusal(repo, cmd, flags, 'WP_FILE_INVALID')
      expect(env.data.path).toBe(`kitty-specs/${M}/tasks/WP01.md`)
      expect(env.data.line).toBeGreaterThan(1)
    }
  })

  it('duplicate keys, a missing closing fence, binary bytes → WP_FILE_INVALID', async () => {
    for (const text of [
      wpFile({ id: 'WP01', lane: 'planned' }).replace('title:', 'lane: done\ntitle:'),
      '---\nwork_package_id: WP01\nlane: planned\n',
      Buffer.concat([
        Buffer.from('---\nlane: planned\ntitle: '),
        Buffer.from([0xff, 0xfe, 0x00, 0x80]),
        Buffer.from('\n---\n'),
      ]).toString('latin1'),
    ]) {
      const repo = makeRepo([{ wps: [] }])
      writeFileSync(join(repo, 'kitty-specs', M, 'tasks', 'WP01.md'), text, text.includes('\u00ff') ? 'latin1' : 'utf8')
      git(repo, 'add', '-A')
      git(repo, 'commit', '-qm', 'broken wp')
      await expectRefusal(repo, 'mission-state', { mission: M }, 'WP_FILE_INVALID')
      await expectRefusal(repo, 'transition', { mission: M, wp: 'WP01', to: 'blocked', actor: 'a' }, 'WP_FILE_INVALID')
    }
  })

  it('an unknown lane in a WP file → WP_FILE_INVALID naming it; an unknown --to → TRANSITION_REJECTED', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'reviewing' },
          { id: 'WP02', lane: 'planned' },
        ],
      },
    ])
    const env = await expectRefusal(repo, 'mission-state', { mission: M }, 'WP_FILE_INVALID')
    expect(env.data.reason).toContain('reviewing')
    await expectRefusal(
      repo,
      'transition',
      { mission: M, wp: 'WP02', to: 'sideways', actor: 'a' },
      'TRANSITION_REJECTED',
    )
  })

  it.each([
    ['not JSON', '{"slug": '],
    ['an array', '[1, 2]'],
    ['mission_number "pending"', JSON.stringify({ mission_number: 'pending' })],
    ['mission_number true', JSON.stringify({ mission_number: true })],
    ['a malformed mission_id', JSON.stringify({ mission_id: 'not-a-ulid' })],
    ['an unsafe slug', JSON.stringify({ mission_slug: '../../etc' })],
  ])('meta.json that is %s → MISSION_META_INVALID', async (_name, meta) => {
    const repo = makeRepo([{ meta }])
    for (const [cmd, flags] of [
      ['mission-state', { mission: M }] as const,
      ['accept-mission', { mission: M, actor: 'a' }] as const,
      ...MUTATIONS(),
    ]) {
      const env = await expectRefusal(repo, cmd, flags, 'MISSION_META_INVALID')
      expect(env.data.path).toBe(`kitty-specs/${M}/meta.json`)
    }
  })

  it('a missing meta.json is a legacy mission, not an error', async () => {
    const repo = makeRepo([{ meta: null }])
    expect((await api(repo, 'mission-state', { mission: M })).envelope).toMatchObject({
      success: true,
      data: { mission_id: null, mission_number: null, mission_type: '' },
    })
  })

  it('a dependency cycle → DEPENDENCY_CYCLE from list-ready; start-implementation sees unsatisfied dependencies', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'planned', dependencies: ['WP02'] },
          { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
        ],
      },
    ])
    const env = await expectRefusal(repo, 'list-ready', { mission: M }, 'DEPENDENCY_CYCLE')
    expect(env.data.cycle).toEqual(['WP01', 'WP02', 'WP01'])
    expect(env.data.mission_slug).toBe(M)
    await expectRefusal(
      repo,
      'start-implementation',
      { mission: M, wp: 'WP01', actor: 'a', policy: POLICY_JSON },
      'DEPENDENCIES_NOT_SATISFIED',
    )
    // A self-dependency is a broken file.
    const self = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned', dependencies: ['WP01'] }] }])
    await expectRefusal(self, 'mission-state', { mission: M }, 'WP_FILE_INVALID')
  })

  it.each(['../099-test-mission', '099-test-mission/..', '.git', 'a b', 'миссия', '', ' 099', 'x\\y'])(
    'unsafe selector %j → USAGE_ERROR',
    async (handle) => {
      const repo = makeRepo()
      const env = await expectRefusal(repo, 'mission-state', { mission: handle }, 'USAGE_ERROR', 2)
      expect(env.command).toBe('orchestrator-api.mission-state')
      await expectRefusal(
        repo,
        'transition',
        { mission: handle, wp: 'WP01', to: 'blocked', actor: 'a' },
        'USAGE_ERROR',
        2,
      )
    },
  )

  it.each([
    ['not JSON', '{"orchestrator_id": "x"'],
    ['a string', '"hello"'],
    ['missing fields', JSON.stringify({ orchestrator_id: 'x' })],
    ['a wrong type', JSON.stringify({ ...POLICY, sandbox_mode: 3 })],
    ['a banned flag', JSON.stringify({ ...POLICY, dangerous_flags: ['--yolo'] })],
    ['a secret', JSON.stringify({ ...POLICY, notes: { deep: ['ghp_token_123'] } })],
  ])('a policy that is %s → POLICY_VALIDATION_FAILED, secret never echoed', async (_name, policy) => {
    const repo = makeRepo()
    for (const [cmd, flags] of [
      ['start-implementation', { mission: M, wp: 'WP01', actor: 'a', policy }],
      ['transition', { mission: M, wp: 'WP01', to: 'claimed', actor: 'a', policy }],
      ['transition', { mission: M, wp: 'WP01', to: 'canceled', actor: 'a', policy }],
    ] as const) {
      const env = await expectRefusal(repo, cmd, flags, 'POLICY_VALIDATION_FAILED')
      expect(JSON.stringify(env)).not.toContain('ghp_token_123')
    }
  })

  it('a token-shaped value (no secret word in it) is refused and never reaches a commit; extra keys are not recorded', async () => {
    const repo = makeRepo()
    const token = ['ghs', 'Q7x9K2m4P8r1T5v3W6y0Z2a4C6e8G1i3K5m7'].join('_')
    for (const [cmd, flags] of [
      ['start-implementation', { mission: M, wp: 'WP01', actor: 'a' }],
      ['transition', { mission: M, wp: 'WP01', to: 'canceled', actor: 'a' }],
    ] as const) {
      const env = await expectRefusal(
        repo,
        cmd,
        { ...flags, policy: JSON.stringify({ ...POLICY, notes: `auth ${token}` }) },
        'POLICY_VALIDATION_FAILED',
      )
      expect(env.data.message).toContain("field 'notes' appears to contain a secret")
      expect(JSON.stringify(env)).not.toContain(token)
    }
    expect(git(repo, 'log', '--all', '--format=%B')).not.toContain(token)
    const ok = await api(repo, 'start-implementation', {
      mission: M,
      wp: 'WP01',
      actor: 'a',
      policy: JSON.stringify({ ...POLICY, notes: 'extra-note-value', shell_pid: 4242 }),
    })
    expect(ok.envelope.success, JSON.stringify(ok.envelope.data)).toBe(true)
    const recorded = JSON.parse(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Policy,valueonly)'))
    expect(Object.keys(recorded)).toEqual([
      'orchestrator_id',
      'orchestrator_version',
      'agent_family',
      'approval_mode',
      'sandbox_mode',
      'network_mode',
      'dangerous_flags',
      'tool_restrictions',
    ])
    expect(git(repo, 'log', '-1', '--format=%B')).not.toContain('extra-note-value')
  })

  it('bad actors and notes are usage errors', async () => {
    const repo = makeRepo()
    await expectRefusal(
      repo,
      'transition',
      { mission: M, wp: 'WP01', to: 'blocked', actor: 'a\nKitty-Force: true' },
      'USAGE_ERROR',
      2,
    )
    await expectRefusal(repo, 'transition', { mission: M, wp: 'WP01', to: 'blocked', actor: '   ' }, 'USAGE_ERROR', 2)
    await expectRefusal(
      repo,
      'append-history',
      { mission: M, wp: 'WP01', actor: 'a', note: 'x'.repeat(10_001) },
      'USAGE_ERROR',
      2,
    )
  })
})
