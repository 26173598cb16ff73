import { execFile, spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, makeRepo, TEST_BUILD, tempDir } from '../helpers/git-repo.ts'

/**
 * `command: setup` run as the runner runs a step (dist/index.js with INPUT_*, GITHUB_PATH, RUNNER_TEMP,
 * GITHUB_WORKSPACE), then a later step as the runner starts it: PATH extended by what the setup step
 * wrote to GITHUB_PATH, and only what that step's own `env:` gives it. The repository is on the git
 * HTTP test server, which demands the token.
 */

const execFileAsync = promisify(execFile)
const ACTION = join(TEST_BUILD, 'dist', 'index.js')
const TOKEN = 'ghs_SetupStepTokenNeverOnDisk0123456789'
const M = '099-test-mission'

let git: GitHttpServer
let runner: string
let bare: string

beforeEach(async () => {
  git = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  bare = git.createBareRepo('octo-org/project', {
    from: makeRepo([
      {
        slug: M,
        wps: [
          { id: 'WP01', lane: 'for_review' },
          { id: 'WP02', lane: 'planned' },
        ],
      },
    ]),
  })
  runner = tempDir('kitty-runner-')
})
afterEach(async () => {
  await git.close()
  cleanupTempDirs()
})

interface Runner {
  temp: string
  workspace: string
  githubPath: string
  githubOutput: string
  githubEnv: string
}

function runnerLayout(workspace = tempDir('kitty-workspace-')): Runner {
  const temp = tempDir('kitty-runner-temp-')
  const files = {
    githubPath: join(runner, 'path'),
    githubOutput: join(runner, 'output'),
    githubEnv: join(runner, 'env'),
  }
  for (const f of Object.values(files)) writeFileSync(f, '')
  writeFileSync(join(runner, 'event.json'), '{}')
  return { temp, workspace, ...files }
}

async function setupStep(r: Runner, extraEnv: Record<string, string> = {}) {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: runner,
    RUNNER_TEMP: r.temp,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_EVENT_PATH: join(runner, 'event.json'),
    GITHUB_PATH: r.githubPath,
    GITHUB_OUTPUT: r.githubOutput,
    GITHUB_ENV: r.githubEnv,
    GITHUB_STEP_SUMMARY: join(runner, 'summary'),
    GITHUB_WORKSPACE: r.workspace,
    GITHUB_REPOSITORY: 'octo-org/project',
    GITHUB_SERVER_URL: git.url,
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_ACTOR: 'maintainer',
    INPUT_COMMAND: 'setup',
    INPUT_TOKEN: TOKEN,
    ...extraEnv,
  }
  const child = spawn(process.execPath, [ACTION], { env, cwd: r.workspace })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout }
}

/** A later `run:` step: the runner prepends GITHUB_PATH's lines to PATH; the step's env is its own. */
async function laterStep(r: Runner, args: string[], stepEnv: Record<string, string> = {}) {
  const added = readFileSync(r.githubPath, 'utf8').split('\n').filter(Boolean).reverse()
  const env = {
    PATH: [...added, process.env['PATH'] ?? ''].join(delimiter),
    HOME: runner,
    RUNNER_TEMP: r.temp,
    KITTY_REMOTE_TIMEOUT_MS: '20000',
    ...stepEnv,
  }
  const res = await execFileAsync('spec-kitty', args, { env, cwd: r.workspace }).catch(
    (err: { stdout: string; stderr: string; code: number }) => err,
  )
  return { envelope: JSON.parse(res.stdout), stderr: res.stderr }
}

/** Every file the step could have left behind: none may hold the token. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
}

describe('command: setup', () => {
  it('puts spec-kitty on PATH for later steps: contract-version and mission-state work on the remote, the token only from the step env', async () => {
    const r = runnerLayout()
    const step = await setupStep(r)
    expect(step.code, step.stdout).toBe(0)
    const [dir, ...more] = readFileSync(r.githubPath, 'utf8').split('\n').filter(Boolean)
    expect(more).toEqual([])
    expect(dir!.startsWith(r.temp)).toBe(true)
    for (const name of ['kitty', 'spec-kitty']) expect(statSync(join(dir!, name)).mode & 0o111).not.toBe(0)

    const version = await laterStep(r, ['orchestrator-api', 'contract-version'])
    expect(version.envelope).toMatchObject({ success: true, command: 'orchestrator-api.contract-version' })
    expect(version.envelope.data.api_version).toBe('1.3.0')

    const before = git.requests.length
    const state = await laterStep(r, ['orchestrator-api', 'mission-state', '--mission', M], { KITTY_TOKEN: TOKEN })
    expect(state.envelope, state.stderr).toMatchObject({ success: true, command: 'orchestrator-api.mission-state' })
    expect(state.envelope.data.mission_slug).toBe(M)
    expect(state.envelope.data.work_packages.map((w: { wp_id: string }) => w.wp_id)).toEqual(['WP01', 'WP02'])
    // It went to the workflow's repository on the server (the workspace holds no checkout).
    expect(git.requests.slice(before).some((q) => q.service === 'upload-pack')).toBe(true)

    // A state change through the launcher: one commit pushed, as the Actions bot, with the step's token.
    const tip = async () => (await execFileAsync('git', ['--git-dir', bare, 'rev-parse', 'main'])).stdout.trim()
    const beforeTip = await tip()
    const note = await laterStep(
      r,
      ['orchestrator-api', 'append-history', '--mission', M, '--wp', 'WP01', '--actor', 'orchestrator', '--note', 'hi'],
      { KITTY_TOKEN: TOKEN },
    )
    expect(note.envelope, note.stderr).toMatchObject({ success: true })
    const log = await execFileAsync('git', ['--git-dir', bare, 'log', '-1', '--format=%P %cn', 'main'])
    expect(log.stdout.trim()).toBe(`${beforeTip} github-actions[bot]`)
    // An explicit --remote is the caller's: the launcher adds none of its own.
    const elsewhere = await laterStep(r, [
      'orchestrator-api',
      'mission-state',
      '--mission',
      M,
      '--remote',
      'http://127.0.0.1:9/x.git',
    ])
    expect(elsewhere.envelope).toMatchObject({ success: false, error_code: 'REMOTE_UNREACHABLE' })

    // The token was never handed over: a later step without it is refused by the server.
    const without = await laterStep(r, ['orchestrator-api', 'mission-state', '--mission', M])
    expect(without.envelope).toMatchObject({ success: false, error_code: 'REMOTE_AUTH_FAILED' })
    for (const file of [...filesUnder(r.temp), r.githubPath, r.githubOutput, r.githubEnv])
      expect(readFileSync(file, 'latin1'), file).not.toContain(TOKEN)
    expect(readFileSync(r.githubEnv, 'utf8')).toBe('')
    expect(step.stdout.replaceAll(`::add-mask::${TOKEN}`, '')).not.toContain(TOKEN)
  })

  it('in a checkout of the repository, the launchers work on the checkout (no remote call)', async () => {
    const workspace = tempDir('kitty-workspace-')
    const authed = new URL(git.repoUrl('octo-org/project'))
    authed.username = 'x-access-token'
    authed.password = TOKEN
    await execFileAsync('git', ['clone', '-q', authed.href, workspace])
    // actions/checkout's origin: the repository URL without `.git`, credentials kept elsewhere.
    await execFileAsync('git', ['-C', workspace, 'remote', 'set-url', 'origin', `${git.url}/octo-org/project`])
    const r = runnerLayout(workspace)
    const step = await setupStep(r)
    expect(step.code, step.stdout).toBe(0)
    expect(readFileSync(r.githubOutput, 'utf8')).toMatch(/remote<<(\S+)\n\n\1/)
    const before = git.requests.length
    const state = await laterStep(r, ['orchestrator-api', 'mission-state', '--mission', M])
    expect(state.envelope, state.stderr).toMatchObject({ success: true })
    expect(state.envelope.data.work_packages).toHaveLength(2)
    expect(git.requests.length).toBe(before)
  })

  it('outside a workflow (no GITHUB_PATH) it fails the step and writes nothing', async () => {
    const r = runnerLayout()
    const step = await setupStep(r, { GITHUB_PATH: '' })
    expect(step.code).toBe(1)
    expect(step.stdout).toContain('kitty/setup: USAGE_ERROR')
    expect(readdirSync(r.temp)).toEqual([])
  })
})
