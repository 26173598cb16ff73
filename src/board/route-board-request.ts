import type http from 'node:http'
import type { Board } from '../core/build-board.ts'
import { makeEnvelope, makeFailure } from '../core/envelope.ts'
import type { Envelope } from '../core/envelope.ts'
import { isKittyError, toKittyError } from '../core/errors.ts'
import type { KittyError } from '../core/errors.ts'
import { listMissions } from '../engine/mission/read-board.ts'
import type { BoardSource } from './open-board-source.ts'
import type { BoardOf, BoardPoller } from './poll-board-state.ts'
import type { ClientRegistry } from './register-board-clients.ts'
import { renderBoardPage, renderErrorPage } from './render-board-html.ts'

/**
 * The board's HTTP surface: read-only, loopback names only, one page per mission, JSON endpoints
 * and the event stream. Every failure is an envelope (or, for the page, an HTML page saying it).
 */

export const COMMAND = 'kitty.board'
const COMMIT_ID = /^[0-9a-f]{40}$/

export interface RouterOptions {
  source: BoardSource
  clients: ClientRegistry
  poller: BoardPoller
  boardOf: BoardOf
  /** The port the server listens on (known only once it does). */
  port: () => number
  maxClients: number
  mission?: string | undefined
}

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

export function routeBoardRequest(
  options: RouterOptions,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const { source, clients, poller, boardOf } = options

  async function openStream(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const mission = url.searchParams.get('mission') ?? options.mission
    if (!mission)
      throw new HttpError(400, makeFailure(COMMAND, 'USAGE_ERROR', 'Name the mission: /events?mission=<mission>.'))
    const header = req.headers['last-event-id']
    const rawId = (typeof header === 'string' ? header : null) ?? url.searchParams.get('lastEventId')
    const since = rawId !== null && COMMIT_ID.test(rawId.trim()) ? rawId.trim() : null
    // Reserved before the first await: a burst of connections is counted as it arrives, and a client
    // gone while its board was read frees its slot and is never sent to.
    const client = clients.reserve(res, mission)
    if (!client) {
      res.setHeader('retry-after', '30')
      throw new HttpError(
        503,
        makeFailure(
          COMMAND,
          'USAGE_ERROR',
          `The board serves at most ${options.maxClients} live clients; close a tab or raise --max-clients.`,
          { max_clients: options.maxClients },
        ),
      )
    }
    let gone = false
    res.on('close', () => (gone = true))
    await source.read(async (ctx, snapshot) => {
      const board = await boardOf(ctx, snapshot, mission)
      if (gone) return
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      res.write('retry: 1000\n\n')
      clients.activate(client)
      await poller.catchUp(client, ctx, snapshot, since, board)
    })
    // The tip may have moved while this client was being caught up.
    void poller.check()
  }

  function allowedHost(req: http.IncomingMessage): boolean {
    // A page on another site must not read the board through DNS rebinding: only loopback names.
    const h = (req.headers.host ?? '').toLowerCase()
    const port = options.port()
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h)
  }

  async function page(res: http.ServerResponse, url: URL): Promise<void> {
    const result = await source.read(async (ctx, snapshot) => {
      const missions = await listMissions(snapshot)
      const selected = url.searchParams.get('mission') ?? options.mission ?? missions[0]?.dir
      if (!selected)
        return { status: 404, html: renderErrorPage('This branch has no missions under kitty-specs/.', missions) }
      try {
        const board = await boardOf(ctx, snapshot, selected)
        return { status: 200, html: renderBoardPage(board, { live: { missions, selected } }) }
      } catch (err) {
        const f = failure(err)
        return { status: f.status, html: renderErrorPage(`${f.envelope.error_code}: ${f.message}`, missions) }
      }
    })
    sendHtml(res, result.status, result.html)
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
    if (path === '/api/status')
      return sendJson(res, 200, { sse_clients: clients.live().length, commit: poller.tip() ?? null })
    if (path === '/api/missions') {
      const data = await source.read(async (_ctx, snapshot) => ({
        commit: snapshot.commit,
        missions: await listMissions(snapshot),
      }))
      return sendJson(res, 200, makeEnvelope(COMMAND, true, data))
    }
    const m = /^\/api\/missions\/([^/]+)$/.exec(path)
    if (m) {
      const payload = await source.read(async (ctx, snapshot) => missionPayload(await boardOf(ctx, snapshot, m[1]!)))
      return sendJson(res, 200, makeEnvelope(COMMAND, true, payload))
    }
    if (path === '/') return page(res, url)
    throw new HttpError(404, makeFailure(COMMAND, 'USAGE_ERROR', `No such page: ${path.slice(0, 200)}`))
  }

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      const f = err instanceof HttpError ? err : failure(err)
      if (res.headersSent) res.destroy()
      else sendJson(res, f.status, f.envelope)
    })
  }
}
