import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useSharedApp } from '../helpers/app-fixture.ts'
import { deliver, logLines } from '../helpers/app-process.ts'
import { until as waitUntil } from '../helpers/until.ts'

/**
 * What an operator sees of the App (dist/app.js in its own process): its stdout read as a log shipper
 * that refuses duplicate keys reads it, /metrics as Prometheus scrapes it, /readyz as a balancer asks it.
 */

const READY_MAX_BACKLOG_MS = 1_500

const fx = useSharedApp({
  token: 'ghs_ObservabilityToken0123456789',
  repoPrefix: 'observed',
  lanes: { WP01: 'for_review' },
  people: { maintainer: 'write' },
  env: { KITTY_READY_MAX_BACKLOG_MS: String(READY_MAX_BACKLOG_MS) },
})

/** A maintainer's comment on the test's repository, and its id (what its reaction is posted on). */
function comment(body: string): { payload: unknown; id: number } {
  const payload = fx.comment(body)
  return { payload, id: payload.comment.id }
}

const until = (what: string, done: () => boolean | Promise<boolean>) => waitUntil(what, done, 30_000)

const reactionsOn = (id: number) => fx.rest.requests.filter((r) => r.path.endsWith(`/comments/${id}/reactions`))

/**
 * JSON.parse keeps the last of duplicate keys without a word; a strict ingester refuses the document.
 * This walks the text and returns the first key that appears twice in one object (null when none).
 */
function duplicateKey(text: string): string | null {
  const objects: Array<Set<string> | null> = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '{') objects.push(new Set())
    else if (c === '[') objects.push(null)
    else if (c === '}' || c === ']') objects.pop()
    else if (c === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      const key = JSON.parse(text.slice(i, end + 1)) as string
      i = end
      let next = end + 1
      while (/\s/.test(text[next] ?? '')) next++
      const keys = objects.at(-1)
      if (text[next] === ':' && keys) {
        if (keys.has(key)) return key
        keys.add(key)
      }
    }
  }
  return null
}

/** Every line the App wrote, each parsed strictly: JSON, and no key twice in an object. */
function strictLines(): Array<Record<string, unknown>> {
  return fx.app
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const dup = duplicateKey(line)
      if (dup !== null) throw new Error(`duplicate key "${dup}" in log line: ${line.slice(0, 300)}`)
      return JSON.parse(line) as Record<string, unknown>
    })
}

async function scrape(): Promise<string> {
  return (await fetch(`${fx.app.url}/metrics`)).text()
}

/** The sum of a metric's samples whose labels include every `labels` pair. */
function sample(text: string, name: string, labels: string[] = []): number | null {
  let sum: number | null = null
  for (const m of text.matchAll(/^([a-z_:]+)(\{[^}]*\})? (\S+)$/gm))
    if (m[1] === name && labels.every((l) => (m[2] ?? '').includes(l))) sum = (sum ?? 0) + Number(m[3])
  return sum
}

describe('duplicateKey (the test log reader itself)', () => {
  it('finds a key twice in one object, not the same key in sibling or nested objects', () => {
    expect(duplicateKey('{"name":"probot","a":1,"name":"event"}')).toBe('name')
    expect(duplicateKey('{"name":"x","b":{"name":"y"},"c":[{"name":1},{"name":2}],"d":"name"}')).toBeNull()
    expect(duplicateKey('{"a":"q\\"uote","a\\"":1,"a":2}')).toBe('a')
  })
})

describe('logs', () => {
  it('every line is strict JSON with one name; one delivery has a receipt, an acknowledgement and a publish line', async () => {
    const { name } = fx.createRepo()
    const { payload, id } = comment('/kitty start-review')
    const res = await deliver(fx.app.url, 'issue_comment', payload)
    // Acknowledged once the durable queue has it; the answers follow from a worker.
    expect(res.status).toBe(202)
    await until('the reaction', () => reactionsOn(id).length === 1)
    // A line follows the request it reports; it may reach stdout a moment later.
    const logged = (msg: string) => logLines(fx.app.output()).some((l) => l['delivery'] === res.id && l['msg'] === msg)
    await until('the reaction line', () => logged('published reaction +1'))
    const lines = strictLines()
    expect(lines.length).toBeGreaterThan(3)
    for (const line of lines) expect(line['name']).toBe('kitty-github')
    const mine = lines.filter((l) => l['delivery'] === res.id)
    const received = mine.find((l) => l['msg'] === 'webhook received')
    expect(received).toMatchObject({ level: 30, event: 'issue_comment', action: 'created' })
    expect(received?.['repository']).toBe(`octo-org/${name}`)
    expect(mine.find((l) => String(l['msg']).startsWith('webhook acknowledged'))).toMatchObject({ status: 202 })
    const published = mine.find((l) => l['msg'] === 'published check run kitty/start-review')
    expect(published?.['check_run_id']).toEqual(expect.any(Number))
    expect(mine.some((l) => l['msg'] === 'published reaction +1')).toBe(true)
    // In order: received, acknowledged at once, then published by the worker.
    const at = (msg: string) => mine.findIndex((l) => String(l['msg']).startsWith(msg))
    expect(at('webhook received')).toBeLessThan(at('webhook acknowledged'))
    expect(at('webhook acknowledged')).toBeLessThan(at('published check run'))
  })

  it('a refused command is logged at warn, its engine line too; success stays at info', async () => {
    fx.createRepo()
    const { payload, id } = comment('/kitty approve')
    const res = await deliver(fx.app.url, 'issue_comment', payload)
    await until('the reaction', () => reactionsOn(id).length === 1)
    // The reaction's log line follows its request; it may reach stdout a moment later.
    await until('the reaction line', () => fx.app.output().includes('"msg":"published reaction confused"'))
    const mine = strictLines().filter((l) => l['delivery'] === res.id)
    const failures = mine.filter((l) => typeof l['outcome'] === 'string' && l['outcome'] !== 'success')
    expect(failures.length).toBeGreaterThanOrEqual(2)
    for (const line of failures) expect(line['level'], String(line['msg'])).toBe(40)
    expect(mine.find((l) => l['msg'] === 'published reaction confused')?.['level']).toBe(30)
  })
})

describe('metrics and readiness', () => {
  it('responses by status, receipt-to-answer latency, commands, failed answers and the backlog gauges', async () => {
    const before = await scrape()
    fx.createRepo()
    const first = comment('/kitty start-review')
    expect((await deliver(fx.app.url, 'issue_comment', first.payload)).status).toBe(202)
    await until('the reaction', () => reactionsOn(first.id).length === 1)
    expect(
      (await deliver(fx.app.url, 'issue_comment', first.payload, { signature: `sha256=${'0'.repeat(64)}` })).status,
    ).toBe(400)
    fx.rest.refuseWrites = /\/reactions$/
    const second = comment('/kitty state')
    expect((await deliver(fx.app.url, 'issue_comment', second.payload)).status).toBe(202)
    let after = ''
    const delta = (name: string, labels: string[] = []) =>
      (sample(after, name, labels) ?? Number.NaN) - (sample(before, name, labels) ?? 0)
    // A job is counted answered when its handler returns and leaves the backlog a moment later, when the
    // queue marks it done: a scrape can fall between the two.
    await until('the second delivery answered and done', async () => {
      after = await scrape()
      return (
        delta('kitty_delivery_answer_seconds_count') === 2 &&
        sample(after, 'kitty_backlog_deliveries', ['state="active"']) === 0
      )
    })
    expect(delta('kitty_webhook_responses_total', ['status="202"'])).toBe(2)
    expect(delta('kitty_webhook_responses_total', ['status="400"'])).toBe(1)
    expect(delta('kitty_delivery_answer_seconds_count')).toBe(2)
    expect(delta('kitty_commands_total', ['command="start-review"', 'outcome="success"'])).toBe(1)
    expect(delta('kitty_answers_failed_total', ['kind="reaction"'])).toBe(1)
    expect(delta('kitty_repository_wait_seconds_count')).toBe(2)
    expect(sample(after, 'kitty_backlog_deliveries', ['state="waiting"'])).toBe(0)
    expect(sample(after, 'kitty_backlog_deliveries', ['state="active"'])).toBe(0)
    expect(sample(after, 'kitty_backlog_oldest_pending_seconds')).toBe(0)
  })

  it('jobs run in a worker thread the kernel schedules after the receiving thread; /metrics counts the process once', async () => {
    const threads = readdirSync(`/proc/${fx.app.child.pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${fx.app.child.pid}/task/${tid}/stat`, 'utf8')
      // Fields after the parenthesised name: state is field 3, nice field 19 (man 5 proc).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), nice: Number(fields[16]) }
    })
    expect(threads.filter((t) => t.name === 'WorkerThread')).toEqual([{ name: 'WorkerThread', nice: 10 }])
    expect(threads.find((t) => t.name === 'node' || t.name === 'MainThread')?.nice).toBe(0)
    const text = await scrape()
    expect(text.match(/^process_resident_memory_bytes /gm)).toHaveLength(1)
    expect(text.match(/^# TYPE kitty_commands_total counter$/gm)).toHaveLength(1)
  })

  it('/readyz turns 503 with the reason while a delivery is older than KITTY_READY_MAX_BACKLOG_MS, 200 after', async () => {
    fx.createRepo()
    expect((await fetch(`${fx.app.url}/readyz`)).status).toBe(200)
    fx.git.faults.slow(READY_MAX_BACKLOG_MS + 2_000)
    const { payload, id } = comment('/kitty start-review')
    const pending = deliver(fx.app.url, 'issue_comment', payload)
    let body = ''
    await until('a 503 from /readyz', async () => {
      const res = await fetch(`${fx.app.url}/readyz`)
      body = await res.text()
      return res.status === 503
    })
    expect(body).toMatch(/^backlog: oldest pending delivery is \d+ ms old \(> 1500 ms\)$/m)
    const scraped = await scrape()
    expect(sample(scraped, 'kitty_backlog_oldest_pending_seconds')).toBeGreaterThan(READY_MAX_BACKLOG_MS / 1000)
    expect(sample(scraped, 'kitty_backlog_deliveries')).toBeGreaterThanOrEqual(1)
    fx.git.faults.slow(0)
    expect((await pending).status).toBe(202)
    await until('the reaction', () => reactionsOn(id).length === 1)
    await until('/readyz 200 again', async () => (await fetch(`${fx.app.url}/readyz`)).status === 200)
  })
})
