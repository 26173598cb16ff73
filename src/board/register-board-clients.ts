import type http from 'node:http'

/**
 * The board's event-stream clients, and the cap on them. A client counts from the moment it asks
 * (while its first board is read), not from when it is answered: otherwise a burst of connections
 * would all pass the check before any was counted. Each live client costs a socket, a buffer and a
 * board read per change, so beyond the cap the router answers 503.
 */

export interface BoardClient {
  res: http.ServerResponse
  mission: string
  /** The state commit of the last board this client was sent. */
  seen: string | null
}

export interface ClientRegistry {
  /** A slot for a new client, or null at the cap; the slot is freed when its response closes. */
  reserve(res: http.ServerResponse, mission: string): BoardClient | null
  /** The client's headers are out: it receives events from now on. */
  activate(client: BoardClient): void
  /** Clients receiving events. */
  live(): BoardClient[]
  send(client: BoardClient, event: string, id: string | null, data: unknown): void
  /** An SSE comment line to every live client (keeps idle streams through proxies); drops the gone ones. */
  heartbeat(text: string): void
  endAll(): void
}

/** A client this far behind is not reading: drop it rather than buffer for it. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

export function registerBoardClients(maxClients: number): ClientRegistry {
  const reserved = new Set<BoardClient>()
  const live = new Set<BoardClient>()

  function write(client: BoardClient, chunk: string): void {
    const { res } = client
    if (res.destroyed || res.writableEnded) return
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy()
      return
    }
    res.write(chunk)
  }

  return {
    reserve(res, mission) {
      if (reserved.size >= maxClients) return null
      const client: BoardClient = { res, mission, seen: null }
      reserved.add(client)
      res.on('close', () => {
        reserved.delete(client)
        live.delete(client)
      })
      return client
    },
    activate(client) {
      if (reserved.has(client)) live.add(client)
    },
    live: () => [...live],
    send(client, event, id, data) {
      write(client, `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    },
    heartbeat(text) {
      for (const c of live) {
        if (c.res.destroyed) live.delete(c)
        else write(c, `: ${text}\n\n`)
      }
    },
    endAll() {
      for (const c of live) c.res.end()
    },
  }
}
