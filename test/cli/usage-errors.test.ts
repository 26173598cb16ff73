import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ERROR_CODES, FORBIDDEN_ERROR_CODES } from '../../src/core/errors.ts'
import { COMMANDS, LEGACY_COMMANDS } from '../../src/engine/framework/registry.ts'
import { api, cleanupTempDirs, git, kitty, makeRepo, PROJECT_ROOT } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const usage = async (cwd: string, args: string[], contains: string) => {
  const run = await kitty(cwd, args)
  expect(run.code, args.join(' ')).toBe(2)
  expect(run.stdout.trim().split('\n')).toHaveLength(1)
  // A usage error names the command it belongs to once argv got that far (upstream always says unknown).
  const name = LEGACY_COMMANDS[args[1] ?? ''] ?? args[1]
  const named =
    args[0] === 'orchestrator-api' && COMMANDS.some((c) => c.group === 'orchestrator-api' && c.name === name)
  expect(run.envelope).toMatchObject({
    success: false,
    error_code: 'USAGE_ERROR',
    command: named ? `orchestrator-api.${name}` : 'orchestrator-api.unknown',
  })
  expect(Object.keys(run.envelope)).toHaveLength(7)
  expect(run.envelope.correlation_id).toMatch(/^corr-[0-9a-f]{32}$/)
  expect(run.envelope.data.message).toContain(contains)
  return run
}

describe('contract-version (20–23)', () => {
  it('20: versions, no repository needed', async () => {
    const { code, envelope } = await kitty('/', ['orchestrator-api', 'contract-version'])
    expect(code).toBe(0)
    expect(envelope).toMatchObject({ success: true, error_code: null, command: 'orchestrator-api.contract-version' })
    expect(envelope.data).toEqual({ api_version: '1.3.0', min_supported_provider_version: '0.1.0' })
  })
  it.each([
    ['0.1.0', 0],
    ['1.0rc1', 0],
    ['v1.0', 0],
    ['0.0.1', 1],
    ['not-a-version', 1],
  ])('21–23: provider version %s → exit %i', async (v, exit) => {
    const { code, envelope } = await kitty('/', ['orchestrator-api', 'contract-version', '--provider-version', v])
    expect(code).toBe(exit)
    if (exit === 1) {
      expect(envelope.error_code).toBe('CONTRACT_VERSION_MISMATCH')
      expect(envelope.data.provider_version).toBe(v)
    }
    if (v === '0.0.1') expect(envelope.data.min_supported_provider_version).toBe('0.1.0')
  })
})

describe('USAGE_ERROR and the CLI surface (102–113)', () => {
  const repo = makeRepo()

  it('102: no subcommand', async () => {
    await usage(repo, ['orchestrator-api'], 'Missing command')
    await usage(repo, [], 'Missing command')
  })
  it('103/107: missing --mission, or --mission without a value', async () => {
    await usage(repo, ['orchestrator-api', 'mission-state'], '--mission')
    await usage(repo, ['orchestrator-api', 'list-ready'], '--mission')
    await usage(repo, ['orchestrator-api', 'mission-state', '--mission'], "Option '--mission' requires an argument.")
  })
  it.each([
    'transition',
    'start-implementation',
    'accept-mission',
    'append-history',
    'start-review',
    'resolve-workspace',
    'merge-mission',
  ])('104: %s without arguments', async (cmd) => {
    await usage(repo, ['orchestrator-api', cmd], 'Missing option')
  })
  it('105/106: unknown option and unknown subcommand', async () => {
    await usage(repo, ['orchestrator-api', 'contract-version', '--bogus'], 'No such option: --bogus')
    await usage(repo, ['orchestrator-api', 'nonexistent-subcommand'], "No such command 'nonexistent-subcommand'")
    await usage(repo, ['orchestrator-api', '--bogus'], '--bogus')
  })
  it('109: --json and --no-json are gone', async () => {
    for (const cmd of ['contract-version', 'mission-state', 'transition'])
      await usage(repo, ['orchestrator-api', cmd, '--no-json'], '--no-json')
    await usage(repo, ['orchestrator-api', 'contract-version', '--json'], '--json')
  })
  it('booleans take no value, and only declared ones take --no-', async () => {
    await usage(
      repo,
      ['orchestrator-api', 'transition', '--force=yes', '--mission', M, '--wp', 'WP01', '--to', 'done', '--actor', 'a'],
      '--force',
    )
    await usage(
      repo,
      ['orchestrator-api', 'transition', '--no-force', '--mission', M, '--wp', 'WP01', '--to', 'done', '--actor', 'a'],
      '--no-force',
    )
  })
  it('a flag given twice is a usage error, not last-wins, whatever its spelling', async () => {
    const other = makeRepo([{}, { slug: '098-other' }])
    for (const args of [
      ['mission-state', '--mission', M, '--mission', '098-other'],
      ['mission-state', '--mission=098-other', '--mission', M],
      ['transition', '--mission', M, '--wp', 'WP01', '--wp', 'WP02', '--to', 'blocked', '--actor', 'a'],
      [
        'transition',
        '--mission',
        M,
        '--wp',
        'WP01',
        '--to',
        'for_review',
        '--actor',
        'a',
        '--subtasks-complete',
        '--no-subtasks-complete',
      ],
      ['history', '--limit', '5', '--limit=6'],
    ]) {
      const before = git(other, 'rev-parse', 'HEAD')
      const run = await usage(other, ['orchestrator-api', ...args], 'it takes one value')
      expect(run.envelope.data.option).toMatch(/^--(mission|wp|subtasks-complete|limit)$/)
      expect(git(other, 'rev-parse', 'HEAD')).toBe(before)
    }
    // Lists are positionals, and stay repeatable.
    const ticks = await kitty(other, [
      'agent',
      'tasks',
      'mark-status',
      'T001',
      'T002',
      '--status',
      'done',
      '--mission',
      M,
    ])
    expect(ticks.envelope.error_code).not.toBe('USAGE_ERROR')
  })
  it('every USAGE_ERROR exits 2, also those the engine finds after parsing', async () => {
    const engine = async (args: string[], contains: string) => {
      const run = await kitty(repo, ['orchestrator-api', ...args])
      expect(run.envelope.error_code, args.join(' ')).toBe('USAGE_ERROR')
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.envelope.data.message).toContain(contains)
      expect(run.envelope.command).toBe(`orchestrator-api.${args[0]}`)
    }
    await engine(['history', '--limit', 'abc'], '--limit')
    await engine(['history', '--offset=1.5'], '--offset')
    await engine(['mission-state', '--mission', '../etc'], 'Unsafe mission selector')
    await engine(
      ['transition', '--mission', M, '--wp', 'WP01', '--to', 'canceled', '--actor', 'a', '--evidence-json', '{'],
      '--evidence-json',
    )
    await engine(['append-history', '--mission', M, '--wp', 'WP01', '--actor', 'a\nb', '--note', 'n'], '--actor')
    await engine(['mission-state', '--mission', M, '--branch', 'a..b'], 'branch')
  })
  it('111: the 1.0 command names are refused, naming the replacement', async () => {
    for (const [old, replacement] of [
      ['feature-state', 'mission-state'],
      ['accept-feature', 'accept-mission'],
      ['merge-feature', 'merge-mission'],
    ]) {
      const run = await usage(repo, ['orchestrator-api', old!, '--feature', M], replacement!)
      expect(run.envelope.data.replacement).toBe(replacement)
    }
  })
  it('112: --feature is refused on mission commands', async () => {
    for (const cmd of ['mission-state', 'list-ready', 'start-implementation']) {
      const run = await usage(repo, ['orchestrator-api', cmd, '--feature', M], '--mission')
      expect(run.code).not.toBe(0)
    }
  })
  it('the 1.0 names work as aliases when .github/kitty.yml opts in', async () => {
    const legacy = makeRepo([{}])
    const { mkdirSync, writeFileSync } = await import('node:fs')
    const { git } = await import('../helpers/git-repo.ts')
    mkdirSync(join(legacy, '.github'), { recursive: true })
    writeFileSync(join(legacy, '.github', 'kitty.yml'), 'legacy_feature_aliases: true\n')
    git(legacy, 'add', '-A')
    git(legacy, 'commit', '-qm', 'opt in')
    const run = await kitty(legacy, ['orchestrator-api', 'feature-state', '--feature', M])
    expect(run.code).toBe(0)
    expect(run.envelope).toMatchObject({ command: 'orchestrator-api.mission-state', data: { mission_slug: M } })
  })
  it('an invalid .github/kitty.yml is CONFIG_INVALID, naming the key', async () => {
    const bad = makeRepo([{}])
    const { mkdirSync, writeFileSync } = await import('node:fs')
    const { git } = await import('../helpers/git-repo.ts')
    mkdirSync(join(bad, '.github'), { recursive: true })
    writeFileSync(join(bad, '.github', 'kitty.yml'), 'worktrees: maybe\n')
    git(bad, 'add', '-A')
    git(bad, 'commit', '-qm', 'bad config')
    const run = await api(bad, 'mission-state', { mission: M })
    expect(run.envelope).toMatchObject({ error_code: 'CONFIG_INVALID' })
    expect(run.envelope.data.message).toContain('worktrees')
  })
  it('help is an envelope too, generated from the registry', async () => {
    const run = await kitty(repo, ['orchestrator-api', 'transition', '--help'])
    expect(run.code).toBe(0)
    expect(run.envelope.data.options.map((o: { flag: string }) => o.flag)).toContain('--[no-]subtasks-complete')
    const all = await kitty(repo, ['orchestrator-api', '--help'])
    expect(all.envelope.data.commands).toHaveLength(COMMANDS.length)
  })
  it('outside any repository: REPOSITORY_NOT_FOUND, still one envelope', async () => {
    const { tempDir } = await import('../helpers/git-repo.ts')
    const run = await api(tempDir(), 'mission-state', { mission: M })
    expect(run.code).toBe(1)
    expect(run.envelope.error_code).toBe('REPOSITORY_NOT_FOUND')
  })
})

describe('113: command and error-code registry', () => {
  it('registers exactly the contract commands plus ours, and no 1.0 names', () => {
    const names = COMMANDS.filter((c) => c.group === 'orchestrator-api')
      .map((c) => c.name)
      .sort()
    expect(names).toEqual(
      [
        'accept-mission',
        'append-history',
        'contract-version',
        'history',
        'list-ready',
        'merge-mission',
        'mission-state',
        'resolve-workspace',
        'start-implementation',
        'start-review',
        'transition',
        'transitions',
      ].sort(),
    )
    expect(names).not.toContain('feature-state')
  })
  it('every error code literal in src/ is in the allow-list; forbidden ones never appear', () => {
    const files: string[] = []
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (p.endsWith('.ts')) files.push(p)
      }
    }
    walk(join(PROJECT_ROOT, 'src'))
    const used = new Set<string>()
    for (const f of files) {
      const text = readFileSync(f, 'utf8')
      for (const m of text.matchAll(/(?:KittyError|code ===?|'code'|ErrorCode)\(\s*'([A-Z_]+)'/g)) used.add(m[1]!)
      for (const m of text.matchAll(/new KittyError\(\s*'([A-Z_]+)'/g)) used.add(m[1]!)
      for (const code of FORBIDDEN_ERROR_CODES)
        expect(text.includes(`'${code}'`) && !f.endsWith('errors.ts'), f).toBe(false)
    }
    expect(used.size).toBeGreaterThan(10)
    for (const code of used) expect(ERROR_CODES, code).toContain(code)
  })
})
