import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { buildManifest, checkOrg, checkPublicUrl, githubApiBase, githubWebBase, newAppUrl } from './build-manifest.ts'
import { renderProblemPage, renderSavedPage, renderSetupPage } from './render-setup-page.ts'
import { AppSetupError } from './setup-error.ts'
import type { AppCredentials } from './write-env-file.ts'
import { readEnvFileForUpdate, writeEnvFile } from './write-env-file.ts'

/**
 * What `npm start` serves while there is no APP_ID: GitHub's manifest flow on our own node:http server
 * (Probot's `setupAppFactory` is the model, but it trusts the Host header, issues no `state`, writes
 * `.env` in place and creates a smee.io channel). The page's form sends app.yml's manifest to GitHub;
 * GitHub sends the browser back to /setup/callback with a one-time code and our `state`; the code is
 * exchanged for the App's id, key and webhook secret, which go to `.env` and nowhere else.
 */

export const CALLBACK_PATH = '/setup/callback'

/** A page left open for longer than this must be reloaded: its state is forgotten. */
const STATE_TTL_MS = 60 * 60 * 1000
const MAX_STATES = 200
const EXCHANGE_TIMEOUT_MS = 30_000

export interface SetupOptions {
  env: NodeJS.ProcessEnv
  cwd: string
  /** app.yml, already read. */
  appYml: Record<string, unknown>
  /** From `--url` or WEBHOOK_URL; the page asks for it when absent. */
  webhookUrl: string | undefined
  /** One line for the operator; never given a secret, a code or a state. */
  log(message: string): void
  fetch?: typeof fetch
}

export interface SetupServer {
  url: string
  server: Server
  close(): Promise<void>
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

function send(res: ServerResponse, status: number, html: string, formTarget: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The callback URL carries the code: no Referer may take it along, and no other site may frame the button.
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${formTarget}; frame-ancestors 'none'; base-uri 'none'`,
  })
  res.end(html)
}

interface Conversion extends AppCredentials {
  installUrl: string
}

async function exchange(options: SetupOptions, code: string): Promise<Conversion> {
  const doFetch = options.fetch ?? fetch
  let res: Response
  try {
    res = await doFetch(`${githubApiBase(options.env)}/app-manifests/${encodeURIComponent(code)}/conversions`, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'kitty-github-setup',
      },
      signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
      redirect: 'error',
    })
  } catch (err) {
    throw new AppSetupError('SETUP_CONVERSION_FAILED', `Could not reach GitHub's API: ${(err as Error).message}`)
  }
  if (res.status !== 201) {
    await res.body?.cancel()
    throw new AppSetupError(
      'SETUP_CONVERSION_FAILED',
      `GitHub answered ${res.status} to the code exchange (a code works once, within an hour): register again.`,
    )
  }
  const data = (await res.json().catch(() => null)) as Record<string, unknown> | null
  const id = data?.['id']
  const pem = data?.['pem']
  const secret = data?.['webhook_secret']
  const htmlUrl = data?.['html_url']
  if (
    typeof id !== 'number' ||
    !Number.isSafeInteger(id) ||
    id <= 0 ||
    typeof pem !== 'string' ||
    !/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem) ||
    typeof secret !== 'string' ||
    secret === '' ||
    typeof htmlUrl !== 'string'
  )
    throw new AppSetupError(
      'SETUP_CONVERSION_FAILED',
      'GitHub answered the code exchange without an App id, key and secret.',
    )
  const page = checkPublicUrl(htmlUrl, "The App's page")
  return {
    appId: id,
    pem,
    webhookSecret: secret,
    htmlUrl: page,
    installUrl: `${page.replace(/\/+$/, '')}/installations/new`,
  }
}

export async function startSetupServer(options: SetupOptions): Promise<SetupServer> {
  const { env } = options
  const host = env['HOST'] || 'localhost'
  const envPath = join(options.cwd, '.env')
  const states = new Map<string, number>()
  let registered = false
  let port = 0
  const appName = String(options.appYml['name'] ?? 'the App')
  const webBase = githubWebBase(env)

  /** DNS rebinding guard: a page on another site that resolves to us must not read a state off the page. */
  const allowedHosts = (): Set<string> => {
    const bound = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
    return new Set([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `${bound.toLowerCase()}:${port}`])
  }

  const issueState = (): string => {
    const now = Date.now()
    for (const [s, at] of states) if (now - at > STATE_TTL_MS || states.size >= MAX_STATES) states.delete(s)
    const state = randomBytes(32).toString('hex')
    states.set(state, now)
    return state
  }

  const takeState = (state: string | null): boolean => {
    if (!state) return false
    const at = states.get(state)
    if (at === undefined) return false
    states.delete(state)
    return Date.now() - at <= STATE_TTL_MS
  }

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const hostHeader = (req.headers.host ?? '').toLowerCase()
    if (!allowedHosts().has(hostHeader)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`Open this page as http://${[...allowedHosts()][0]}/ (or the HOST it is bound to).\n`)
      return
    }
    const url = new URL(req.url ?? '/', `http://${hostHeader}`)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' })
      res.end('method not allowed\n')
      return
    }
    if (url.pathname === '/') {
      if (registered)
        return send(res, 200, renderProblemPage('The App is registered: restart this process (npm start).'), webBase)
      // A link from elsewhere must not swap in its own webhook URL (GitHub would deliver there): a configured one is fixed.
      const configured = options.webhookUrl ?? env['WEBHOOK_URL']
      const webhookUrl = configured ?? url.searchParams.get('webhook_url') ?? ''
      const org = (url.searchParams.get('org') ?? env['GH_ORG'] ?? '').trim()
      let problem: string | null = null
      let register = null
      try {
        if (org) checkOrg(org)
        if (webhookUrl) {
          const manifest = buildManifest(options.appYml, webhookUrl, `http://${hostHeader}${CALLBACK_PATH}`)
          register = { action: newAppUrl(env, org || null, issueState()), manifest }
        }
      } catch (err) {
        if (!(err instanceof AppSetupError)) throw err
        problem = err.message
      }
      return send(
        res,
        problem ? 400 : 200,
        renderSetupPage({ appName, webhookUrl, fixed: configured !== undefined, org, problem, register }),
        webBase,
      )
    }
    if (url.pathname === CALLBACK_PATH) {
      if (registered) return send(res, 409, renderProblemPage('The App is already registered.'), webBase)
      if (!takeState(url.searchParams.get('state'))) {
        options.log('setup: refused a callback whose state this server did not issue (or already used)')
        return send(
          res,
          403,
          renderProblemPage('This registration was not started from this page: start again.'),
          webBase,
        )
      }
      const code = url.searchParams.get('code') ?? ''
      if (!/^[A-Za-z0-9_-]{1,200}$/.test(code))
        return send(res, 400, renderProblemPage('GitHub sent no usable code: start again.'), webBase)
      try {
        readEnvFileForUpdate(envPath)
        const conversion = await exchange(options, code)
        writeEnvFile(envPath, conversion)
        registered = true
        options.log(
          `setup: App ${conversion.appId} registered; APP_ID, PRIVATE_KEY and WEBHOOK_SECRET saved to ${envPath}. ` +
            'Restart (npm start) to serve webhooks.',
        )
        return send(res, 200, renderSavedPage(appName, conversion.installUrl, envPath), webBase)
      } catch (err) {
        const message = err instanceof AppSetupError ? err.message : `Could not save the App: ${(err as Error).message}`
        options.log(`setup: ${message}`)
        return send(res, 502, renderProblemPage(message), webBase)
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('not found\n')
  }

  const server = createServer((req, res) => {
    route(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, renderProblemPage('internal error'), webBase)
    })
  })
  server.requestTimeout = 60_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(Number(env['PORT'] ?? 3000), host, () => resolve())
  })
  const address = server.address() as AddressInfo
  port = address.port
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${port}`
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
