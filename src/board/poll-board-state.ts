import type { Board, BoardEvent } from '../core/build-board.ts'
import { isKittyError } from '../core/errors.ts'
import type { EngineContext } from '../engine/framework/context.ts'
import { toBoardEvent } from '../engine/mission/read-board.ts'
import { readChangesSince } from '../store/history/read-changes-since.ts'
import type { Snapshot } from '../store/objects/snapshot.ts'
import type { BoardSource } from './open-board-source.ts'
import type { BoardClient, ClientRegistry } from './register-board-clients.ts'
import { renderBoardSection } from './render-board-html.ts'

/**
 * What moves the live board: the state branch's tip, checked on every watch event, and each client
 * sent what it missed. Every event id is a commit id, so a client that reconnects with
 * `Last-Event-ID` is sent exactly the kitty commits it missed (read from git, not from memory: a
 * restarted server replays as well as a running one).
 */

export type BoardOf = (ctx: EngineContext, snapshot: Snapshot, mission: string) => Promise<Board>

export interface BoardPoller {
  /** Single flight: a burst of watch events is one read; a move during a read gets one more. */
  check(): Promise<void>
  /** Send `client` what happened since `since`, then the board as of `snapshot`. */
  catchUp(
    client: BoardClient,
    ctx: EngineContext,
    snapshot: Snapshot,
    since: string | null,
    board: Board,
  ): Promise<void>
  /** The tip last seen (undefined: not read yet). */
  tip(): string | null | undefined
  /** Read the tip once, before the first client; a failure leaves it unknown. */
  start(): Promise<void>
}

export interface PollerOptions {
  source: BoardSource
  clients: ClientRegistry
  boardOf: BoardOf
  /** Changes replayed to a client that connects without an id. */
  replay: number
}

export function pollBoardState({ source, clients, boardOf, replay }: PollerOptions): BoardPoller {
  let checking: Promise<void> | null = null
  let again = false
  let knownTip: string | null | undefined
  let lastProblem: string | null = null

  async function catchUp(
    client: BoardClient,
    ctx: EngineContext,
    snapshot: Snapshot,
    since: string | null,
    board: Board,
  ): Promise<void> {
    const { missed, replayed } = await missedEvents(ctx, snapshot, since, board)
    for (const e of missed) clients.send(client, 'change', e.commit, { ...e, replayed })
    clients.send(client, 'board', snapshot.commit ?? 'empty', {
      commit: snapshot.commit,
      mission: client.mission,
      counts: board.counts,
      html: renderBoardSection(board),
    })
    client.seen = snapshot.commit
  }

  async function missedEvents(
    ctx: EngineContext,
    snapshot: Snapshot,
    since: string | null,
    board: Board,
  ): Promise<{ missed: BoardEvent[]; replayed: boolean }> {
    const recent = () => [...board.history].slice(0, replay).reverse()
    if (since === null) return { missed: recent(), replayed: true }
    if (since === snapshot.commit) return { missed: [], replayed: false }
    const slug = board.mission.mission_slug
    const { changes, found } = await readChangesSince(
      ctx.repo,
      snapshot.commit,
      since,
      (c) => c.trailers['Kitty-Mission'] === slug,
    )
    return found ? { missed: changes.map(toBoardEvent), replayed: false } : { missed: recent(), replayed: true }
  }

  /** A state that cannot be read (a remote down, a ref gone) is told to every client once, not per poll. */
  function report(err: unknown): void {
    const message = isKittyError(err)
      ? `${err.code}: ${err.message}`
      : `The state could not be read: ${(err as Error)?.message ?? err}`
    if (message === lastProblem) return
    lastProblem = message
    for (const c of clients.live()) clients.send(c, 'problem', null, { message })
  }

  async function refresh(): Promise<void> {
    const tip = await source.tip()
    const stale = clients.live().filter((c) => c.seen !== tip)
    if (tip === knownTip && stale.length === 0) return
    knownTip = tip
    if (stale.length === 0) return
    await source.read(async (ctx, snapshot) => {
      const byMission = new Map<string, BoardClient[]>()
      for (const c of clients.live())
        if (c.seen !== snapshot.commit) byMission.set(c.mission, [...(byMission.get(c.mission) ?? []), c])
      for (const [mission, group] of byMission) await sendGroup(ctx, snapshot, mission, group)
    })
  }

  async function sendGroup(ctx: EngineContext, snapshot: Snapshot, mission: string, group: BoardClient[]) {
    let board: Board
    try {
      board = await boardOf(ctx, snapshot, mission)
    } catch (err) {
      const message = isKittyError(err) ? `${err.code}: ${err.message}` : 'the board could not be read'
      for (const c of group) {
        clients.send(c, 'problem', null, { message })
        c.seen = snapshot.commit
      }
      return
    }
    for (const c of group) await catchUp(c, ctx, snapshot, c.seen, board)
  }

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

  return {
    check,
    catchUp,
    tip: () => knownTip,
    async start() {
      knownTip = await source.tip().catch(() => undefined)
    },
  }
}
