// What the App's receiving thread spends per delivery, piece by piece, against a bare node:http server.
// Each variant is a server in this process, sent the same burst (--burst, 500 signed `/kitty
// start-review` comments, all at once on fresh connections) by send-deliveries.ts in a child process;
// the figure is this thread's CPU time over the burst (process.threadCpuUsage), which the machine's load
// moves far less than the latency it also prints. Variants, interleaved --rounds times:
//   floor        read, JSON.parse, 202 (bench:service's floor)
//   receiver     the App's receiver (receive-webhook.ts: checks, HMAC, parse, routing, metrics), its log
//                silent, its queue a no-op
//   + log        the same with the App's logger (two JSON lines per delivery; run with stdout to /dev/null)
//   + queue      the same with the embedded queue (SQLite in a temporary folder, each commit fsynced)
// --fresh measures each burst in a new process (the burst is that server's first traffic, as for an App
// just started; without it, every variant after a process's first runs on code V8 has compiled);
// --split-cores puts the server on CPU 0 and the sender on CPU 1.
//   node scripts/bench/receiver-cost.ts [--burst 500 --rounds 3 --fresh --split-cores] > /dev/null
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createAppLog } from '../../src/app/app-log.ts'
import { createAppMetrics } from '../../src/app/app-metrics.ts'
import type { LogLike } from '../../src/app/handle-delivery.ts'
import type { DeliveryQueue } from '../../src/app/queue/delivery-queue.ts'
import { openEmbeddedQueue } from '../../src/app/queue/open-embedded-queue.ts'
import { createWebhookReceiver } from '../../src/app/receive-webhook.ts'
import { eventPayload, WEBHOOK_SECRET } from '../../test/helpers/app-process.ts'
import { onCpu, pin } from './pin-cpu.ts'
import type { Outgoing } from './post-delivery.ts'
import { githubDelivery, sendFromChild } from './send-from-child.ts'
import { median, percentile, round } from './stats.ts'

const { values } = parseArgs({
  options: {
    burst: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    fresh: { type: 'boolean', default: false },
    'split-cores': { type: 'boolean', default: false },
    /** Internal: measure this one variant and report it to the parent (--fresh). */
    one: { type: 'string' },
  },
})
const SERVER_CPU = 0
const SENDER_CPU = 1
const SPLIT = values['split-cores']
const BURST = Number(values.burst)
const say = (m: string) => process.stderr.write(`${m}\n`)

type Handler = (req: IncomingMessage, res: ServerResponse) => void

const silent: LogLike = { info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent }

function floorHandler(): Handler {
  return (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(202).end('queued\n')
    })
  }
}

const noQueue: Pick<DeliveryQueue, 'enqueue'> = { enqueue: async () => 'queued' }

function receiverHandler(log: LogLike, queue: Pick<DeliveryQueue, 'enqueue'>): Handler {
  const metrics = createAppMetrics(() => 0, { processWide: false })
  const path = '/api/github/webhooks'
  const receive = createWebhookReceiver({ path, log, queue, secret: WEBHOOK_SECRET, maxBytes: 25 << 20, metrics })
  return (req, res) => void receive(req, res)
}

function burst(url: string): Outgoing[] {
  return Array.from({ length: BURST }, (_, i) => {
    const body = JSON.stringify(
      eventPayload('issue_comment.start-review', 'http://127.0.0.1:1/o/r.git', (p) => {
        p.issue.number = (i % 50) + 1
        p.comment.id = 4_000_000_000 + i
      }),
    )
    return githubDelivery(url, 'issue_comment', `cost-${Date.now()}-${i}`, body)
  })
}

async function measure(handler: Handler): Promise<{ cpu: number; p99: number }> {
  const server = createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`
  let before = process.threadCpuUsage()
  const answers = await sendFromChild(burst(url), {
    started: () => (before = process.threadCpuUsage()),
    ...(SPLIT ? { cpu: SENDER_CPU } : {}),
  })
  const used = process.threadCpuUsage(before)
  server.close()
  const acks = answers.map((a) => a.ms)
  return { cpu: (used.user + used.system) / 1000, p99: percentile(acks, 99) ?? 0 }
}

type Figure = { cpu: number; p99: number }

// Made on first use: with --fresh the parent process only starts children and needs neither.
let dir: string | undefined
let appLog: LogLike | undefined
const queueFile = () => join((dir ??= mkdtempSync(join(tmpdir(), 'kitty-receiver-cost-'))), `q-${Math.random()}.sqlite`)
const theAppLog = async () => (appLog ??= (await createAppLog({ LOG_FORMAT: 'json' })) as unknown as LogLike)
const variants = new Map<string, () => Promise<Handler>>([
  ['floor', async () => floorHandler()],
  ['receiver', async () => receiverHandler(silent, noQueue)],
  ['+ log', async () => receiverHandler(await theAppLog(), noQueue)],
  ['+ queue', async () => receiverHandler(await theAppLog(), openEmbeddedQueue({ file: queueFile() }))],
])
const removeDir = () => dir !== undefined && rmSync(dir, { recursive: true, force: true })

/** One variant's burst in a new process of this script (--one), its figure sent back over IPC. */
async function measureFresh(name: string): Promise<Figure> {
  const self = [process.execPath, fileURLToPath(import.meta.url), '--one', name, '--burst', String(BURST)]
  if (SPLIT) self.push('--split-cores')
  const [command, ...args] = onCpu(self, SPLIT ? SERVER_CPU : undefined)
  const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const [figure] = (await once(child, 'message')) as [Figure]
  await once(child, 'exit')
  return figure
}

if (values.one !== undefined) {
  const make = variants.get(values.one)
  if (!make) throw new Error(`--one: no variant ${values.one}`)
  const figure = await measure(await make())
  removeDir()
  // The embedded queue's poll timer would keep this process alive.
  process.send!(figure, () => process.exit(0))
} else {
  if (SPLIT && !values.fresh) pin(process.pid, SERVER_CPU)
  const figures = new Map<string, Figure[]>()
  for (let round = 0; round < Number(values.rounds); round++)
    for (const [name, make] of variants) {
      const figure = values.fresh ? await measureFresh(name) : await measure(await make())
      figures.set(name, [...(figures.get(name) ?? []), figure])
    }
  removeDir()
  report(figures)
}

function report(figures: Map<string, Figure[]>): void {
  const how = values.fresh ? "each its process's first" : 'in one process'
  say(`${BURST}-delivery bursts, ${how}, ${values.rounds} rounds${SPLIT ? ', server on CPU 0, sender on CPU 1' : ''}`)
  say(`| variant | thread CPU ms per ${BURST} (median) | µs per delivery | ack p99 ms (median) |`)
  say('|---|---|---|---|')
  for (const [name, runs] of figures) {
    const cpu = median(runs.map((r) => r.cpu)) ?? 0
    const p99 = median(runs.map((r) => r.p99))
    say(`| ${name} | ${round(cpu, 0)} | ${round((cpu * 1000) / BURST, 0)} | ${round(p99, 0)} |`)
  }
}
