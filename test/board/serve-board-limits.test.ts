import net from 'node:net'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { BoardProcess } from '../helpers/board-server.ts'
import { eventually, getJson, sse, startBoard } from '../helpers/board-server.ts'
import type { SseClient } from '../helpers/board-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import { cleanupTempDirs, makeRepo, tempDir } from '../helpers/git-repo.ts'

/**
 * `kitty board --serve` as a process, pushed past what it should hold: a remote URL with a password
 * (probe 2026-12-06 D4), more event-stream clients than the cap, more sockets than the server keeps.
 */

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const WPS = [
  { id: 'WP01', lane: 'planned' },
  { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
]
const running: BoardProcess[] = []
const streams: SseClient[] = []
afterEach(async () => {
  for (const s of streams.splice(0)) s.close()
  for (const p of running.splice(0)) await p.stop()
})

async function serve(cwd: string, args: string[], env: Record<string, string> = {}) {
  const p = await startBoard(cwd, ['--serve', '--port', '0', ...args], { KITTY_BOARD_POLL_MS: '500', ...env })
  running.push(p)
  expect(p.envelope['success'], JSON.stringify(p.envelope)).toBe(true)
  return p
}

async function open(url: string): Promise<SseClient> {
  const s = await sse(url)
  streams.push(s)
  return s
}

describe('kitty board --serve: the remote URL is never printed with its credentials', () => {
  it('the startup envelope, the JSON endpoints and the page show the remote redacted', async () => {
    const password = 'Pa%40ss-S3CRET'
    const git = await startGitHttpServer({ auth: { username: 'alice', password: 'Pa@ss-S3CRET' } })
    try {
      git.createBareRepo('project', { from: makeRepo([{ wps: WPS }]) })
      const remote = git.url.replace('http://', `http://alice:${password}@`) + '/project.git'
      const p = await serve(tempDir(), ['--remote', remote, '--mission', M], {
        KITTY_CACHE_DIR: tempDir('kitty-cache-'),
        KITTY_REMOTE_TIMEOUT_MS: '20000',
      })
      expect(p.envelope['data'].source).toBe(`${git.url.replace('http://', 'http://***@')}/project.git (main)`)
      const seen = [
        JSON.stringify(p.envelope),
        p.stderr(),
        JSON.stringify((await getJson(`${p.url}api/missions`)).body),
        JSON.stringify((await getJson(`${p.url}api/missions/${M}`)).body),
        JSON.stringify((await getJson(`${p.url}api/status`)).body),
        await (await fetch(p.url)).text(),
      ]
      for (const text of seen) {
        expect(text).not.toContain('S3CRET')
        expect(text).not.toContain('alice')
      }
    } finally {
      await git.close()
    }
  })
})

describe('kitty board --serve: live clients are capped', () => {
  it('--max-clients N: N streams, the next one 503 with a short envelope; a freed slot is taken again', async () => {
    const p = await serve(makeRepo([{ wps: WPS }]), ['--max-clients', '3'])
    const events = `${p.url}events?mission=${M}`
    const held = [await open(events), await open(events), await open(events)]
    for (const s of held) expect(s.status).toBe(200)
    const refused = await fetch(events)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('30')
    const text = await refused.text()
    expect(text.length).toBeLessThan(1_000)
    expect(JSON.parse(text)).toMatchObject({ success: false, data: { max_clients: 3 } })
    expect((await getJson(`${p.url}api/status`)).body.sse_clients).toBe(3)
    held[0]!.close()
    await eventually(async () => expect((await getJson(`${p.url}api/status`)).body.sse_clients).toBe(2))
    const again = await open(events)
    expect(again.status).toBe(200)
    await again.waitFor((e) => e.event === 'board')
  })

  it('a burst of streams at once is counted as it arrives: exactly the cap is served (KITTY_BOARD_MAX_CLIENTS)', async () => {
    const p = await serve(makeRepo([{ wps: WPS }]), [], { KITTY_BOARD_MAX_CLIENTS: '4' })
    const burst = await Promise.all(Array.from({ length: 12 }, () => open(`${p.url}events?mission=${M}`)))
    const statuses = burst.map((s) => s.status).sort()
    expect(statuses.filter((s) => s === 200)).toHaveLength(4)
    expect(statuses.filter((s) => s === 503)).toHaveLength(8)
    for (const s of burst.filter((b) => b.status === 200)) s.close()
    await eventually(async () => expect((await getJson(`${p.url}api/status`)).body.sse_clients).toBe(0))
  })

  it('sockets beyond the cap plus a margin are closed at once, and the board answers again when they go', async () => {
    const p = await serve(makeRepo([{ wps: WPS }]), ['--max-clients', '1'])
    const { port } = new URL(p.url)
    const sockets = await Promise.all(
      Array.from(
        { length: 80 },
        () =>
          new Promise<{ socket: net.Socket; closed: Promise<boolean> }>((resolve, reject) => {
            const socket = net.connect(Number(port), '127.0.0.1', () =>
              resolve({
                socket,
                closed: new Promise((r) => {
                  socket.once('close', () => r(true))
                  setTimeout(() => r(false), 3_000)
                }),
              }),
            )
            socket.on('error', () => undefined)
            socket.once('error', reject)
          }),
      ),
    )
    const closed = (await Promise.all(sockets.map((s) => s.closed))).filter(Boolean).length
    // 1 stream + 32 spare are kept; the rest are dropped by the server without a request.
    expect(closed).toBeGreaterThanOrEqual(80 - 33)
    expect(closed).toBeLessThan(80)
    for (const s of sockets) s.socket.destroy()
    await eventually(async () => expect((await getJson(`${p.url}api/status`)).status).toBe(200))
  })

  it('a --max-clients that is not a whole number is a usage error', async () => {
    const bad = await startBoard(makeRepo([{ wps: WPS }]), ['--serve', '--port', '0', '--max-clients', 'lots'])
    running.push(bad)
    await eventually(() => expect(bad.child.exitCode).toBe(2))
    expect(bad.envelope).toMatchObject({ success: false, error_code: 'USAGE_ERROR' })
    expect(bad.envelope['data'].message).toMatch(/--max-clients' must be a whole number/)
  })
})
