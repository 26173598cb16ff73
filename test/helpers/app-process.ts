import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROJECT_ROOT, TEST_BUILD } from './git-repo.ts'

/**
 * The App as it is deployed: `node dist/app.js` (what `npm start` runs) in a child process, configured
 * only through its environment, with the REST API pointed at a stand-in through GHE_HOST (GitHub
 * Enterprise Server's layout) and webhooks delivered over HTTP, signed the way GitHub signs them.
 */

export const APP = join(TEST_BUILD, 'dist', 'app.js')
export const WEBHOOK_SECRET = 'kitty-test-webhook-secret'
export const INSTALLATION_ID = 4242
/**
 * For an App given the warm-up it ships with (KITTY_WARM_UP_DELIVERIES, default 1,000) rather than the
 * 20 deliveries startAppProcess gives the tests' Apps: the benches, and the test of the default.
 */
export const APP_OWN_WARM_UP: Record<string, string> = { KITTY_WARM_UP_DELIVERIES: '' }

/** A throwaway App private key (PKCS#1, as GitHub hands them out). */
export const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString()

export interface AppProcess {
  url: string
  child: ChildProcessWithoutNullStreams
  /** Everything the process wrote (stdout and stderr), JSON log lines. */
  output(): string
  exited: Promise<number | null>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * `app`: another build of the App (the bench compares two); the tests' own build by default.
 * `nodeArgs`: options for node itself (a profile, a GC trace), which NODE_OPTIONS partly refuses.
 */
export async function startAppProcess(
  restUrl: string,
  extraEnv: Record<string, string> = {},
  app = APP,
  nodeArgs: string[] = [],
): Promise<AppProcess> {
  // Its own folder, not tempDir(): an App may outlive the test that started it (one per test file).
  const home = mkdtempSync(join(tmpdir(), 'kitty-app-'))
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    APP_ID: '1',
    PRIVATE_KEY,
    WEBHOOK_SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    GHE_HOST: new URL(restUrl).host,
    GHE_PROTOCOL: 'http',
    KITTY_CACHE_DIR: join(home, 'cache'),
    KITTY_REMOTE_TIMEOUT_MS: '20000',
    // The start-up warm-up runs in every test's App, on a few deliveries: the default 1,000 would add one
    // to three seconds to each of the suite's App starts (APP_OWN_WARM_UP gives an App its default).
    KITTY_WARM_UP_DELIVERIES: '20',
    ...extraEnv,
  }
  const child = spawn(process.execPath, [...nodeArgs, app], { env, cwd: home })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the App did not start:\n${output}`)), 20_000)
    const look = () => {
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        child.stdout.off('data', look)
        resolve(m[1]!)
      }
    }
    child.stdout.on('data', look)
    void exited.then((code) => reject(new Error(`the App exited with ${code}:\n${output}`)))
  })
  return {
    url,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const code = await exited
      rmSync(home, { recursive: true, force: true })
      return code
    },
  }
}

export function sign(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

export interface DeliveryResponse {
  status: number
  body: string
  id: string
}

/** POST one webhook delivery as GitHub does: JSON body, event and delivery headers, HMAC-SHA256 signature. */
export async function deliver(
  appUrl: string,
  event: string,
  payload: unknown,
  options: { id?: string; signature?: string | null } = {},
): Promise<DeliveryResponse> {
  const body = JSON.stringify(payload)
  const id = options.id ?? randomUUID()
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/kitty-test',
    'x-github-event': event,
    'x-github-delivery': id,
    'x-github-hook-installation-target-type': 'integration',
  }
  const signature = options.signature === undefined ? sign(body) : options.signature
  if (signature !== null) headers['x-hub-signature-256'] = signature
  const res = await fetch(`${appUrl}/api/github/webhooks`, { method: 'POST', headers, body })
  return { status: res.status, body: await res.text(), id }
}

/** Whether the App's log holds a line with every field of `match`. */
export function hasLogLine(app: AppProcess, match: Record<string, unknown>): boolean {
  return logLines(app.output()).some((l) => Object.entries(match).every(([k, v]) => l[k] === v))
}

/** Poll (bounded) until the App logs a line matching `match`; throws with the output when it never does. */
export async function waitForLogLine(app: AppProcess, match: Record<string, unknown>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!hasLogLine(app, match)) {
    if (Date.now() > deadline)
      throw new Error(`no log line ${JSON.stringify(match)} within ${timeoutMs} ms:\n${app.output().slice(-3_000)}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/**
 * `deliver`, then wait until the App's worker has finished the job it queued (acknowledged 202), so a
 * test can look at the answers; an ignored delivery (200) has no job to wait for.
 */
export async function deliverSettled(
  app: AppProcess,
  event: string,
  payload: unknown,
  options: { id?: string; signature?: string | null } = {},
): Promise<DeliveryResponse> {
  const res = await deliver(app.url, event, payload, options)
  if (res.status === 202) await waitForLogLine(app, { delivery: res.id, msg: 'delivery done' })
  return res
}

/**
 * A recorded payload (test/fixtures/events) moved onto a repository of the git test server: its
 * clone_url, names and the installation the App authenticates as. `edit` changes it further.
 */
export function eventPayload(fixture: string, cloneUrl: string, edit: (p: any) => void = () => {}): any {
  const p = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/fixtures/events', `${fixture}.json`), 'utf8'))
  const [owner, name] = new URL(cloneUrl).pathname
    .replace(/^\//, '')
    .replace(/\.git$/, '')
    .split('/')
  p.repository.name = name
  p.repository.full_name = `${owner}/${name}`
  p.repository.owner.login = owner
  p.repository.clone_url = cloneUrl
  p.installation = { id: INSTALLATION_ID, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==' }
  // A pull request of the repository itself (not a fork): its head and base live there.
  for (const side of ['head', 'base'])
    if (p.pull_request?.[side]?.repo) p.pull_request[side].repo.full_name = `${owner}/${name}`
  edit(p)
  return p
}

/** One JSON log line per entry (pino), skipping anything that is not JSON. */
export function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>]
      } catch {
        return []
      }
    })
}

/** A `/kitty …` comment by a maintainer on pull request `pr` (the issue_comment fixture, edited). */
export function maintainerComment(cloneUrl: string, pr: number, id: number, body: string): any {
  return eventPayload('issue_comment.start-review', cloneUrl, (p) => {
    p.issue.number = pr
    p.comment.id = id
    p.comment.body = body
    p.comment.user.login = 'maintainer'
    p.sender.login = 'maintainer'
  })
}
