import type { Board, BoardEvent, BoardWpInput } from '../../core/build-board.ts'
import { buildBoard, DEFAULT_HISTORY_LIMIT } from '../../core/build-board.ts'
import { isKittyError } from '../../core/errors.ts'
import { parseMissionMeta } from '../../core/mission-meta.ts'
import type { HistoryCommit } from '../../store/history/read-history.ts'
import { readHistory } from '../../store/history/read-history.ts'
import { listMissionDirs, SPECS_DIR } from '../../store/state-files/read-mission.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { MAX_META_JSON_BYTES } from '../../store/state-files/limits.ts'
import type { Snapshot } from '../../store/objects/snapshot.ts'
import type { EngineContext } from '../framework/context.ts'
import { loadMission } from './load-mission.ts'
import { readTip } from './state-branch.ts'

/**
 * What the board surfaces read: one snapshot of the state branch turned into the core's view model.
 * A WP file that does not read becomes a card carrying its error, so one broken file never hides the
 * rest of the mission.
 */

/** How far back the walk looks for when each WP entered its lane (and for the recent changes). */
const HISTORY_SCAN = 5_000
const LANE_ENTRY_WANT = 1_000

export interface BoardOptions {
  historyLimit?: number
  now?: Date
}

export function toBoardEvent(c: HistoryCommit): BoardEvent {
  const t = c.trailers
  return {
    commit: c.commit,
    timestamp: new Date(c.timestamp * 1000).toISOString().replace('.000Z', 'Z'),
    wp_id: t['Kitty-WP'] ?? null,
    from_lane: t['Kitty-From'] ?? null,
    to_lane: t['Kitty-To'] ?? null,
    actor: t['Kitty-Actor'] ?? null,
    command: t['Kitty-Command'] ?? null,
    subject: c.subject,
  }
}

async function readCards(mission: MissionView, events: readonly BoardEvent[]): Promise<BoardWpInput[]> {
  const cards: BoardWpInput[] = []
  for (const id of mission.wpIds()) {
    try {
      const { wp } = await mission.wp(id)
      // git's record of the move into the lane beats the file's own history, which anyone can edit.
      const entered = events.find((e) => e.wp_id === id && e.to_lane === wp.lane)
      cards.push({
        wp_id: id,
        title: wp.title,
        lane: wp.lane,
        dependencies: wp.dependencies,
        actor: wp.lastActor ?? wp.assignee,
        lane_since: entered?.timestamp ?? wp.laneSince,
      })
    } catch (err) {
      if (!isKittyError(err)) throw err
      cards.push({
        wp_id: id,
        title: null,
        lane: null,
        dependencies: [],
        actor: null,
        lane_since: null,
        error: `${err.code}: ${err.message}`,
      })
    }
  }
  return cards
}

/** The board of one mission on a snapshot (MISSION_NOT_FOUND and friends propagate). */
export async function boardOfSnapshot(
  ctx: EngineContext,
  snapshot: Snapshot,
  handle: string,
  options: BoardOptions = {},
): Promise<Board> {
  const mission = await loadMission(snapshot, handle)
  const slug = mission.identity.mission_slug
  const { matches } = await readHistory(
    ctx.repo,
    snapshot.commit,
    (c) => c.trailers['Kitty-Mission'] === slug,
    LANE_ENTRY_WANT,
    HISTORY_SCAN,
  )
  const events = matches.map(toBoardEvent)
  const raw = mission.meta.raw
  return buildBoard({
    mission: {
      ...mission.identity,
      friendly_name: typeof raw?.['friendly_name'] === 'string' ? raw['friendly_name'] : null,
    },
    commit: snapshot.commit,
    work_packages: await readCards(mission, events),
    history: events,
    now: options.now ?? ctx.now(),
    historyLimit: options.historyLimit ?? DEFAULT_HISTORY_LIMIT,
  })
}

export async function readBoard(ctx: EngineContext, handle: string, options: BoardOptions = {}): Promise<Board> {
  return boardOfSnapshot(ctx, await readTip(ctx), handle, options)
}

export interface MissionListing {
  /** The directory under kitty-specs/: the handle the board asks for. */
  dir: string
  mission_slug: string
  friendly_name: string | null
  /** Set when meta.json does not read: the picker still lists the mission, with the reason. */
  error: string | null
}

/** Every mission directory, for the board's picker; a broken meta.json is listed with its error. */
export async function listMissions(snapshot: Snapshot): Promise<MissionListing[]> {
  const out: MissionListing[] = []
  for (const dir of (await listMissionDirs(snapshot)).sort()) {
    try {
      const text = await snapshot.readText(`${SPECS_DIR}/${dir}/meta.json`, MAX_META_JSON_BYTES)
      const parsed = await parseMissionMeta(text, dir, `${SPECS_DIR}/${dir}/meta.json`)
      const name = parsed.raw?.['friendly_name']
      out.push({
        dir,
        mission_slug: parsed.identity.mission_slug,
        friendly_name: typeof name === 'string' ? name : null,
        error: null,
      })
    } catch (err) {
      if (!isKittyError(err)) throw err
      out.push({ dir, mission_slug: dir, friendly_name: null, error: `${err.code}: ${err.message}` })
    }
  }
  return out
}
