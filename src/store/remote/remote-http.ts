import type { IncomingMessage } from 'node:http'
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git'
import { redactUrl } from './remote-url.ts'

/** A remote call that took too long; mapped to REMOTE_UNREACHABLE by the caller. */
export class RemoteTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`)
    this.name = 'RemoteTimeoutError'
  }
}

/** A redirect the client will not follow; mapped to REMOTE_UNREACHABLE, its message naming the redirect. */
export class RemoteRedirectError extends Error {
  readonly code = 'EREDIRECT'
  constructor(message: string) {
    super(message)
    this.name = 'RemoteRedirectError'
  }
}

async function collect(body: GitHttpRequest['body']): Promise<Buffer | undefined> {
  if (!body) return undefined
  const chunks: Uint8Array[] = []
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const MAX_REDIRECTS = 5
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
/** Headers that carry credentials: they go to the origin the user named and nowhere else. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie'])
const DISCOVERY = '/info/refs'

type Headers = Record<string, string>

function withoutCredentials(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())))
}

/** Node turns userinfo in a request URL into an Authorization header of its own: a request never has any. */
function withoutUserinfo(url: URL): URL {
  const bare = new URL(url)
  bare.username = ''
  bare.password = ''
  return bare
}

/**
 * Where a redirect leads, or why it is not followed: only http(s), never from https down to http
 * (the credentials and the answer would cross the network in the clear), at most MAX_REDIRECTS hops.
 */
function nextHop(from: URL, location: string, hops: number): URL {
  let to: URL
  try {
    to = new URL(location, from)
  } catch {
    throw new RemoteRedirectError(`${redactUrl(from.href)} redirected to an invalid URL`)
  }
  const hop = `${redactUrl(from.href)} redirected to ${redactUrl(to.href)}`
  if (to.protocol !== 'http:' && to.protocol !== 'https:') throw new RemoteRedirectError(`${hop}, which is not http(s)`)
  if (from.protocol === 'https:' && to.protocol === 'http:')
    throw new RemoteRedirectError(`${hop}: a redirect from https to http is refused`)
  if (hops >= MAX_REDIRECTS) throw new RemoteRedirectError(`${hop}: too many redirects (more than ${MAX_REDIRECTS})`)
  return to
}

/** The repository base of a ref discovery URL (`<base>/info/refs?service=…`), or null for any other request. */
function discoveryBase(url: URL): string | null {
  return url.pathname.endsWith(DISCOVERY) ? `${url.origin}${url.pathname.slice(0, -DISCOVERY.length)}` : null
}

/** `url` with its base replaced by the one a ref discovery was redirected to, if any. */
function rebase(url: URL, bases: Map<string, string>): URL {
  for (const [from, to] of bases)
    if (url.href.startsWith(`${from}/`)) return new URL(`${to}${url.href.slice(from.length)}`)
  return url
}

/**
 * isomorphic-git's HTTP client, with the deadlines its own client lacks: `idleMs` without a byte on the
 * socket aborts the request, and `deadline` bounds the whole operation, so no remote call can hang.
 *
 * Redirects as git follows them (http.followRedirects=initial): only a ref discovery is redirected; the
 * base it ends at is where the pack exchanges (POST) of the same operation go, and a redirected POST is
 * an error. Credentials go only to the origin of the URL isomorphic-git was given (the one the user
 * named): a hop to any other origin, or a new base there, gets the request without them.
 */
export function timedHttpClient(options: { idleMs: number; deadline: AbortSignal }): HttpClient {
  const bases = new Map<string, string>()

  const exchange = (
    url: URL,
    method: string,
    headers: Headers,
    payload: Buffer | undefined,
  ): Promise<IncomingMessage> => {
    // Loaded on first use: most commands never talk to a remote, and node:http costs ~20 ms to load.
    // getBuiltinModule, not import(): the ES module facade reads every export, and its lazy getters
    // load undici (another ~15 ms) that a request never uses.
    const client =
      url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http')
    const what = redactUrl(url.href)
    return new Promise((resolve, reject) => {
      if (options.deadline.aborted) return reject(options.deadline.reason)
      const all: Record<string, string | number> = payload
        ? { ...headers, 'content-length': payload.length }
        : { ...headers }
      const request = client.request(
        withoutUserinfo(url),
        { method, headers: all, signal: options.deadline },
        (res) => {
          res.setTimeout(options.idleMs, () => res.destroy(new RemoteTimeoutError(what, options.idleMs)))
          resolve(res)
        },
      )
      request.setTimeout(options.idleMs, () => request.destroy(new RemoteTimeoutError(what, options.idleMs)))
      request.on('error', reject)
      request.end(payload)
    })
  }

  /** After a redirected discovery: the new base, which must still be a discovery of the same service (as git insists). */
  const remember = (asked: URL, landed: URL): void => {
    const from = discoveryBase(asked)
    const to = discoveryBase(landed)
    if (from === null) return
    if (to === null || landed.search !== asked.search) {
      throw new RemoteRedirectError(
        `${redactUrl(asked.href)} redirected to ${redactUrl(landed.href)}, which is not a ref discovery`,
      )
    }
    bases.set(from, to)
  }

  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const payload = await collect(req.body)
      const method = req.method ?? 'GET'
      const named = new URL(req.url)
      const asked = rebase(named, bases)
      let url = asked
      for (let hops = 0; ; hops++) {
        const headers = url.origin === named.origin ? (req.headers ?? {}) : withoutCredentials(req.headers ?? {})
        const res = await exchange(url, method, headers, payload)
        const status = res.statusCode ?? 0
        const location = res.headers.location
        if (!REDIRECT_STATUSES.has(status) || !location) {
          if (hops > 0) remember(asked, url)
          return {
            url: url.href,
            method,
            statusCode: status,
            statusMessage: res.statusMessage ?? '',
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
            ),
            body: res[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
          }
        }
        res.resume()
        if (method !== 'GET') {
          throw new RemoteRedirectError(
            `${redactUrl(url.href)} answered a ${method} with a redirect (HTTP ${status}); only the ref discovery may be redirected`,
          )
        }
        url = nextHop(url, location, hops)
      }
    },
  }
}
