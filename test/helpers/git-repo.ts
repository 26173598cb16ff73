import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EXAMPLE_POLICY } from '../../src/core/policy.ts'

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** Where the tests' global setup builds the bundles: gitignored, so `npm test` never rewrites dist/. */
export const TEST_BUILD = join(PROJECT_ROOT, '.test-dist')
export const CLI = join(TEST_BUILD, 'dist', 'cli.js')
/** esbuild's metafile of the test build: which sources each output file holds (paths relative to PROJECT_ROOT). */
export const TEST_BUILD_METAFILE = join(TEST_BUILD, 'metafile.json')
/** bin/kitty.js beside the test build, importing it as the published bin imports dist/. */
export const BIN = join(TEST_BUILD, 'bin', 'kitty.js')
/** spec-kitty's own kitty-specs/ (March 2026), vendored unmodified from shared/corpus so CI has it. */
export const CORPUS = resolve(PROJECT_ROOT, 'test/fixtures/corpus/spec-kitty-2026-03/kitty-specs')

export const POLICY = { ...EXAMPLE_POLICY, orchestrator_id: 'test-orch' }
export const POLICY_JSON = JSON.stringify(POLICY)

/** The identity and isolation every test's git and CLI process runs with. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
}

/** Run the git CLI in `cwd` (the tests check our commits with real git). */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trimEnd()
}

export interface WpFixture {
  id: string
  lane?: string
  dependencies?: string[]
  subtasks?: string[]
  extra?: string
  fileName?: string
  assignee?: string
}

export function wpFile(wp: WpFixture): string {
  const lines = ['---', `work_package_id: ${wp.id}`, `title: Test ${wp.id}`]
  if (wp.lane !== undefined) lines.push(`lane: ${wp.lane}`)
  lines.push(`dependencies: [${(wp.dependencies ?? []).join(', ')}]`)
  lines.push(`subtasks: [${(wp.subtasks ?? []).join(', ')}]`)
  if (wp.assignee !== undefined) lines.push(`assignee: ${wp.assignee}`)
  if (wp.extra) lines.push(wp.extra)
  lines.push(
    'history: []',
    '---',
    '',
    `# ${wp.id}`,
    '',
    'Do the work.',
    '',
    '## Activity Log',
    '',
    '- 2026-01-01T00:00:00Z – system – lane=planned – Prompt created.',
    '',
  )
  return lines.join('\n')
}

export interface MissionFixture {
  slug?: string
  meta?: Record<string, unknown> | string | null
  wps?: WpFixture[]
  tasksMd?: string
}

export function defaultMeta(slug: string): Record<string, unknown> {
  return {
    mission_number: '099',
    slug,
    mission_slug: slug,
    friendly_name: 'Test mission',
    mission_type: 'software-dev',
    target_branch: 'main',
    created_at: '2026-01-01T00:00:00+00:00',
    status_phase: 1,
  }
}

export function writeMission(repo: string, fixture: MissionFixture = {}): string {
  const slug = fixture.slug ?? '099-test-mission'
  const dir = join(repo, 'kitty-specs', slug)
  mkdirSync(join(dir, 'tasks'), { recursive: true })
  const meta = fixture.meta === undefined ? defaultMeta(slug) : fixture.meta
  if (meta !== null)
    writeFileSync(join(dir, 'meta.json'), typeof meta === 'string' ? meta : `${JSON.stringify(meta, null, 2)}\n`)
  for (const wp of fixture.wps ?? [
    { id: 'WP01', lane: 'planned' },
    { id: 'WP02', lane: 'planned' },
  ]) {
    writeFileSync(join(dir, 'tasks', wp.fileName ?? `${wp.id}.md`), wpFile(wp))
  }
  if (fixture.tasksMd !== undefined) writeFileSync(join(dir, 'tasks.md'), fixture.tasksMd)
  return dir
}

const cleanups: string[] = []

export function tempDir(prefix = 'kitty-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanups.push(dir)
  return dir
}

export function cleanupTempDirs(): void {
  for (const dir of cleanups.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** A fresh repository on `main` with the given missions committed. */
/** Two commits on main, the second an empty one on top of the first, with main reset to the first. */
export function twoCommits(repo: string): [string, string] {
  const first = git(repo, 'rev-parse', 'main')
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'second')
  const second = git(repo, 'rev-parse', 'main')
  git(repo, 'reset', '-q', '--hard', first)
  return [first, second]
}

export function makeRepo(missions: MissionFixture[] = [{}]): string {
  const repo = tempDir()
  git(repo, 'init', '-q', '-b', 'main')
  git(repo, 'config', 'user.name', 'Test Author')
  git(repo, 'config', 'user.email', 'author@example.com')
  writeFileSync(join(repo, 'README.md'), '# test repo\n')
  for (const m of missions) writeMission(repo, m)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '-m', 'initial')
  return repo
}

export function copyCorpus(): string {
  const repo = tempDir('kitty-corpus-')
  git(repo, 'init', '-q', '-b', 'main')
  cpSync(CORPUS, join(repo, 'kitty-specs'), { recursive: true })
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '-m', 'corpus')
  return repo
}

export interface KittyRun {
  stdout: string
  stderr: string
  code: number
  envelope: Record<string, any>
}

/** Run the built CLI as a real process (`nodeArgs` go to node itself, before the script). */
export function kitty(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<KittyRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
      cwd,
      env: { ...process.env, ...GIT_ENV, ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      let envelope: Record<string, any> = {}
      try {
        envelope = JSON.parse(stdout)
      } catch {
        envelope = { unparseable: stdout }
      }
      resolvePromise({ stdout, stderr, code: code ?? -1, envelope })
    })
  })
}

/** `kitty orchestrator-api <cmd> …` */
export function api(
  cwd: string,
  command: string,
  flags: Record<string, string | boolean> = {},
  env: Record<string, string> = {},
) {
  const args = ['orchestrator-api', command]
  for (const [k, v] of Object.entries(flags)) {
    if (v === true) args.push(`--${k}`)
    else if (v === false) args.push(`--no-${k}`)
    else args.push(`--${k}`, v)
  }
  return kitty(cwd, args, env)
}

export function readWp(repo: string, id: string, slug = '099-test-mission'): string {
  return readFileSync(join(repo, 'kitty-specs', slug, 'tasks', `${id}.md`), 'utf8')
}

export function laneOf(text: string): string | undefined {
  return /^lane:\s*"?([a-z_]+)"?/m.exec(text)?.[1]
}
