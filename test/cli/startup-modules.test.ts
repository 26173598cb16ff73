import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTempDirs, kitty, makeRepo, TEST_BUILD, tempDir } from '../helpers/git-repo.ts'

/**
 * What a command's start-up evaluates, not how long it takes (speed is `npm run bench`'s): the child
 * writes the builtins it loaded (process.moduleLoadList) to $KITTY_TEST_MODULES as it exits. A local
 * command has no use for Node's HTTP stack, and loading it is ~45 ms of every call (undici, net, tls,
 * streams, through `node:http`'s lazy getters) that no unit test would notice.
 */

afterAll(cleanupTempDirs)

const RECORD_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(process.env.KITTY_TEST_MODULES, process.moduleLoadList.join('\\n')))",
)}`
const HTTP_STACK = /^NativeModule (http|https|http2|_http_\w+|tls|internal\/deps\/undici\/undici)$/
const SPAWNING = /^NativeModule child_process$/

function modulesLoadedBy(run: (nodeArgs: string[], env: Record<string, string>) => Promise<unknown>) {
  const file = join(tempDir('kitty-modules-'), 'modules.txt')
  return run(['--import', RECORD_AT_EXIT], { KITTY_TEST_MODULES: file }).then(() =>
    readFileSync(file, 'utf8').split('\n'),
  )
}

const M = '099-test-mission'

describe('start-up loads only what the command needs', () => {
  const repo = makeRepo()

  it.each([
    ['contract-version', ['orchestrator-api', 'contract-version']],
    ['--version', ['--version', '--json']],
    ['mission-state', ['orchestrator-api', 'mission-state', '--mission', M]],
    ['list-ready', ['orchestrator-api', 'list-ready', '--mission', M]],
  ])('%s, on a checkout: no HTTP stack, no child processes', async (_name, args) => {
    let code = -1
    const loaded = await modulesLoadedBy(async (nodeArgs, env) => {
      code = (await kitty(repo, args, env, nodeArgs)).code
    })
    expect(code).toBe(0)
    expect(loaded.filter((m) => HTTP_STACK.test(m) || SPAWNING.test(m))).toEqual([])
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
})
