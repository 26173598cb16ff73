// One webhook delivery POSTed as GitHub sends it: a fresh connection each (no keep-alive agent), the
// status and the time from the request's creation to the end of its response; never throws (status 0).
// The bench's sender process (send-deliveries.ts) and app-service.ts's warm-up both send through it.
import { request } from 'node:http'

export interface Outgoing {
  url: string
  headers: Record<string, string>
  body: string
}

export function postDelivery(d: Outgoing): Promise<{ status: number; ms: number }> {
  const url = new URL(d.url)
  const at = performance.now()
  return new Promise((done) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        timeout: 60_000,
        headers: { ...d.headers, 'content-length': Buffer.byteLength(d.body) },
      },
      (res) => {
        res.resume()
        res.on('end', () => done({ status: res.statusCode ?? 0, ms: performance.now() - at }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => done({ status: 0, ms: performance.now() - at }))
    req.end(d.body)
  })
}
