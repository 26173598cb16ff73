import { spawn } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import {
  BIN,
  cleanupTempDirs,
  GIT_ENV,
  kitty,
  makeRepo,
  PROJECT_ROOT,
  TEST_BUILD,
  TEST_BUILD_METAFILE,
  tempDir,
} from '../helpers/git-repo.ts'

/**
 * What a command's start-up evaluates, not how long it takes (speed is `npm run bench`'s): the child
 * writes the builtins it loaded (process.moduleLoadList) to $KITTY_TEST_MODULES as it exits. A local
 * command has no use for Node's HTTP stack, and loading it is ~45 ms of every call (undici, net, tls,
 * streams, through `node:http`'s lazy getters) that no unit test would notice.
 *
 * It also writes the bundle files it loaded (a module hook sees each), and the build's metafile says
 * which sources each file holds: that names the packages and engine modules a command evaluated,
 * however esbuild splits or names its chunks.
 */

afterAll(cleanupTempDirs)

const RECORD_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  [
    'const files = []',
    "process.getBuiltinModule('node:module').registerHooks({ load: (url, context, next) => (files.push(url), next(url, context)) })",
    "process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(process.env.KITTY_TEST_MODULES, [...process.moduleLoadList, ...files].join('\\n')))",
  ].join('\n'),
)}`
const HTTP_STACK = /^NativeModule (http|https|http2|_http_\w+|tls|internal\/deps\/undici\/undici)$/
const SPAWNING = /^NativeModule child_process$/
/** node:crypto: ~30% of an empty script's start to load; a read hashes nothing and draws no secret. */
const CRYPTO = /^NativeModule crypto$/

function modulesLoadedBy(run: (nodeArgs: string[], env: Record<string, string>) => Promise<unknown>) {
  const file = join(tempDir('kitty-modules-'), 'modules.txt')
  return run(['--import', RECORD_AT_EXIT], { KITTY_TEST_MODULES: file }).then(() =>
    readFileSync(file, 'utf8').split('\n'),
  )
}

const M = '099-test-mission'

/** Every source file in the bundle files a run loaded, as the metafile names them (`node_modules/yaml/…`). */
function sourcesIn(loaded: string[]): string[] {
  const { outputs } = JSON.parse(readFileSync(TEST_BUILD_METAFILE, 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>
  }
  const byFile = new Map(Object.entries(outputs).map(([path, out]) => [resolve(PROJECT_ROOT, path), out]))
  const files = loaded.filter((m) => m.startsWith('file:')).map((url) => fileURLToPath(url))
  expect(files.filter((f) => byFile.has(f)).length, 'the run loaded files of the test build').toBeGreaterThan(0)
  // The project's node_modules may be a symlink, which the metafile spells as a path through `..`.
  return files.flatMap((f) => Object.keys(byFile.get(f)?.inputs ?? {})).map((i) => i.replace(/^(\.\.\/)+/, ''))
}

/**
 * Packages a command without a repository has no use for: the git store, YAML, the schemas. Reads and
 * local commits need none of them either, on plain WP files (the scanner's), a valid meta.json and no
 * .github/kitty.yml: refs and objects are read and written by the store itself, YAML is loaded for
 * frontmatter edits, a settings file and files the scanner declines, zod to word a refusal.
 */
const STORE_PACKAGES = /(^|\/)node_modules\/(isomorphic-git|yaml|zod)\//
/**
 * The write path: committing, moving refs, pushing, sweeping claims. (Not sync-worktree.ts: reads
 * use its dirty check, findDirtyPaths, to warn of upstream's uncommitted writes.)
 */
const WRITE_PATH = [
  'src/store/history/commit-mutation.ts',
  'src/store/history/move-branch.ts',
  'src/store/remote/commit-remote.ts',
  'src/store/objects/write-tree.ts',
  'src/engine/mission/sweep-abandoned-claims.ts',
  'src/engine/mission/write-path.ts',
]

describe('start-up loads only what the command needs', () => {
  const repo = makeRepo()

  it.each([
    ['contract-version', ['orchestrator-api', 'contract-version']],
    ['--version', ['--version', '--json']],
    ['mission-state', ['orchestrator-api', 'mission-state', '--mission', M]],
    ['list-ready', ['orchestrator-api', 'list-ready', '--mission', M]],
  ])('%s, on a checkout: no HTTP stack, no child processes, no node:crypto', async (_name, args) => {
    let code = -1
    const loaded = await modulesLoadedBy(async (nodeArgs, env) => {
      code = (await kitty(repo, args, env, nodeArgs)).code
    })
    expect(code).toBe(0)
    expect(loaded.filter((m) => HTTP_STACK.test(m) || SPAWNING.test(m) || CRYPTO.test(m))).toEqual([])
  })

  it.each([
    ['contract-version', ['orchestrator-api', 'contract-version']],
    ['contract-version --provider-version', ['orchestrator-api', 'contract-version', '--provider-version', '2.0.0']],
    ['--version', ['--version', '--json']],
  ])('%s evaluates no isomorphic-git, yaml or zod', async (_name, args) => {
    let code = -1
    const loaded = await modulesLoadedBy(async (nodeArgs, env) => {
      code = (await kitty(repo, args, env, nodeArgs)).code
    })
    expect(code).toBe(0)
    expect(sourcesIn(loaded).filter((s) => STORE_PACKAGES.test(s))).toEqual([])
  })

  it.each([
    ['mission-state', ['orchestrator-api', 'mission-state', '--mission', M]],
    ['list-ready', ['orchestrator-api', 'list-ready', '--mission', M]],
    ['history', ['orchestrator-api', 'history', '--mission', M]],
  ])('%s, a read, evaluates none of the write path, isomorphic-git, yaml or zod', async (_name, args) => {
    let code = -1
    const loaded = await modulesLoadedBy(async (nodeArgs, env) => {
      code = (await kitty(repo, args, env, nodeArgs)).code
    })
    expect(code).toBe(0)
    const sources = new Set(sourcesIn(loaded))
    expect(WRITE_PATH.filter((s) => sources.has(s))).toEqual([])
    expect([...sources].filter((s) => STORE_PACKAGES.test(s))).toEqual([])
  })

  it('the markers above name files the build has (a rename must not make those checks vacuous)', () => {
    const inputs = Object.keys(JSON.parse(readFileSync(TEST_BUILD_METAFILE, 'utf8')).inputs).map((i: string) =>
      i.replace(/^(\.\.\/)+/, ''),
    )
    for (const path of WRITE_PATH) expect(inputs).toContain(path)
    for (const name of ['isomorphic-git', 'yaml', 'zod'])
      expect(inputs.some((i) => STORE_PACKAGES.test(i) && i.includes(`node_modules/${name}/`))).toBe(true)
  })

  it('a local commit of a plain WP file (append-history) evaluates no isomorphic-git, yaml or zod', async () => {
    const args = ['orchestrator-api', 'append-history', '--mission', M, '--wp', 'WP02', '--note', 'start-up check']
    let success = false
    // The identity from the repository config, not the environment: the lookup must not need isomorphic-git either.
    const {
      GIT_AUTHOR_NAME: _a,
      GIT_AUTHOR_EMAIL: _b,
      GIT_COMMITTER_NAME: _c,
      GIT_COMMITTER_EMAIL: _d,
      ...withoutIdentity
    } = GIT_ENV
    void [_a, _b, _c, _d]
    const loaded = await modulesLoadedBy(async (nodeArgs, env) => {
      const run = await kitty(repo, [...args, '--actor', 'test'], { ...withoutIdentity, ...env }, nodeArgs)
      success = run.envelope['success'] === true
    })
    expect(success).toBe(true)
    expect(sourcesIn(loaded).filter((s) => STORE_PACKAGES.test(s))).toEqual([])
  })

  it('a mutation on a checkout (append-history): no HTTP stack', async () => {
    const args = ['orchestrator-api', 'append-history', '--mission', M, '--wp', 'WP01', '--note', 'start-up check']
    let success = false
    const loaded = await modulesLoadedBy(async (nodeArgs, env) => {
      const run = await kitty(repo, [...args, '--actor', 'test'], env, nodeArgs)
      success = run.envelope['success'] === true
    })
    expect(success).toBe(true)
    expect(loaded.filter((m) => HTTP_STACK.test(m))).toEqual([])
  })

  it("the Action's contract-version step: no HTTP stack (its REST client loads on the first request)", async () => {
    const dir = tempDir('kitty-runner-')
    const output = join(dir, 'output')
    writeFileSync(output, '')
    const loaded = await modulesLoadedBy(
      (nodeArgs, env) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [...nodeArgs, join(TEST_BUILD, 'dist', 'index.js')], {
            cwd: dir,
            stdio: 'ignore',
            env: {
              PATH: process.env['PATH'] ?? '',
              HOME: dir,
              RUNNER_TEMP: dir,
              GITHUB_ACTIONS: 'true',
              GITHUB_OUTPUT: output,
              GITHUB_REPOSITORY: 'octo-org/project',
              INPUT_COMMAND: 'contract-version',
              'INPUT_CHECK-RUN': 'false',
              ...env,
            },
          })
          child.on('error', reject)
          child.on('close', resolve)
        }),
    )
    expect(readFileSync(output, 'utf8')).toMatch(/^success<<(.+)\ntrue\n\1$/m)
    expect(loaded.filter((m) => HTTP_STACK.test(m))).toEqual([])
  })

  it("bin/kitty.js joins the bundle's own imports to their importer: Node's resolver sees none of them", async () => {
    // Hooks run last-registered first: this preload's resolve hook sees only what bin/kitty.js's passes on.
    const file = join(tempDir('kitty-resolve-'), 'seen.json')
    const PASSED_ON = `data:text/javascript,${encodeURIComponent(
      [
        'const seen = []',
        "process.getBuiltinModule('node:module').registerHooks({ resolve: (s, c, next) => (c.parentURL?.includes('/dist/') && seen.push(s), next(s, c)) })",
        "process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(process.env.KITTY_TEST_SEEN, JSON.stringify(seen)))",
      ].join('\n'),
    )}`
    const code = await new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', PASSED_ON, '--import', RECORD_AT_EXIT, BIN, 'orchestrator-api', 'mission-state', '--mission', M],
        {
          cwd: repo,
          stdio: 'ignore',
          env: { ...process.env, ...GIT_ENV, KITTY_TEST_SEEN: file, KITTY_TEST_MODULES: `${file}.modules` },
        },
      )
      child.on('error', reject)
      child.on('close', resolve)
    })
    expect(code).toBe(0)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([])
    // Not vacuous: the run loaded many files of the bundle, each imported by relative name.
    const bundleFiles = readFileSync(`${file}.modules`, 'utf8')
      .split('\n')
      .filter((m) => m.includes('/dist/chunks/'))
    expect(bundleFiles.length).toBeGreaterThan(5)
  })

  it('from a folder whose path is escaped in a URL (a space, #, %), the CLI finds its files', async () => {
    const home = join(tempDir('kitty-escaped-'), 'a b#c%20d')
    cpSync(join(TEST_BUILD, 'bin'), join(home, 'bin'), { recursive: true })
    cpSync(join(TEST_BUILD, 'dist'), join(home, 'dist'), { recursive: true })
    // The project's package.json says the bundle is ES modules, as the published package's does.
    cpSync(join(PROJECT_ROOT, 'package.json'), join(home, 'package.json'))
    const run = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [join(home, 'bin', 'kitty.js'), 'orchestrator-api', 'mission-state', '--mission', M],
        {
          cwd: repo,
          env: { ...process.env, ...GIT_ENV },
        },
      )
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      child.on('error', reject)
      child.on('close', (c) => resolve({ code: c, out }))
    })
    expect(run.code).toBe(0)
    expect(JSON.parse(run.out).success).toBe(true)
  })
})
