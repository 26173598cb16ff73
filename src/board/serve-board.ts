import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Board, BoardEvent } from '../core/build-board.ts'
import { makeEnvelope, makeFailure } from '../core/envelope.ts'
import type { Envelope } from '../core/envelope.ts'
import { isKittyError, KittyError, toKittyError } from '../core/errors.ts'
import type { EngineContext } from '../engine/framework/context.ts'
import { boardOfSnapshot, listMissions, toBoardEvent } from '../engine/mission/read-board.ts'
import type { MissionListing } from '../engine/mission/read-board.ts'
import { readChangesSince } from '../store/history/read-changes-since.ts'
import type { Snapshot } from '../store/objects/snapshot.ts'
import type { BoardSource } from './open-board-source.ts'
import { esc, renderBoardPage, renderBoardSection } from './render-board-html.ts'
import { BOARD_CSS } from './board-css.ts'

/**
 * The live board: one page per mission, pushed over Server-Sent Events. Every event id is a commit
 * id, so a client that reconnects with `Last-Event-ID` is sent exactly the kitty commits it missed
 * (read from git, not from memory: a restarted server replays as well as a running one).
 */

export interface BoardServerOptions {
  source: BoardSource
  port: number
  host?: string
  /** Changes replayed to a client that connects without an id (default 20). */
  replay?: number
  heartbeatMs?: number
  pollMs?: number
  mission?: string | undefined
  now?: () => Date
}

export interface BoardServer {
  url: string
  port: number
  /** Open event streams; returns to zero when every client has gone. */
  clients(): number
  close(): Promise<void>
}

interface Client {
  res: http.ServerResponse
  mission: string
  /** The state commit of the last board this client was sent. */
  seen: string | null
}

const COMMAND = 'kitty.board'
const COMMIT_ID = /^[0-9a-f]{40}$/
/** A client this far behind is not reading: drop it rather than buffer for it. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

class HttpError extends Error {
  readonly status: number
  readonly envelope: Envelope

  constructor(status: number, envelope: Envelope) {
    super(String(envelope.data['message'] ?? status))
    this.status = status
    this.envelope = envelope
  }
}

function statusFor(err: KittyError): number {
  if (err.code === 'MISSION_NOT_FOUND' || err.code === 'MISSION_AMBIGUOUS_SELECTOR') return 404
  if (err.code === 'USAGE_ERROR') return 400
  return 500
}

function failure(err: unknown): HttpError {
  const known = toKittyError(err)
  return new HttpError(
    isKittyError(err) ? statusFor(known) : 500,
    makeFailure(COMMAND, known.code, known.message, known.data),
  )
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

function sendHtml(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(html),
  })
  res.end(html)
}

/** The mission-state-shaped payload of the JSON endpoint, with the board beside it. */
function missionPayload(board: Board): Record<string, unknown> {
  const cards = board.columns.flatMap((c) => c.cards)
  const { mission_id, mission_slug, mission_number, mission_type } = board.mission
  return {
    mission_id,
    mission_slug,
    mission_number,
    mission_type,
    commit: board.commit,
    summary: board.counts,
    work_packages: cards.map((c) => ({
      wp_id: c.wp_id,
      title: c.title,
      lane: c.lane,
      dependencies: c.dependencies,
      last_actor: c.actor,
      blocked_by: c.blocked_by,
      lane_since: c.lane_since,
      error: c.error,
    })),
    board,
  }
}

function errorPage(message: string, missions: readonly MissionListing[]): string {
  const links = missions
    .map((m) => `<li><a href="/?mission=${encodeURIComponent(m.dir)}">${esc(m.dir)}</a></li>`)
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>Mission board</title><style>${BOARD_CSS}</style></head><body><main><h1>Mission board</h1><p class="warning" role="alert">${esc(message)}</p>${links ? `<h2>Missions</h2><ul>${links}</ul>` : ''}</main></body></html>`
}

export async function startBoardServer(options: BoardServerOptions): Promise<BoardServer> {
  const { source } = options
  const host = options.host ?? '127.0.0.1'
  const replay = options.replay ?? 20
  const now = options.now ?? (() => new Date())
  const clients = new Set<Client>()
  let port = options.port

  const read = <T>(fn: (ctx: EngineContext, snapshot: Snapshot) => Promise<T>): Promise<T> => source.read(fn)
  const boardOf = (ctx: EngineContext, snapshot: Snapshot, mission: string) =>
    boardOfSnapshot(ctx, snapshot, mission, { now: now() })

  function write(client: Client, chunk: string): void {
    const { res } = client
    if (res.destroyed || res.writableEnded) return
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy()
      return
    }
    res.write(chunk)
  }

  function sse(client: Client, event: string, id: string | null, data: unknown): void {
    write(client, `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  function changeData(e: BoardEvent, replayed: boolean): Record<string, unknown> {
    return { ...e, replayed }
  }

  /** Send `client` what happened since it last saw the state, then the board as of `snapshot`. */
  async function catchUp(
    client: Client,
    ctx: EngineContext,
    snapshot: Snapshot,
    since: string | null,
    board: Board,
  ): Promise<void> {
    const slug = board.mission.mission_slug
    let missed: BoardEvent[]
    let replayed = false
    if (since !== null && since !== snapshot.commit) {
      const { changes, found } = await readChangesSince(
        ctx.repo,
        snapshot.commit,
        since,
        (c) => c.trailers['Kitty-Mission'] === slug,
      )
      missed = found ? changes.map(toBoardEvent) : [...board.history].slice(0, replay).reverse()
      replayed = !found
    } else if (since === null) {
      missed = [...board.history].slice(0, replay).reverse()
      replayed = true
    } else missed = []
    for (const e of missed) sse(client, 'change', e.commit, changeData(e, replayed))
    sse(client, 'board', snapshot.commit ?? 'empty', {
      commit: snapshot.commit,
      mission: client.mission,
      counts: board.counts,
      html: renderBoardSection(board),
    })
    client.seen = snapshot.commit
  }

  let lastProblem: string | null = null

  /** A state that cannot be read (a remote down, a ref gone) is told to every client once, not per poll. */
  function report(err: unknown): void {
    const message = isKittyError(err)
      ? `${err.code}: ${err.message}`
      : `The state could not be read: ${(err as Error)?.message ?? err}`
    if (message === lastProblem) return
    lastProblem = message
    for (const c of clients) sse(c, 'problem', null, { message })
  }

  let checking: Promise<void> | null = null
  let again = false
  let knownTip: string | null | undefined

  /** Single flight: a burst of watch events is one read; a move during a read gets one more. */
  function check(): Promise<void> {
    if (checking) {
      again = true
      return checking
    }
    checking = (async () => {
      do {
        again = false
        await refresh().then(
          () => (lastProblem = null),
          (err: unknown) => report(err),
        )
      } while (again)
    })().finally(() => {
      checking = null
    })
    return checking
  }

  async function refresh(): Promise<void> {
    const tip = await source.tip()
    const stale = [...clients].filter((c) => c.seen !== tip)
    if (tip === knownTip && stale.length === 0) return
    knownTip = tip
    if (stale.length === 0) return
    await read(async (ctx, snapshot) => {
      const byMission = new Map<string, Client[]>()
      for (const c of clients)
        if (c.seen !== snapshot.commit) byMission.set(c.mission, [...(byMission.get(c.mission) ?? []), c])
      for (const [mission, group] of byMission) {
        let board: Board
        try {
          board = await boardOf(ctx, snapshot, mission)
        } catch (err) {
          const message = isKittyError(err) ? `${err.code}: ${err.message}` : 'the board could not be read'
          for (const c of group) {
            sse(c, 'problem', null, { message })
            c.seen = snapshot.commit
          }
          continue
        }
        for (const c of group) await catchUp(c, ctx, snapshot, c.seen, board)
      }
    })
  }

  async function openStream(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const mission = url.searchParams.get('mission') ?? options.mission
    if (!mission)
      throw new HttpError(400, makeFailure(COMMAND, 'USAGE_ERROR', 'Name the mission: /events?mission=<mission>.'))
    const header = req.headers['last-event-id']
    const rawId = (typeof header === 'string' ? header : null) ?? url.searchParams.get('lastEventId')
    const since = rawId !== null && COMMIT_ID.test(rawId.trim()) ? rawId.trim() : null
    const client: Client = { res, mission, seen: null }
    // Listen before the first await: a client gone while its board was read must never be counted.
    let gone = false
    res.on('close', () => {
      gone = true
      clients.delete(client)
    })
    await read(async (ctx, snapshot) => {
      const board = await boardOf(ctx, snapshot, mission)
      if (gone) return
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      res.write('retry: 1000\n\n')
      clients.add(client)
      await catchUp(client, ctx, snapshot, since, board)
    })
    // The tip may have moved while this client was being caught up.
    void check()
  }

  function allowedHost(req: http.IncomingMessage): boolean {
    // A page on another site must not read the board through DNS rebinding: only loopback names.
    const h = (req.headers.host ?? '').toLowerCase()
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h)
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!allowedHost(req))
      throw new HttpError(403, makeFailure(COMMAND, 'USAGE_ERROR', 'The board answers only on 127.0.0.1 or localhost.'))
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET')
      throw new HttpError(405, makeFailure(COMMAND, 'USAGE_ERROR', 'The board is read-only: GET only.'))
    }
    let url: URL
    let path: string
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
      path = decodeURIComponent(url.pathname)
    } catch {
      throw new HttpError(400, makeFailure(COMMAND, 'USAGE_ERROR', 'The request path is not a valid URL.'))
    }
    if (path === '/events') return openStream(req, res, url)
    if (path === '/api/status') return sendJson(res, 200, { sse_clients: clients.size, commit: knownTip ?? null })
    if (path === '/api/missions') {
      const data = await read(async (_ctx, snapshot) => ({
        commit: snapshot.commit,
        missions: await listMissions(snapshot),
      }))
      return sendJson(res, 200, makeEnvelope(COMMAND, true, data))
    }
    const m = /^\/api\/missions\/([^/]+)$/.exec(path)
    if (m) {
      const payload = await read(async (ctx, snapshot) => missionPayload(await boardOf(ctx, snapshot, m[1]!)))
      return sendJson(res, 200, makeEnvelope(COMMAND, true, payload))
    }
    if (path === '/') return page(res, url)
    throw new HttpError(404, makeFailure(COMMAND, 'USAGE_ERROR', `No such page: ${path.slice(0, 200)}`))
  }

  async function page(res: http.ServerResponse, url: URL): Promise<void> {
    const result = await read(async (ctx, snapshot) => {
      const missions = await listMissions(snapshot)
      const selected = url.searchParams.get('mission') ?? options.mission ?? missions[0]?.dir
      if (!selected)
        return { status: 404, html: errorPage('This branch has no missions under kitty-specs/.', missions) }
      try {
        const board = await boardOf(ctx, snapshot, selected)
        return { status: 200, html: renderBoardPage(board, { live: { missions, selected } }) }
      } catch (err) {
        const f = failure(err)
        return { status: f.status, html: errorPage(`${f.envelope.error_code}: ${f.message}`, missions) }
      }
    })
    sendHtml(res, result.status, result.html)
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const f = err instanceof HttpError ? err : failure(err)
      if (res.headersSent) res.destroy()
      else sendJson(res, f.status, f.envelope)
    })
  })
  server.on('clientError', (_err, socket) => socket.destroy())

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new KittyError(
            'USAGE_ERROR',
            `Port ${options.port} on ${host} is in use. Stop what holds it, or pass another --port (--port 0 picks a free one).`,
            { port: options.port },
          ),
        )
      } else if (err.code === 'EACCES') {
        reject(
          new KittyError(
            'USAGE_ERROR',
            `Port ${options.port} on ${host} needs privileges this process lacks; pass a --port above 1023.`,
            { port: options.port },
          ),
        )
      } else reject(err)
    })
    server.listen(options.port, host, () => resolve())
  })
  port = (server.address() as AddressInfo).port
  knownTip = await source.tip().catch(() => undefined)

  const stopWatching = source.watch(() => void check(), options.pollMs ?? 1_000)
  const heartbeat = setInterval(() => {
    for (const c of clients) {
      if (c.res.destroyed) clients.delete(c)
      else write(c, `: heartbeat ${now().toISOString()}\n\n`)
    }
  }, options.heartbeatMs ?? 15_000)
  heartbeat.unref()

  return {
    url: `http://${host}:${port}/`,
    port,
    clients: () => clients.size,
    async close() {
      stopWatching()
      clearInterval(heartbeat)
      for (const c of clients) c.res.end()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
