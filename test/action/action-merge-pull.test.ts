import { execFile, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, PROJECT_ROOT, TEST_BUILD, tempDir } from '../helpers/git-repo.ts'
import { commit, diamondRepo } from '../helpers/merge-repo.ts'
import type { RestStandIn } from '../helpers/rest-stand-in.ts'
import { startRestStandIn } from '../helpers/rest-stand-in.ts'

/**
 * merge.via: pull_request through the bundled Action on a protected repository: the git test server
 * refuses every push to main with GitHub's GH006 words (a real pre-receive hook), kitty's state lives on
 * `kitty-state`, and the REST stand-in plays GitHub's pulls API.
 */

const execFileAsync = promisify(execFile)
const gitCli = async (cwd: string, ...args: string[]) => (await execFileAsync('git', args, { cwd })).stdout.trim()

const ACTION = join(TEST_BUILD, 'dist', 'index.js')
const TOKEN = 'ghs_MergePullActionToken0123456789'
const M = '099-test-mission'
const STAGING = `kitty/merge/${M}`

let git: GitHttpServer
let rest: RestStandIn
let bare: string

beforeEach(async () => {
  git = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  rest = await startRestStandIn()
  const source = diamondRepo()
  commit(source, 'kitty settings', { '.github/kitty.yml': 'merge:\n  via: pull_request\n  auto_merge: squash\n' })
  bare = git.createBareRepo('octo-org/project', { from: source })
  await gitCli(bare, 'branch', 'kitty-state', 'main')
  git.protectBranch('octo-org/project', 'main')
  rest.permissions.set('maintainer', { permission: 'write', role_name: 'write' })
})
afterEach(async () => {
  await git.close()
  await rest.close()
  cleanupTempDirs()
})

/** The labeled fixture, or a close of the staging pull request built from it. */
function labeled(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/fixtures/events/pull_request.labeled.json'), 'utf8'))
}
function closed(number: number, merged: boolean, mergeSha: string | null, headRepo = 'octo-org/project') {
  const event = labeled()
  const pr = event['pull_request'] as Record<string, Record<string, unknown>>
  return {
    ...event,
    action: 'closed',
    number,
    label: undefined,
    pull_request: {
      ...pr,
      number,
      merged,
      merge_commit_sha: mergeSha,
      head: { ...pr['head'], ref: STAGING, label: `octo-org:${STAGING}`, repo: { full_name: headRepo } },
    },
  }
}

async function runStep(payload: unknown, inputs: Record<string, string> = { command: 'auto' }) {
  const dir = tempDir('kitty-runner-')
  const eventPath = join(dir, 'event.json')
  writeFileSync(eventPath, JSON.stringify(payload))
  const outputFile = join(dir, 'output')
  writeFileSync(outputFile, '')
  writeFileSync(join(dir, 'summary'), '')
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_REPOSITORY: 'octo-org/project',
    GITHUB_SERVER_URL: git.url,
    GITHUB_API_URL: rest.url,
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_ACTOR: 'maintainer',
    KITTY_REMOTE_TIMEOUT_MS: '20000',
    KITTY_STATE_BRANCH: 'kitty-state',
    INPUT_TOKEN: TOKEN,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  }
  const child = spawn(process.execPath, [ACTION], { env, cwd: dir })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const outputs: Record<string, string> = {}
  const lines = readFileSync(outputFile, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!)
    if (!m) continue
    const value: string[] = []
    while (lines[++i] !== m[2]) value.push(lines[i]!)
    outputs[m[1]!] = value.join('\n')
  }
  return { code, stdout, outputs }
}

const envelopeOf = (step: { outputs: Record<string, string> }) => JSON.parse(step.outputs['envelope']!)

describe('merge.via: pull_request on a protected target (the Action, command: auto)', () => {
  it('the label opens one staging pull request (a redelivery updates it); a merged close records, a plain close does not', async () => {
    const main = await gitCli(bare, 'rev-parse', 'main')
    const state = await gitCli(bare, 'rev-parse', 'kitty-state')

    const first = await runStep(labeled())
    expect(first.code, first.stdout).toBe(0)
    const staged = envelopeOf(first)
    expect(staged.data).toMatchObject({
      via: 'pull_request',
      merged: false,
      staging_branch: STAGING,
      pull_request: { head: STAGING, base: 'main', number: 100, created: true, auto_merge: 'enabled' },
    })
    const staging = await gitCli(bare, 'rev-parse', STAGING)
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(main)
    expect(await gitCli(bare, 'rev-parse', 'kitty-state')).toBe(state)
    expect([...rest.opened.values()]).toHaveLength(1)
    const pull = rest.opened.get(100)!
    expect(pull).toMatchObject({ head: STAGING, base: 'main', owner: 'octo-org', state: 'open' })
    expect(pull.body).toMatch(/\| 1 \| WP01 \|[^\n]*\n\| 2 \| WP02 \|[^\n]*\n\| 3 \| WP03 \|[^\n]*\n\| 4 \| WP04 \|/)
    expect(pull.body).toContain('### Preflight')
    expect(pull.body).toContain('```mermaid')
    const checks = rest.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/check-runs'))
    expect(checks.map((c) => c.body)).toContainEqual(
      expect.objectContaining({ name: 'kitty/merge-mission', head_sha: staging, conclusion: 'success' }),
    )
    expect(rest.graphql).toHaveLength(1)
    expect(rest.graphql[0]!.variables).toEqual({ id: 'PR_node100', method: 'SQUASH' })

    // The label delivered again: the open pull request is found and updated, never a second one.
    const again = await runStep(labeled())
    expect(envelopeOf(again).data.pull_request).toMatchObject({ number: 100, created: false })
    expect(rest.opened.size).toBe(1)
    expect(rest.requests.some((r) => r.method === 'PATCH' && r.path === '/repos/octo-org/project/pulls/100')).toBe(true)
    expect(await gitCli(bare, 'rev-parse', STAGING)).toBe(staging)

    // Closed without merging: nothing recorded, and the reply says the mission stays approved.
    const dropped = await runStep(closed(100, false, null))
    expect(dropped.code, dropped.stdout).toBe(0)
    expect(await gitCli(bare, 'rev-parse', 'kitty-state')).toBe(state)
    const replies = rest.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues/100/comments'))
    expect(JSON.stringify(replies.at(-1)?.body)).toContain('stays approved')

    // A fork naming its branch kitty/merge/…: ignored.
    const fork = await runStep(closed(100, true, 'a'.repeat(40), 'someone/fork'))
    expect(fork.code, fork.stdout).toBe(0)
    expect(await gitCli(bare, 'rev-parse', 'kitty-state')).toBe(state)

    // GitHub merges it; the close event records every WP done on the state branch, once.
    const tree = await gitCli(bare, 'rev-parse', `${STAGING}^{tree}`)
    const merge = await gitCli(bare, 'commit-tree', tree, '-p', main, '-p', staging, '-m', 'Merge pull request #100')
    await gitCli(bare, 'update-ref', 'refs/heads/main', merge, main)
    const recorded = await runStep(closed(100, true, merge))
    expect(recorded.code, recorded.stdout).toBe(0)
    expect(envelopeOf(recorded).data).toMatchObject({
      merged: true,
      merge_commit: merge,
      merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'],
    })
    const after = await gitCli(bare, 'rev-parse', 'kitty-state')
    expect(await gitCli(bare, 'rev-parse', 'kitty-state^')).toBe(state)
    const meta = JSON.parse(await gitCli(bare, 'show', `kitty-state:kitty-specs/${M}/meta.json`))
    expect(meta).toMatchObject({ merge_commit: merge, merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'] })
    const redelivered = await runStep(closed(100, true, merge))
    expect(envelopeOf(redelivered).data).toMatchObject({ no_op: true })
    expect(await gitCli(bare, 'rev-parse', 'kitty-state')).toBe(after)
  })

  it('an explicit merge-mission step with via: push on the protected target: BRANCH_PROTECTED naming merge.via', async () => {
    const step = await runStep(
      { repository: labeled()['repository'] },
      { command: 'merge-mission', mission: M, via: 'push', target: 'main' },
    )
    const envelope = envelopeOf(step)
    expect(envelope.error_code).toBe('BRANCH_PROTECTED')
    expect(envelope.data.message).toContain('merge.via: pull_request')
    expect(rest.opened.size).toBe(0)
  })
})
