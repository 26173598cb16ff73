// The App's memory under large webhook bodies (issue 20), before and after the endpoint's rewrite: the
// built App (`node <outdir>/app.js`, its own process) receives, on loopback,
//   oversized : one 200 MB body with a well-formed but wrong signature, by Content-Length, then chunked
//   signed    : ten 25 MB deliveries at once (GitHub's cap), correctly signed
//   forged    : ten 25 MB deliveries at once, signed with another secret
// and its peak RSS (VmHWM of /proc/PID/status, a fresh process per scenario) and answers are recorded.
// "before" is a build of another commit (default: where this branch left main), exported with
// `git archive` into a temp folder; "after" is a build of the working tree.
//   npm run bench:app-bodies [-- --before <rev>]
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { AppProcess } from '../../test/helpers/app-process.ts'
import { APP_OWN_WARM_UP, startAppProcess, WEBHOOK_SECRET } from '../../test/helpers/app-process.ts'
import { startRestStandIn } from '../../test/helpers/rest-stand-in.ts'
import { machine } from './report.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const MB = 1024 * 1024
const REQUEST_LIMIT_MS = 120_000
const { values } = parseArgs({
  options: { before: { type: 'string' }, concurrent: { type: 'string', default: '10' } },
})
const CONCURRENT = Math.min(Number(values.concurrent), 50)
const log = (m: string) => process.stderr.write(`[bench:app-bodies] ${m}\n`)
const scratch = mkdtempSync(join(tmpdir(), 'kitty-bench-bodies-'))

/** A build of `rev` (or of the working tree): its app.js, beside a node_modules for the App's externals. */
function buildApp(label: string, rev?: string): string {
  const tree = rev === undefined ? ROOT : join(scratch, `${label}-src`)
  if (rev !== undefined) {
    mkdirSync(tree)
    const archive = execFileSync('git', ['archive', '--format=tar', rev], { cwd: ROOT, maxBuffer: 512 * MB })
    execFileSync('tar', ['-x', '-C', tree], { input: archive })
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'))
  }
  const outdir = join(scratch, label)
  mkdirSync(outdir)
  symlinkSync(join(ROOT, 'node_modules'), join(outdir, 'node_modules'))
  execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', join(outdir, 'dist')], { cwd: tree })
  return join(outdir, 'dist', 'app.js')
}

const status = (pid: number, key: string) =>
  Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024

interface Sent {
  status: number | string
  ms: number
}

/** One POST on its own connection; `body` in 1 MB slices, the way a client streams it; bounded in time. */
function post(app: AppProcess, headers: Record<string, string>, body: Buffer, copies = 1): Promise<Sent> {
  const { hostname, port } = new URL(app.url)
  const started = performance.now()
  return new Promise((done) => {
    let answered: number | undefined
    const finish = (s: number | string) => {
      clearTimeout(timer)
      req.destroy()
      done({ status: s, ms: Math.round(performance.now() - started) })
    }
    const timer = setTimeout(() => finish('timeout'), REQUEST_LIMIT_MS)
    const req = request({ hostname, port, path: '/api/github/webhooks', method: 'POST', headers, agent: false })
    req.on('response', (res) => {
      answered = res.statusCode
      res.resume()
      res.on('end', () => finish(answered ?? 0))
    })
    // The App may cut off an upload it refused: the answer, if one came, is the result.
    req.on('error', (err) => setTimeout(() => answered ?? finish((err as NodeJS.ErrnoException).code ?? 'error'), 500))
    let i = 0
    const slices = Math.ceil(body.length / MB) * copies
    const pump = () => {
      while (i < slices && answered === undefined && !req.destroyed) {
        const at = (i++ % Math.ceil(body.length / MB)) * MB
        if (!req.write(body.subarray(at, at + MB))) return void req.once('drain', pump)
      }
      if (i >= slices && !req.destroyed) req.end()
    }
    pump()
  })
}

const sign = (body: Buffer, secret = WEBHOOK_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

function headersFor(signature: string, length: number | null): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': 'ping',
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': signature,
  }
  if (length !== null) h['content-length'] = String(length)
  else h['transfer-encoding'] = 'chunked'
  return h
}

/** A `ping` payload of exactly `size` bytes. */
function payload(size: number): Buffer {
  const head = '{"zen":"bench","pad":"'
  return Buffer.from(`${head}${'a'.repeat(size - head.length - 2)}"}`)
}

type Scenario = (app: AppProcess) => Promise<Sent[]>

const WRONG = `sha256=${'0'.repeat(64)}`
const scenarios: Record<string, Scenario> = {
  'one 200 MB body, Content-Length, wrong signature': async (app) => [
    await post(app, headersFor(WRONG, 200 * MB), Buffer.alloc(MB, 'a'), 200),
  ],
  'one 200 MB body, chunked, wrong signature': async (app) => [
    await post(app, headersFor(WRONG, null), Buffer.alloc(MB, 'a'), 200),
  ],
  [`${CONCURRENT} × 25 MB at once, signed`]: async (app) => {
    const body = payload(25 * MB)
    const signature = sign(body)
    return Promise.all(Array.from({ length: CONCURRENT }, () => post(app, headersFor(signature, body.length), body)))
  },
  [`${CONCURRENT} × 25 MB at once, forged`]: async (app) => {
    const body = payload(25 * MB)
    const signature = sign(body, 'not-the-secret')
    return Promise.all(Array.from({ length: CONCURRENT }, () => post(app, headersFor(signature, body.length), body)))
  },
}

const summary = (sent: Sent[]) => {
  const counts = new Map<string, number>()
  for (const s of sent) counts.set(String(s.status), (counts.get(String(s.status)) ?? 0) + 1)
  return [...counts].map(([s, n]) => (n > 1 ? `${n}×${s}` : s)).join(', ')
}

const rest = await startRestStandIn()
const results: Array<Record<string, unknown>> = []
try {
  const before = values.before ?? execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: ROOT }).toString().trim()
  const builds = { before: buildApp('before', before), after: buildApp('after') }
  for (const [label, appJs] of Object.entries(builds)) {
    for (const [name, run] of Object.entries(scenarios)) {
      const app = await startAppProcess(rest.url, APP_OWN_WARM_UP, appJs)
      try {
        const pid = app.child.pid!
        const baseline = status(pid, 'VmRSS')
        const started = performance.now()
        const sent = await run(app)
        const seconds = (performance.now() - started) / 1000
        await new Promise((r) => setTimeout(r, 1_000))
        const row = {
          build: label === 'before' ? `before (${before.slice(0, 7)})` : 'after',
          scenario: name,
          baseline_rss_mb: Math.round(baseline),
          peak_rss_mb: Math.round(status(pid, 'VmHWM')),
          rss_1s_after_mb: Math.round(status(pid, 'VmRSS')),
          answers: summary(sent),
          seconds: Math.round(seconds * 10) / 10,
          log_bytes: app.output().length,
        }
        log(JSON.stringify(row))
        results.push(row)
      } finally {
        await app.stop('SIGKILL')
      }
    }
  }
  const table = [
    '| build | scenario | baseline RSS MB | peak RSS MB | RSS 1 s after MB | answers | s | App log bytes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => `| ${Object.values(r).join(' | ')} |`),
  ].join('\n')
  process.stdout.write(`${table}\n\n${JSON.stringify(await machine('VmHWM, /proc/PID/status'), null, 2)}\n`)
} finally {
  await rest.close()
  rmSync(scratch, { recursive: true, force: true })
}
