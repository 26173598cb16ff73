import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { APP, PRIVATE_KEY, sign } from '../../helpers/app-process.ts'
import { cleanupTempDirs, PROJECT_ROOT, tempDir } from '../../helpers/git-repo.ts'
import type { RestStandIn } from '../../helpers/rest-stand-in.ts'
import { startRestStandIn } from '../../helpers/rest-stand-in.ts'

/**
 * `npm start` without APP_ID, as deployed (dist/app.js in its own process, in a folder holding app.yml):
 * the setup page, GitHub's redirect back with a code and our state, the exchange against the REST
 * stand-in (GHE_HOST), the `.env` it writes, and the App started again from that `.env`.
 */

const MANIFEST = parse(readFileSync(join(PROJECT_ROOT, 'app.yml'), 'utf8'))
const WEBHOOK_URL = 'https://kitty.example.org/api/github/webhooks'
const WEBHOOK_SECRET = `whsec-${randomBytes(16).toString('hex')}`
const CLIENT_SECRET = `clsec-${randomBytes(16).toString('hex')}`
const PEM_BODY = PRIVATE_KEY.split('\n')[1]!

let rest: RestStandIn
const running: Proc[] = []

beforeAll(async () => {
  rest = await startRestStandIn()
})
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop()
  rest.reset()
})
afterAll(async () => {
  await rest.close()
  cleanupTempDirs()
})

interface Proc {
  url: string
  child: ChildProcessWithoutNullStreams
  output(): string
  stop(): Promise<void>
}

/** A folder like a deployment's: app.yml, and whatever `.env` the test put there. */
function deployment(): string {
  const dir = tempDir('kitty-setup-')
  copyFileSync(join(PROJECT_ROOT, 'app.yml'), join(dir, 'app.yml'))
  return dir
}

async function start(cwd: string, env: Record<string, string>, args: string[] = []): Promise<Proc> {
  const child = spawn(process.execPath, [APP, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: cwd, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', ...env },
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 20_000)
    const look = () => {
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout.on('data', look)
    void exited.then(() => reject(new Error(`exited:\n${output}`)))
  })
  const proc: Proc = {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
  running.push(proc)
  return proc
}

const ghe = () => ({ GHE_HOST: new URL(rest.url).host, GHE_PROTOCOL: 'http' })

function unescapeHtml(s: string): string {
  return s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
}

async function setupForm(url: string): Promise<{ action: string; state: string; manifest: any; html: string }> {
  const res = await fetch(url)
  const html = await res.text()
  expect(res.status, html).toBe(200)
  const action = unescapeHtml(/<form method="post" action="([^"]+)">/.exec(html)![1]!)
  const manifest = JSON.parse(unescapeHtml(/name="manifest" value="([^"]*)"/.exec(html)![1]!))
  return { action, state: new URL(action).searchParams.get('state')!, manifest, html }
}

/** GET with a chosen Host header (fetch will not send one). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the setup page', () => {
  it('on github.com: the form posts app.yml as a manifest (events, permissions, webhook URL, redirect, private) with a state', async () => {
    const app = await start(deployment(), { WEBHOOK_URL })
    const { action, state, manifest } = await setupForm(`${app.url}/`)
    expect(action).toBe(`https://github.com/settings/apps/new?state=${state}`)
    expect(state).toMatch(/^[0-9a-f]{64}$/)
    expect(manifest).toEqual({
      name: MANIFEST.name,
      url: MANIFEST.url,
      description: MANIFEST.description,
      hook_attributes: { url: WEBHOOK_URL, active: true },
      redirect_url: `${app.url}/setup/callback`,
      public: false,
      default_events: ['issue_comment', 'pull_request', 'pull_request_review'],
      default_permissions: MANIFEST.default_permissions,
    })
    expect(manifest.default_permissions).toMatchObject({ contents: 'write', checks: 'write', metadata: 'read' })
    // An organisation's page, and a fresh state per page.
    const org = await setupForm(`${app.url}/?org=octo-org`)
    expect(org.action).toBe(`https://github.com/organizations/octo-org/settings/apps/new?state=${org.state}`)
    expect(org.state).not.toBe(state)
  })

  it('on GHE_HOST, with --url: the form goes to the server; a link cannot swap the webhook URL, a bad org is refused', async () => {
    const app = await start(deployment(), ghe(), ['--url', WEBHOOK_URL])
    const { action, manifest, state } = await setupForm(`${app.url}/`)
    expect(action).toBe(`http://${ghe().GHE_HOST}/settings/apps/new?state=${state}`)
    expect(manifest.hook_attributes.url).toBe(WEBHOOK_URL)
    // A link cannot swap the configured webhook URL for its own.
    const swapped = await setupForm(`${app.url}/?webhook_url=${encodeURIComponent('https://attacker.example/hook')}`)
    expect(swapped.manifest.hook_attributes.url).toBe(WEBHOOK_URL)
    const bad = await fetch(`${app.url}/?org=${encodeURIComponent('../../evil"><b>')}`)
    expect(bad.status).toBe(400)
    const badText = await bad.text()
    expect(badText).not.toContain('<b>')
    expect(badText).not.toContain('method="post"')
  })

  it('without a webhook URL it asks for one and offers no Register button; what it is given is escaped', async () => {
    const app = await start(deployment(), {})
    const html = await (await fetch(`${app.url}/`)).text()
    expect(html).toContain('name="webhook_url"')
    expect(html).not.toContain('name="manifest"')
    const hostile = `${WEBHOOK_URL}?x="><script>alert(1)</script>'`
    const page = await (await fetch(`${app.url}/?webhook_url=${encodeURIComponent(hostile)}`)).text()
    expect(page).not.toContain('<script>')
    expect(JSON.parse(unescapeHtml(/name="manifest" value="([^"]*)"/.exec(page)![1]!)).hook_attributes.url).toBe(
      new URL(hostile).href,
    )
    const notUrl = await fetch(`${app.url}/?webhook_url=${encodeURIComponent('javascript:alert(1)')}`)
    expect(notUrl.status).toBe(400)
    expect(await notUrl.text()).not.toContain('name="manifest"')
  })

  it('answers only under its own host name (a rebinding page cannot read a state) and says loudly when not on loopback', async () => {
    const app = await start(deployment(), { WEBHOOK_URL })
    const port = new URL(app.url).port
    expect(await getWithHost(`${app.url}/`, `127.0.0.1:${port}`)).toBe(200)
    expect(await getWithHost(`${app.url}/`, `attacker.example:${port}`)).toBe(421)
    expect(app.output()).not.toContain('WARNING')
    const wide = await start(deployment(), { WEBHOOK_URL, HOST: '0.0.0.0' })
    expect(wide.output()).toMatch(/WARNING: HOST=0\.0\.0\.0: the setup page is reachable beyond this machine/)
  })
})

describe('the callback', () => {
  it('exchanges the code, writes .env (0600, nothing secret logged or answered), and the App then starts from it', async () => {
    const dir = deployment()
    writeFileSync(join(dir, '.env'), 'LOG_LEVEL=info\n')
    const setup = await start(dir, { ...ghe(), WEBHOOK_URL })
    const { state } = await setupForm(`${setup.url}/`)
    const code = randomBytes(10).toString('hex')
    rest.manifestCodes.set(code, {
      id: 987654,
      pem: PRIVATE_KEY,
      webhook_secret: WEBHOOK_SECRET,
      client_secret: CLIENT_SECRET,
    })
    const res = await fetch(`${setup.url}/setup/callback?code=${code}&state=${state}`)
    const body = await res.text()
    expect(res.status, body).toBe(200)
    expect(body).toContain('Saved')
    expect(body).toContain('https://github.com/apps/kitty-github/installations/new')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(rest.requests.filter((r) => r.path === `/app-manifests/${code}/conversions`)).toHaveLength(1)

    const envPath = join(dir, '.env')
    expect(statSync(envPath).mode & 0o777).toBe(0o600)
    const saved = parseEnv(readFileSync(envPath, 'utf8'))
    expect(saved['LOG_LEVEL']).toBe('info')
    expect(saved['APP_ID']).toBe('987654')
    expect(Buffer.from(saved['PRIVATE_KEY']!, 'base64').toString()).toBe(PRIVATE_KEY)
    expect(saved['WEBHOOK_SECRET']).toBe(WEBHOOK_SECRET)
    expect(JSON.stringify(saved)).not.toContain(CLIENT_SECRET)
    expect(setup.output()).toContain('App 987654 registered')
    // LOG_FORMAT=json: every line the setup server wrote is one JSON object.
    for (const l of setup.output().trim().split('\n')) expect(JSON.parse(l)).toHaveProperty('msg')
    for (const secret of [WEBHOOK_SECRET, CLIENT_SECRET, PEM_BODY, saved['PRIVATE_KEY']!.slice(0, 40), code]) {
      expect(setup.output()).not.toContain(secret)
      expect(body).not.toContain(secret)
    }
    // Registered: the page no longer offers a form, a second callback is refused.
    expect(await (await fetch(`${setup.url}/`)).text()).not.toContain('name="manifest"')
    await setup.stop()

    // Started again with nothing but the folder: .env gives it its id, key and secret.
    const app = await start(dir, ghe())
    expect(app.output()).toContain('kitty-github App listening on')
    expect((await fetch(`${app.url}/`)).status).toBe(404)
    expect((await fetch(`${app.url}/setup/callback?code=x&state=y`)).status).toBe(404)
    const ready = await fetch(`${app.url}/readyz`)
    expect(ready.status, await ready.text()).toBe(200)
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 })
    const deliverPing = (signature: string) =>
      fetch(`${app.url}/api/github/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': randomBytes(8).toString('hex'),
          'x-hub-signature-256': signature,
        },
        body: ping,
      })
    expect((await deliverPing(sign(ping, WEBHOOK_SECRET))).status).toBe(200)
    expect((await deliverPing(sign(ping, 'development'))).status).toBe(400)
    await app.stop()
    for (const secret of [WEBHOOK_SECRET, PEM_BODY, saved['PRIVATE_KEY']!.slice(0, 40)])
      expect(app.output()).not.toContain(secret)
  })

  it('refuses a state it did not issue, and a state used twice, before spending the code', async () => {
    const dir = deployment()
    const setup = await start(dir, { ...ghe(), WEBHOOK_URL })
    const { state } = await setupForm(`${setup.url}/`)
    rest.manifestCodes.set('abc123', { id: 5, pem: PRIVATE_KEY, webhook_secret: WEBHOOK_SECRET, client_secret: 'x' })
    const forged = await fetch(`${setup.url}/setup/callback?code=abc123&state=${'0'.repeat(64)}`)
    expect(forged.status).toBe(403)
    const none = await fetch(`${setup.url}/setup/callback?code=abc123`)
    expect(none.status).toBe(403)
    expect(rest.requests.filter((r) => r.path.startsWith('/app-manifests/'))).toEqual([])
    expect(existsSync(join(dir, '.env'))).toBe(false)
    // A spent code (GitHub answers 404): nothing written, and the state cannot be replayed.
    const spent = await fetch(`${setup.url}/setup/callback?code=nosuchcode&state=${state}`)
    expect(spent.status).toBe(502)
    expect(existsSync(join(dir, '.env'))).toBe(false)
    expect((await fetch(`${setup.url}/setup/callback?code=abc123&state=${state}`)).status).toBe(403)
    expect(setup.output()).toContain('refused a callback whose state this server did not issue')
  })

  it('never writes through a symlinked .env, and refuses before spending the code', async () => {
    const dir = deployment()
    const target = join(tempDir('kitty-elsewhere-'), 'victim')
    writeFileSync(target, 'UNTOUCHED=1\n')
    symlinkSync(target, join(dir, '.env'))
    const setup = await start(dir, { ...ghe(), WEBHOOK_URL })
    const { state } = await setupForm(`${setup.url}/`)
    rest.manifestCodes.set('c0de', { id: 6, pem: PRIVATE_KEY, webhook_secret: WEBHOOK_SECRET, client_secret: 'x' })
    const res = await fetch(`${setup.url}/setup/callback?code=c0de&state=${state}`)
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('not a regular file')
    expect(readFileSync(target, 'utf8')).toBe('UNTOUCHED=1\n')
    expect(rest.manifestCodes.has('c0de')).toBe(true)
  })
})
