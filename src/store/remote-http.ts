import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git'

/** A remote call that took too long; mapped to REMOTE_UNREACHABLE by the caller. */
export class RemoteTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`)
    this.name = 'RemoteTimeoutError'
  }
}

async function collect(body: GitHttpRequest['body']): Promise<Buffer | undefined> {
  if (!body) return undefined
  const chunks: Uint8Array[] = []
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const MAX_REDIRECTS = 5

/**
 * isomorphic-git's HTTP client, with the deadlines its own client lacks: `idleMs` without a byte on the
 * socket aborts the request, and `deadline` bounds the whole operation, so no remote call can hang.
 */
export function timedHttpClient(options: { idleMs: number; deadline: AbortSignal }): HttpClient {
  const send = async (url: string, req: GitHttpRequest, payload: Buffer | undefined, hops: number): Promise<GitHttpResponse> => {
    // Loaded on first use: most commands never talk to a remote, and node:http costs ~20 ms to load.
    // getBuiltinModule, not import(): the ES module facade reads every export, and its lazy getters
    // load undici (another ~15 ms) that a request never uses.
    const client = url.startsWith('https:') ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http')
    return new Promise((resolve, reject) => {
      if (options.deadline.aborted) return reject(options.deadline.reason)
      const headers: Record<string, string | number> = { ...req.headers }
      if (payload) headers['content-length'] = payload.length
      const request = client.request(url, { method: req.method ?? 'GET', headers, signal: options.deadline }, (res) => {
        const status = res.statusCode ?? 0
        const location = res.headers.location
        if (status >= 300 && status < 400 && location && hops < MAX_REDIRECTS) {
          res.resume()
          resolve(send(new URL(location, url).toString(), req, payload, hops + 1))
          return
        }
        res.setTimeout(options.idleMs, () => res.destroy(new RemoteTimeoutError(url, options.idleMs)))
        resolve({
          url,
          method: req.method ?? 'GET',
          statusCode: status,
          statusMessage: res.statusMessage ?? '',
          headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
          body: res[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
        })
      })
      request.setTimeout(options.idleMs, () => request.destroy(new RemoteTimeoutError(url, options.idleMs)))
      request.on('error', reject)
      request.end(payload)
    })
  }
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      return send(req.url, req, await collect(req.body), 0)
    },
  }
}
