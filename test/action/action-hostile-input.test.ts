import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import MarkdownIt from 'markdown-it'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, git, makeRepo, PROJECT_ROOT, TEST_BUILD, tempDir } from '../helpers/git-repo.ts'
import type { RestStandIn } from '../helpers/rest-stand-in.ts'
import { startRestStandIn } from '../helpers/rest-stand-in.ts'

/**
 * The bundled Action (dist/index.js) fed what an attacker controls: an input with workflow commands
 * on its own lines, a comment whose words the bot quotes, a WP title with mentions and an image.
 * Probe 2026-12-06, D6, D8, D10.
 */

const ACTION = join(TEST_BUILD, 'dist', 'index.js')
const TOKEN = 'ghs_TopSecretActionToken0123456789'
const M = '099-test-mission'
const HEAD = '1111111111111111111111111111111111111111'
const HOSTILE_TITLE = 'Ship it @acme/everyone ![x](https://evil.example/t.png) <img/src=https://evil.example/y.png>'

let gitServer: GitHttpServer
let rest: RestStandIn

beforeEach(async () => {
  gitServer = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  rest = await startRestStandIn()
  const repo = makeRepo([
    {
      slug: M,
      wps: [
        { id: 'WP01', lane: 'for_review' },
        { id: 'WP02', lane: 'planned' },
      ],
    },
  ])
  // A title a writer planted: the bot must show it, not let it ping or load.
  const file = git(repo, 'grep', '-l', 'title: Test WP02')
  const path = join(repo, file)
  writeFileSync(path, readFileSync(path, 'utf8').replace('title: Test WP02', `title: '${HOSTILE_TITLE}'`))
  git(repo, 'commit', '-qam', 'hostile title')
  gitServer.createBareRepo('octo-org/project', { from: repo })
  rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: HEAD } })
  rest.permissions.set('maintainer', { permission: 'write', role_name: 'write' })
})
afterEach(async () => {
  await gitServer.close()
  await rest.close()
  cleanupTempDirs()
})

interface Step {
  code: number | null
  stdout: string
  summary: string
}

async function runStep(eventName: string, payload: unknown, env: Record<string, string>): Promise<Step> {
  const dir = tempDir('kitty-runner-')
  const eventPath = join(dir, 'event.json')
  writeFileSync(eventPath, JSON.stringify(payload))
  writeFileSync(join(dir, 'output'), '')
  writeFileSync(join(dir, 'summary'), '')
  const child = spawn(process.execPath, [ACTION], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: dir,
      RUNNER_TEMP: dir,
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: eventName,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      GITHUB_REPOSITORY: 'octo-org/project',
      GITHUB_SERVER_URL: gitServer.url,
      GITHUB_API_URL: rest.url,
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_ACTOR: 'maintainer',
      KITTY_REMOTE_TIMEOUT_MS: '20000',
      INPUT_TOKEN: TOKEN,
      ...env,
    },
  })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, summary: readFileSync(join(dir, 'summary'), 'utf8') }
}

/** A line the runner would take as a command we never issue: one carrying the injected text. */
const INJECTED_COMMAND = /^::[a-z-]+(?: [^:\n]*)?::(?:true )?INJECTED/m

const md = new MarkdownIt({ html: true, linkify: true })

/** Rendered as GitHub would, minus code (where GitHub neither links nor mentions): nothing live. */
function expectInert(markdown: string): void {
  const html = md.render(markdown)
  expect(html).not.toMatch(/<(img|a|h1|script)\b/i)
  expect(html.match(/<details>/g)?.length ?? 0).toBe(html.match(/<\/details>/g)?.length ?? 0)
  const prose = html.replace(/<pre>[^]*?<\/pre>/g, '').replace(/<code>[^<]*<\/code>/g, '')
  expect(prose).not.toMatch(/(^|[^A-Za-z0-9_])@[A-Za-z0-9]/)
  expect(prose).not.toMatch(/#\d/)
  expect(prose).not.toMatch(/:\/\//)
}

describe('the Action with hostile inputs (process)', () => {
  it('a command input with newlines and workflow commands logs no line the runner would obey', async () => {
    const command = [
      'nope',
      '::warning title=Deploy approved::INJECTED by the command input',
      '::set-output name=success::true INJECTED',
      '::error::INJECTED',
      '::add-mask::INJECTED',
      '::stop-commands::INJECTED',
      '\r::notice::INJECTED',
    ].join('\n')
    const step = await runStep('workflow_dispatch', {}, { INPUT_COMMAND: command })
    expect(step.code).toBe(1)
    expect(step.stdout).toContain('USAGE_ERROR')
    expect(step.stdout).not.toMatch(INJECTED_COMMAND)
    expect(step.stdout).not.toMatch(/^\s*::(set-output|stop-commands|notice)/m)
    expect(step.stdout).not.toMatch(/^::warning title=/m)
  })

  it("a wrong token: the summary and the failure line name the Action's token input as the lever", async () => {
    const step = await runStep(
      'workflow_dispatch',
      {},
      { INPUT_COMMAND: 'mission-state', INPUT_MISSION: M, INPUT_TOKEN: `${TOKEN}-wrong` },
    )
    expect(step.code).toBe(1)
    // The envelope (collapsed below) keeps the engine's words; what a person reads first names the input.
    const errorLine = step.summary.split('\n').find((l) => l.startsWith('**Error**'))
    expect(errorLine).toContain("Pass the Action's `token` input")
    expect(errorLine).not.toContain('KITTY\\_TOKEN')
    expect(step.stdout).toMatch(/^::error::.*REMOTE_AUTH_FAILED.*Pass the Action's `token` input/m)
  })

  it("a commenter's hostile words and a hostile WP title render inert in the reply and job summary", async () => {
    const payload = JSON.parse(
      readFileSync(join(PROJECT_ROOT, 'test/fixtures/events/issue_comment.start-review.json'), 'utf8'),
    )
    payload.comment.body = [
      '/kitty transition <img/src=https://evil.example/x.png>',
      '/kitty transition </details><h1>x</h1>',
      '/kitty transition @acme/owners',
      '/kitty state',
    ].join('\n')
    const step = await runStep('issue_comment', payload, { INPUT_COMMAND: 'auto' })
    const reply = rest.requests.find((r) => r.method === 'POST' && r.path.endsWith('/issues/7/comments'))
    const body = (reply?.body as { body: string }).body
    // The words are there, as text: a reader sees exactly what was written.
    const text = md.render(body).replaceAll('\u2060', '')
    expect(text).toContain('&lt;img/src=https://evil.example/x.png&gt;')
    expect(text).toContain('@acme/owners')
    expect(text).toContain('Ship it @acme/everyone ![x](https://evil.example/t.png)')
    expectInert(body)
    expectInert(step.summary)
    // Refusals and reads publish no check run (docs/security.md); a check run's text is the rendering the job
    // summary shows, checked above, and test/github/render-outcome-escaping.test.ts checks it field by field.
    expect(rest.requests.filter((r) => r.path.endsWith('/check-runs'))).toEqual([])
  })
})
