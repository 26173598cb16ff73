import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { BoardProcess } from '../helpers/board-server.ts'
import { eventually, getJson, sse, startBoard } from '../helpers/board-server.ts'
import { api, cleanupTempDirs, git, kitty, makeRepo, POLICY_JSON, tempDir } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const WPS = [
  { id: 'WP01', lane: 'planned' },
  { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
  { id: 'WP03', lane: 'done' },
]
const running: BoardProcess[] = []
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop()
})

async function serve(repo: string, args: string[] = [], env: Record<string, string> = {}) {
  const p = await startBoard(repo, ['--serve', '--port', '0', ...args], { KITTY_BOARD_POLL_MS: '500', ...env })
  running.push(p)
  expect(p.envelope['success'], JSON.stringify(p.envelope)).toBe(true)
  return p
}

const claim = (repo: string, wp: string) =>
  api(repo, 'transition', { mission: M, wp, to: 'claimed', actor: 'claude', policy: POLICY_JSON })
const head = (repo: string) => git(repo, 'rev-parse', 'HEAD')

describe('kitty board --serve: JSON endpoints', () => {
  it('lists missions and serves one mission as the envelope payload plus the board; unknown → 404 envelope', async () => {
    const repo = makeRepo([{ wps: WPS }, { slug: '098-other' }])
    const p = await serve(repo)
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const list = await getJson(`${p.url}api/missions`)
    expect(list.status).toBe(200)
    expect(list.body).toMatchObject({ success: true, error_code: null, data: { commit: head(repo) } })
    expect(list.body.data.missions.map((m: { dir: string }) => m.dir)).toEqual(['098-other', M])
    const one = await getJson(`${p.url}api/missions/${M}`)
    expect(one.body.data).toMatchObject({ mission_slug: M, summary: { planned: 2, done: 1 } })
    expect(one.body.data.work_packages.find((w: { wp_id: string }) => w.wp_id === 'WP02')).toMatchObject({
      lane: 'planned',
      dependencies: ['WP01'],
      blocked_by: ['WP01'],
    })
    expect(one.body.data.board.graph.layers).toEqual([['WP01', 'WP03'], ['WP02']])
    const missing = await getJson(`${p.url}api/missions/nope`)
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ success: false, error_code: 'MISSION_NOT_FOUND' })
    const traversal = await getJson(`${p.url}api/missions/..%2F..%2Fetc`)
    expect(traversal.status).toBe(404)
    const events = await sse(`${p.url}events?mission=nope`)
    expect(events.status).toBe(404)
    events.close()
    const page = await fetch(`${p.url}?mission=nope`)
    expect(page.status).toBe(404)
    expect(await page.text()).toContain('MISSION_NOT_FOUND')
  })

  it('answers only to loopback host names, and only GET', async () => {
    const repo = makeRepo([{ wps: WPS }])
    const p = await serve(repo)
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(
          `${p.url}api/missions`,
          { headers: { host: 'evil.example:80' } },
          (res) => (res.resume(), resolve(res.statusCode!)),
        )
        .on('error', reject)
    })
    expect(status).toBe(403)
    expect((await fetch(`${p.url}api/missions`, { method: 'POST' })).status).toBe(405)
    expect((await fetch(`${p.url}nothing-here`)).status).toBe(404)
  })

  it('a broken WP file: its card carries the error and the rest of the board still renders', async () => {
    const repo = makeRepo([{ wps: WPS }])
    writeFileSync(join(repo, 'kitty-specs', M, 'tasks', 'WP02.md'), '---\ntitle: [unclosed\nlane: planned\n---\nbody\n')
    git(repo, 'commit', '-qam', 'break WP02')
    const p = await serve(repo)
    const one = await getJson(`${p.url}api/missions/${M}`)
    expect(one.status).toBe(200)
    const wps = one.body.data.work_packages
    expect(wps.map((w: { wp_id: string }) => w.wp_id)).toEqual(['WP01', 'WP03', 'WP02'])
    expect(wps.find((w: { wp_id: string }) => w.wp_id === 'WP02').error).toMatch(/^WP_FILE_INVALID: /)
    const html = await (await fetch(`${p.url}?mission=${M}`)).text()
    expect(html).toContain('Cannot read this WP')
    expect(html).toContain('data-wp="WP01"')
  })
})

describe('kitty board --serve: Server-Sent Events', () => {
  it('a transition made through the CLI arrives as a change (id = its commit) and a new board', async () => {
    const repo = makeRepo([{ wps: WPS }])
    const p = await serve(repo, ['--mission', M])
    const stream = await sse(`${p.url}events?mission=${M}`)
    expect(stream.status).toBe(200)
    const first = await stream.waitFor((e) => e.event === 'board')
    expect(first.id).toBe(head(repo))
    expect(first.data.html).toMatch(/id="lane-planned"[\s\S]*data-wp="WP01"/)
    expect((await claim(repo, 'WP01')).code).toBe(0)
    const commit = head(repo)
    const change = await stream.waitFor((e) => e.event === 'change' && e.id === commit)
    expect(change.data).toMatchObject({
      wp_id: 'WP01',
      from_lane: 'planned',
      to_lane: 'claimed',
      actor: 'claude',
      replayed: false,
    })
    const board = await stream.waitFor((e) => e.event === 'board' && e.id === commit)
    expect(board.data.counts).toMatchObject({ planned: 1, claimed: 1 })
    expect(board.data.html).toMatch(/id="lane-claimed"[^]*?data-wp="WP01"[^]*?id="lane-in_progress"/)
    stream.close()
  })

  it('a reconnect with Last-Event-ID replays exactly what was missed, in order; without one, the last N', async () => {
    const repo = makeRepo([{ wps: WPS }])
    const p = await serve(repo)
    const a = await sse(`${p.url}events?mission=${M}`)
    const seen = (await a.waitFor((e) => e.event === 'board')).id!
    a.close()
    await claim(repo, 'WP01')
    const c1 = head(repo)
    await api(repo, 'transition', { mission: M, wp: 'WP01', to: 'in_progress', actor: 'claude', policy: POLICY_JSON })
    const c2 = head(repo)
    const b = await sse(`${p.url}events?mission=${M}`, { 'last-event-id': seen })
    const board = await b.waitFor((e) => e.event === 'board')
    expect(board.id).toBe(c2)
    const changes = b.events.filter((e) => e.event === 'change')
    expect(changes.map((e) => e.id)).toEqual([c1, c2])
    expect(changes.map((e) => e.data.to_lane)).toEqual(['claimed', 'in_progress'])
    b.close()
    // Caught up: nothing replayed, just the board.
    const c = await sse(`${p.url}events?mission=${M}`, { 'last-event-id': c2 })
    await c.waitFor((e) => e.event === 'board')
    expect(c.events.filter((e) => e.event === 'change')).toEqual([])
    c.close()
    // No id (or a nonsense one): the last changes, marked as a replay.
    const d = await sse(`${p.url}events?mission=${M}`, { 'last-event-id': '../../x;rm -rf' })
    await d.waitFor((e) => e.event === 'board')
    expect(d.events.filter((e) => e.event === 'change').map((e) => [e.id, e.data.replayed])).toEqual([
      [c1, true],
      [c2, true],
    ])
    d.close()
  })

  it('clients that disconnect mid-stream leave no connection behind; a heartbeat keeps idle streams alive', async () => {
    const repo = makeRepo([{ wps: WPS }])
    const p = await serve(repo, [], { KITTY_BOARD_HEARTBEAT_MS: '200' })
    const clients = await Promise.all([1, 2, 3].map(() => sse(`${p.url}events?mission=${M}`)))
    await Promise.all(clients.map((c) => c.waitFor((e) => e.event === 'board')))
    expect((await getJson(`${p.url}api/status`)).body.sse_clients).toBe(3)
    await eventually(() => expect(clients[0]!.comments.some((c) => c.startsWith('heartbeat'))).toBe(true))
    for (const c of clients) c.close()
    await eventually(async () => expect((await getJson(`${p.url}api/status`)).body.sse_clients).toBe(0))
    // Gone before the answer: the request sent, the socket closed while the board is being read.
    const { port } = new URL(p.url)
    await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(Number(port), '127.0.0.1', () => {
              socket.write(
                `GET /events?mission=${M} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`,
              )
              setTimeout(() => socket.destroy(), 5)
            })
            socket.on('close', () => resolve())
            socket.on('error', () => resolve())
          }),
      ),
    )
    await new Promise((r) => setTimeout(r, 1_000))
    expect((await getJson(`${p.url}api/status`)).body.sse_clients).toBe(0)
    // The server still serves and pushes after they left.
    const again = await sse(`${p.url}events?mission=${M}`)
    await again.waitFor((e) => e.event === 'board')
    await claim(repo, 'WP01')
    await again.waitFor((e) => e.event === 'change' && e.data.wp_id === 'WP01')
    again.close()
    await eventually(async () => expect((await getJson(`${p.url}api/status`)).body.sse_clients).toBe(0))
  })
})

describe('kitty board: bad input', () => {
  it('a port in use: says so, exits 2, and does not pick another port', async () => {
    const repo = makeRepo([{ wps: WPS }])
    const first = await serve(repo)
    const port = new URL(first.url).port
    const second = await startBoard(repo, ['--serve', '--port', port])
    running.push(second)
    await eventually(() => expect(second.child.exitCode).toBe(2))
    expect(second.envelope).toMatchObject({ success: false, error_code: 'USAGE_ERROR' })
    expect(second.envelope.data.message).toContain(`Port ${port} on 127.0.0.1 is in use`)
    expect(second.envelope.data.url).toBeUndefined()
  })

  it('--out: an unknown mission writes nothing; bad flags are usage errors', async () => {
    const repo = makeRepo([{ wps: WPS }])
    const out = join(tempDir(), 'board.html')
    const missing = await kitty(repo, ['board', '--mission', 'nope', '--out', out])
    expect(missing.code).toBe(1)
    expect(missing.envelope).toMatchObject({ success: false, error_code: 'MISSION_NOT_FOUND' })
    expect(existsSync(out)).toBe(false)
    for (const args of [
      ['--out', out],
      ['--serve', '--out', out, '--mission', M],
      ['--serve', '--port', '70000'],
      ['--serve', '--bogus'],
      [],
    ]) {
      const r = await kitty(repo, ['board', ...args])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.envelope.error_code).toBe('USAGE_ERROR')
    }
    const ok = await kitty(repo, ['board', '--mission', M, '--out', out])
    expect(ok.code).toBe(0)
    expect(ok.envelope.data).toMatchObject({ path: out, work_packages: 3, commit: head(repo) })
    const html = readFileSync(out, 'utf8')
    expect(html).not.toMatch(/(src|href)="https?:/)
    expect(html).toContain("default-src 'none'")
  })
})
