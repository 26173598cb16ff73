import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { KittyError } from '../core/errors.ts'
import { boardOfSnapshot } from '../engine/mission/read-board.ts'
import type { BoardSource } from './open-board-source.ts'
import type { BoardOf } from './poll-board-state.ts'
import { pollBoardState } from './poll-board-state.ts'
import { registerBoardClients } from './register-board-clients.ts'
import { routeBoardRequest } from './route-board-request.ts'

/**
 * The live board: one page per mission, pushed over Server-Sent Events, on 127.0.0.1. This wires a
 * client registry (the cap on live clients), a poller (the tip, and what each client missed) and a
 * router (pages, JSON, event streams) onto one HTTP server, and bounds its connections.
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
  /** Live event-stream clients at once (default 100); one more is answered 503. */
  maxClients?: number
  now?: () => Date
}

export interface BoardServer {
  url: string
  port: number
  /** Open event streams; returns to zero when every client has gone. */
  clients(): number
  close(): Promise<void>
}

export const DEFAULT_MAX_CLIENTS = 100
/** Sockets beyond the stream cap: enough for pages, JSON and the 503s that turn streams away. */
const SPARE_CONNECTIONS = 32

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new KittyError(
            'USAGE_ERROR',
            `Port ${port} on ${host} is in use. Stop what holds it, or pass another --port (--port 0 picks a free one).`,
            { port },
          ),
        )
      } else if (err.code === 'EACCES') {
        reject(
          new KittyError(
            'USAGE_ERROR',
            `Port ${port} on ${host} needs privileges this process lacks; pass a --port above 1023.`,
            {
              port,
            },
          ),
        )
      } else reject(err)
    })
    server.listen(port, host, () => resolve())
  })
}

export async function startBoardServer(options: BoardServerOptions): Promise<BoardServer> {
  const { source } = options
  const host = options.host ?? '127.0.0.1'
  const now = options.now ?? (() => new Date())
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS
  const boardOf: BoardOf = (ctx, snapshot, mission) => boardOfSnapshot(ctx, snapshot, mission, { now: now() })
  const clients = registerBoardClients(maxClients)
  const poller = pollBoardState({ source, clients, boardOf, replay: options.replay ?? 20 })
  let port = options.port
  const server = http.createServer(
    routeBoardRequest({ source, clients, poller, boardOf, port: () => port, maxClients, mission: options.mission }),
  )
  server.on('clientError', (_err, socket) => socket.destroy())
  // Past this, Node closes new sockets at once: a flood costs file descriptors up to here, no further.
  server.maxConnections = maxClients + SPARE_CONNECTIONS

  await listen(server, options.port, host)
  port = (server.address() as AddressInfo).port
  await poller.start()

  const stopWatching = source.watch(() => void poller.check(), options.pollMs ?? 1_000)
  const heartbeat = setInterval(
    () => clients.heartbeat(`heartbeat ${now().toISOString()}`),
    options.heartbeatMs ?? 15_000,
  )
  heartbeat.unref()

  return {
    url: `http://${host}:${port}/`,
    port,
    clients: () => clients.live().length,
    async close() {
      stopWatching()
      clearInterval(heartbeat)
      clients.endAll()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
