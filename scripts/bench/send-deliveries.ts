// The bench's webhook sender, in a process of its own: the bench process also serves git and the REST
// stand-in, whose work would otherwise delay reading the App's answers and inflate the latencies.
// Reads [{ url, headers, body }] as JSON on stdin, POSTs them all at once, each on a fresh connection
// (as GitHub does), and prints [{ status, ms }] in the same order: ms from the request's creation
// to the end of its response. With a spacing in ms as its argument, it sends them one every that long
// instead (a steady trickle, e.g. while the App works through a backlog).
import { request } from 'node:http'
import { text } from 'node:stream/consumers'

interface Outgoing {
  url: string
  headers: Record<string, string>
  body: string
}

function post(d: Outgoing): Promise<{ status: number; ms: number }> {
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

const outgoing = JSON.parse(await text(process.stdin)) as Outgoing[]
const spacingMs = Number(process.argv[2] ?? 0)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const answers = await Promise.all(outgoing.map(async (d, i) => (await sleep(i * spacingMs), post(d))))
process.stdout.write(JSON.stringify(answers))
