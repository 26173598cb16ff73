import { execFile, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, makeRepo, PROJECT_ROOT, TEST_BUILD, tempDir } from '../helpers/git-repo.ts'
import type { RestStandIn } from '../helpers/rest-stand-in.ts'
import { basicError } from '../helpers/github-openapi.ts'
import { startRestStandIn } from '../helpers/rest-stand-in.ts'

/**
 * dist/index.js run the way the runner runs it: a node process with INPUT_* variables, the event
 * file, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files; the repository on the git HTTP test server and
 * the REST API on a local stand-in, both on 127.0.0.1.
 */

const execFileAsync = promisify(execFile)
const gitCli = async (cwd: string, ...args: string[]) => (await execFileAsync('git', args, { cwd })).stdout.trim()

const ACTION = join(TEST_BUILD, 'dist', 'index.js')
const TOKEN = 'ghs_TopSecretActionToken0123456789'
const M = '099-test-mission'
const SHA = 'f'.repeat(40)
const HEAD = '1111111111111111111111111111111111111111'

let git: GitHttpServer
let rest: RestStandIn
let bare: string

beforeEach(async () => {
  git = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  rest = await startRestStandIn()
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
  rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: HEAD } })
  rest.permissions.set('maintainer', { permission: 'write', role_name: 'write' })
  rest.permissions.set('outsider', { permission: 'read', role_name: 'read' })
})
afterEach(async () => {
  await git.close()
  await rest.close()
  cleanupTempDirs()
})

interface StepResult {
  code: number | null
  stdout: string
  outputs: Record<string, string>
  summary: string
}

/** Parse GITHUB_OUTPUT's `name<<delimiter` blocks. */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = readFileSync(file, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!)
    if (!m) continue
    const value: string[] = []
    while (lines[++i] !== m[2]) value.push(lines[i]!)
    out[m[1]!] = value.join('\n')
  }
  return out
}

async function runStep(
  eventName: string,
  fixture: string | null,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<StepResult> {
  const dir = tempDir('kitty-runner-')
  const eventPath = join(dir, 'event.json')
  writeFileSync(eventPath, fixture ? readFileSync(join(PROJECT_ROOT, 'test/fixtures/events', `${fixture}.json`)) : '{}')
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: 'octo-org/project',
    GITHUB_SERVER_URL: git.url,
    GITHUB_API_URL: rest.url,
    GITHUB_SHA: SHA,
    GITHUB_ACTOR: 'maintainer',
    KITTY_REMOTE_TIMEOUT_MS: '20000',
    INPUT_TOKEN: TOKEN,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...extraEnv,
  }
  const child = spawn(process.execPath, [ACTION], { env, cwd: dir })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, outputs: readOutputs(outputFile), summary: readFileSync(summaryFile, 'utf8') }
}

const checkRuns = () => rest.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/check-runs'))
const pushes = () => git.requests.filter((r) => r.service === 'receive-pack' && r.method === 'POST')

function expectNoToken(step: StepResult): void {
  expect(step.stdout.replaceAll(`::add-mask::${TOKEN}`, '')).not.toContain(TOKEN)
  expect(JSON.stringify(step.outputs)).not.toContain(TOKEN)
  expect(step.summary).not.toContain(TOKEN)
  for (const r of rest.requests) expect(JSON.stringify(r.body)).not.toContain(TOKEN)
}

describe('the Action, run as the runner runs it', () => {
  it('workflow_dispatch transition: one commit pushed, outputs set, a check run on GITHUB_SHA carrying the envelope', async () => {
    const before = await gitCli(bare, 'rev-parse', 'main')
    const step = await runStep('workflow_dispatch', 'workflow_dispatch', {
      command: 'transition',
      mission: M,
      wp: 'WP02',
      to: 'claimed',
      note: 'picked up',
    })
    expect(step.code, step.stdout).toBe(0)
    expect(step.outputs).toMatchObject({
      success: 'true',
      'error-code': '',
      command: 'transition',
      'from-lane': 'planned',
      'to-lane': 'claimed',
      'wp-id': 'WP02',
      mission: M,
    })
    const after = await gitCli(bare, 'rev-parse', 'main')
    expect(await gitCli(bare, 'rev-parse', 'main^')).toBe(before)
    expect(step.outputs['commit']).toBe(after)
    expect(await gitCli(bare, 'log', '-1', '--format=%(trailers:key=Kitty-Actor,valueonly)', 'main')).toBe(
      'github:maintainer',
    )
    expect(await gitCli(bare, 'log', '-1', '--format=%B', 'main')).toContain('kitty-github/action')
    const envelope = JSON.parse(step.outputs['envelope']!)
    expect(envelope).toMatchObject({ success: true, command: 'orchestrator-api.transition' })
    const [run] = checkRuns()
    expect(run!.authorization).toBe(`token ${TOKEN}`)
    expect(run!.body).toMatchObject({
      name: 'kitty/transition',
      head_sha: SHA,
      status: 'completed',
      conclusion: 'success',
      output: { title: 'WP02: planned → claimed' },
    })
    const text = (run!.body as { output: { text: string } }).output.text
    expect(JSON.parse(text.slice(8, -4))).toEqual(envelope)
    expect(step.summary).toContain('kitty/transition: WP02\\: planned → claimed')
    expect(step.outputs['check-run-url']).toMatch(/checks\/1$/)
    expectNoToken(step)
    await gitCli(bare, 'fsck', '--strict')
  })

  it('a refusal fails the step with the right outputs, pushes nothing, and the summary names the fix', async () => {
    const before = await gitCli(bare, 'rev-parse', 'main')
    const step = await runStep('workflow_dispatch', 'workflow_dispatch', {
      command: 'transition',
      mission: M,
      wp: 'WP02',
      to: 'done',
    })
    expect(step.code).toBe(1)
    expect(step.stdout).toMatch(/::error::kitty\/transition: TRANSITION_REJECTED/)
    expect(step.outputs).toMatchObject({ success: 'false', 'error-code': 'TRANSITION_REJECTED', commit: '' })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    expect(pushes()).toEqual([])
    expect(step.summary).toMatch(/\*\*Fix:\*\*/)
    expect(checkRuns()[0]!.body).toMatchObject({ conclusion: 'failure' })
    expectNoToken(step)
  })

  it('fail-on-error: false keeps the step green with the failure in the outputs; check-run: false creates none', async () => {
    const step = await runStep('workflow_dispatch', 'workflow_dispatch', {
      command: 'no-such-command',
      'fail-on-error': 'false',
      'check-run': 'false',
    })
    expect(step.code).toBe(0)
    expect(step.outputs).toMatchObject({ success: 'false', 'error-code': 'USAGE_ERROR' })
    expect(JSON.parse(step.outputs['envelope']!).data.message).toMatch(/Unknown command 'no-such-command'.*transition/)
    expect(checkRuns()).toEqual([])
  })

  it('a wrong token: REMOTE_AUTH_FAILED, the step fails, the token appears nowhere', async () => {
    const step = await runStep(
      'workflow_dispatch',
      'workflow_dispatch',
      { command: 'mission-state', mission: M },
      { INPUT_TOKEN: `${TOKEN}-wrong` },
    )
    expect(step.code).toBe(1)
    expect(step.outputs['error-code']).toBe('REMOTE_AUTH_FAILED')
    expect(step.stdout.replaceAll(`::add-mask::${TOKEN}-wrong`, '')).not.toContain(TOKEN)
    expect(JSON.stringify(step.outputs)).not.toContain(TOKEN)
  })

  it('bad input, each one envelope and a failed step: missing input, unroutable event, unreachable server', async () => {
    const missing = await runStep('workflow_dispatch', 'workflow_dispatch', {
      command: 'transition',
      mission: M,
      to: 'claimed',
    })
    expect(missing.outputs).toMatchObject({ success: 'false', 'error-code': 'USAGE_ERROR' })
    expect(JSON.parse(missing.outputs['envelope']!).data.message).toMatch(
      /^Missing option '--wp'\. 'transition' needs --mission, --wp, --to, --actor\.$/,
    )
    const push = await runStep('push', null, { command: 'auto' })
    expect(push.code).toBe(1)
    expect(JSON.parse(push.outputs['envelope']!).data.message).toMatch(/cannot route the 'push' event/)
    const down = await runStep(
      'workflow_dispatch',
      'workflow_dispatch',
      { command: 'mission-state', mission: M },
      { GITHUB_SERVER_URL: 'http://127.0.0.1:9' },
    )
    expect(down.code).toBe(1)
    expect(down.outputs['error-code']).toBe('REMOTE_UNREACHABLE')
    expect(down.summary).toMatch(/\*\*Fix:\*\* Check GITHUB_SERVER_URL/)
    expect(pushes()).toEqual([])
    for (const step of [missing, push, down]) expectNoToken(step)
  })

  it('auto, /kitty approve by a read-only commenter: refused, nothing written, the step fails, a reply explains, no check run', async () => {
    const before = await gitCli(bare, 'rev-parse', 'main')
    const step = await runStep('issue_comment', 'issue_comment.read-only-approve', { command: 'auto' })
    expect(step.code).toBe(1)
    expect(step.outputs).toMatchObject({ success: 'false', 'error-code': 'PERMISSION_DENIED', command: 'transition' })
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    expect(pushes()).toEqual([])
    expect(rest.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/octo-org/project/pulls/7',
      'GET /repos/octo-org/project/collaborators/outsider/permission',
      'POST /repos/octo-org/project/issues/7/comments',
    ])
    // No check run: a refusal of someone without write access must not replace a maintainer's result.
    expect(checkRuns()).toEqual([])
    expect((rest.requests.find((r) => r.path.endsWith('/comments'))!.body as { body: string }).body).toMatch(
      /'read' access/,
    )
    expectNoToken(step)
  })

  it("auto, a maintainer's /kitty start-review on a fork's pull request: refused with why, nothing written, no check run", async () => {
    rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: HEAD, repo: { full_name: 'mallory/project' } } })
    const before = await gitCli(bare, 'rev-parse', 'main')
    const step = await runStep('issue_comment', 'issue_comment.start-review', { command: 'auto' })
    expect(step.code).toBe(1)
    expect(await gitCli(bare, 'rev-parse', 'main')).toBe(before)
    expect(pushes()).toEqual([])
    expect(rest.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/octo-org/project/pulls/7',
      'POST /repos/octo-org/project/issues/7/comments',
    ])
    expect((rest.requests.at(-1)!.body as { body: string }).body).toMatch(/another repository \(mallory\/project\)/)
  })

  it("auto: a maintainer's /kitty start-review, then their approving review, each commit and push (check runs on the PR head)", async () => {
    const first = await runStep('issue_comment', 'issue_comment.start-review', { command: 'auto' })
    expect(first.code, first.stdout).toBe(0)
    expect(first.outputs).toMatchObject({ success: 'true', command: 'start-review', 'to-lane': 'in_review' })
    expect(await gitCli(bare, 'log', '-1', '--format=%(trailers:key=Kitty-Delivery,valueonly)', 'main')).toBe(
      'github-comment:1500000001:3',
    )
    const review = await runStep('pull_request_review', 'pull_request_review.approved', { command: 'auto' })
    expect(review.code, review.stdout).toBe(0)
    expect(review.outputs).toMatchObject({
      success: 'true',
      command: 'transition',
      'from-lane': 'in_review',
      'to-lane': 'approved',
    })
    expect(review.outputs['commit']).toBe(await gitCli(bare, 'rev-parse', 'main'))
    const wp = await gitCli(bare, 'show', `main:kitty-specs/${M}/tasks/WP01.md`)
    expect(wp).toMatch(/reviewed_by: maintainer/)
    expect(checkRuns().map((r) => (r.body as { head_sha: string; name: string }).name)).toEqual([
      'kitty/start-review',
      'kitty/transition',
    ])
    expect(checkRuns().every((r) => (r.body as { head_sha: string }).head_sha === HEAD)).toBe(true)
    // The same comment delivered again (a re-run of the workflow) changes nothing.
    const again = await runStep('issue_comment', 'issue_comment.start-review', { command: 'auto' })
    expect(again.outputs['success']).toBe('true')
    expect(again.outputs['commit']).toBe('')
    expectNoToken(review)
  })

  it('auto, every plain issue_comment.created of @octokit/webhooks-examples and ours: skipped, green, nothing called', async () => {
    const examples = (
      JSON.parse(
        readFileSync(join(PROJECT_ROOT, 'node_modules/@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'),
      ) as { name: string; examples: { action: string }[] }[]
    )
      .find((e) => e.name === 'issue_comment')!
      .examples.filter((e) => e.action === 'created')
    const ours = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/fixtures/events/issue_comment.state.json'), 'utf8'))
    ours.comment.body = 'Thanks! Nice work on /kitty, by the way.'
    expect(examples.length).toBeGreaterThanOrEqual(5)
    for (const payload of [...examples, ours]) {
      const path = join(tempDir('kitty-event-'), 'plain.json')
      writeFileSync(path, JSON.stringify(payload))
      const step = await runStep('issue_comment', null, { command: 'auto' }, { GITHUB_EVENT_PATH: path })
      expect(step.code, step.stdout).toBe(0)
      expect(step.outputs).toMatchObject({ success: 'true', skipped: 'a comment without a /kitty line' })
      expect(step.summary).toMatch(/nothing to do/)
    }
    expect(rest.requests).toEqual([])
    expect(git.requests).toEqual([])
  })

  it('auto on GitHub Enterprise Server (GITHUB_API_URL ends in /api/v3): the same calls, under the prefix', async () => {
    const step = await runStep(
      'issue_comment',
      'issue_comment.read-only-approve',
      { command: 'auto' },
      { GITHUB_API_URL: `${rest.url}/api/v3` },
    )
    expect(step.outputs['error-code']).toBe('PERMISSION_DENIED')
    expect(rest.requests.map((r) => `${r.method} ${r.raw}`)).toEqual([
      'GET /api/v3/repos/octo-org/project/pulls/7',
      'GET /api/v3/repos/octo-org/project/collaborators/outsider/permission',
      'POST /api/v3/repos/octo-org/project/issues/7/comments',
    ])
  })

  it('a rate-limited check run (429, retry-after): the step keeps its result and warns with the wait, once', async () => {
    rest.fail(/^POST .*\/check-runs$/, {
      status: 429,
      headers: { 'retry-after': '30' },
      body: basicError('API rate limit exceeded for installation ID 4242.', 429),
    })
    const step = await runStep('workflow_dispatch', 'workflow_dispatch', { command: 'mission-state', mission: M })
    expect(step.code).toBe(0)
    expect(step.outputs['success']).toBe('true')
    // The Action does not wait inside the job (a reset can be an hour of runner time): it says so, once.
    expect(checkRuns()).toHaveLength(1)
    expect(step.stdout).toMatch(
      /::warning::Could not create the check run kitty\/mission-state: HTTP 429: API rate limit exceeded.*GitHub's rate limit: try again in 30 s/,
    )
    expect(step.stdout).not.toMatch(/checks: write/)
  })

  it("auto, a bot's comment: skipped, green, nothing called", async () => {
    const step = await runStep('issue_comment', 'issue_comment.bot', { command: 'auto' })
    expect(step.code).toBe(0)
    expect(step.outputs['skipped']).toMatch(/bot/)
    expect(rest.requests).toEqual([])
    expect(git.requests).toEqual([])
  })

  it('auto, the merge label: merge-mission runs, its check run is created, the label is removed', async () => {
    const step = await runStep('pull_request', 'pull_request.labeled', { command: 'auto', 'fail-on-error': 'false' })
    expect(step.outputs['command']).toBe('merge-mission')
    expect(checkRuns()[0]!.body).toMatchObject({ name: 'kitty/merge-mission', head_sha: HEAD })
    expect(
      rest.requests.some(
        (r) => r.method === 'DELETE' && r.path === '/repos/octo-org/project/issues/7/labels/kitty:merge',
      ),
    ).toBe(true)
  })
})

describe('the Action shows the mission board', () => {
  it('mission-state and list-ready: the job summary and the check run carry lane counts, the WP table and a Mermaid graph', async () => {
    for (const command of ['mission-state', 'list-ready']) {
      const step = await runStep('workflow_dispatch', 'workflow_dispatch', { command, mission: M })
      expect(step.code, step.stdout).toBe(0)
      expect(step.summary, command).toContain('```mermaid\nflowchart LR')
      expect(step.summary, command).toMatch(/WP01\["◕ WP01 · Test WP01<br\/>for_review"\]:::for_review/)
      expect(step.summary, command).toContain('| WP | Title | Lane | Actor | Dependencies | Blocked by |')
      expect(step.summary, command).toContain('**Progress:** 0/2 done (0%)')
      const summary = (checkRuns().at(-1)!.body as { output: { summary: string } }).output.summary
      expect(summary, command).toContain('```mermaid')
    }
  })
})
