import { isUtf8 } from 'node:buffer'
import { compareWpIds, normalizeWpId, wpNumber } from '../../core/dependency-graph.ts'
import { didYouMean } from '../../core/closest-names.ts'
import { KittyError, MetaInvalidError, WpFileInvalidError } from '../../core/errors.ts'
import type { Lane } from '../../core/lanes.ts'
import { normalizeLane } from '../../core/lanes.ts'
import type { ParsedMeta } from '../../core/mission-meta.ts'
import { parseMissionMeta } from '../../core/mission-meta.ts'
import type { MissionIndexEntry } from '../../core/mission-selector.ts'
import type { WorkPackage } from '../../core/work-package.ts'
import { interpretWorkPackage, wpIdFromFileName } from '../../core/work-package.ts'
import type { FrontmatterEdit, FrontmatterFile } from './frontmatter.ts'
import type { SplitFile } from './split-frontmatter.ts'
import { joinFile, splitFrontmatter } from './split-frontmatter.ts'
import { MAX_META_JSON_BYTES, MAX_TASKS_MD_BYTES, MAX_WP_FILE_BYTES } from './limits.ts'
import { scanFrontmatter } from './frontmatter-scan.ts'
import { objectReader } from '../objects/object-reader.ts'
import type { MissionEvents } from './read-event-log.ts'
import { readMissionEvents } from './read-event-log.ts'
import type { WpState } from '../../core/reduce-status-events.ts'
import { displayLane } from '../../core/reduce-status-events.ts'
import type { Snapshot, TreeEntry } from '../objects/snapshot.ts'

export const SPECS_DIR = 'kitty-specs'

/** Decode a file we may rewrite; a file that is not UTF-8 would be corrupted by a rewrite. */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  if (!isUtf8(bytes)) throw new WpFileInvalidError(path, 'it is not valid UTF-8 text')
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}

interface WpLocation {
  id: string
  path: string
  folderLane: Lane | null
  /** Set when the WP file is a committed symbolic link: the blob holding its target. */
  linkOid?: string
}

const SYMLINK_MODE = '120000'

function isLink(entry: TreeEntry): boolean {
  return entry.mode === SYMLINK_MODE
}

/**
 * Why a committed symbolic link cannot stand where kitty expects a file or folder of its own: git
 * stores only the target's name, so the snapshot has nothing behind it, and reading "no WPs" or
 * following it to wherever it points (often outside the repository) would both be wrong.
 */
async function linkReason(snapshot: Snapshot, path: string, oid: string, what: string): Promise<string> {
  const target = Buffer.from((await objectReader(snapshot.repo).read(oid)).content).toString('utf8')
  return (
    `it is a symbolic link (to ${JSON.stringify(target)}) where kitty expects ${what}; ` +
    `replace the link with the real ${what} (git rm ${path}, then add the files themselves)`
  )
}

/** meta.json, tasks/ and tasks.md must be what they claim to be, not links to elsewhere. */
async function refuseLinkedMissionParts(snapshot: Snapshot, path: string, entries: TreeEntry[]): Promise<void> {
  for (const e of entries.filter(isLink)) {
    const full = `${path}/${e.path}`
    if (e.path === 'meta.json') throw new MetaInvalidError(full, await linkReason(snapshot, full, e.oid, 'a file'))
    if (e.path === 'tasks')
      throw new WpFileInvalidError(full, await linkReason(snapshot, full, e.oid, 'the directory of WP files'))
    if (e.path === 'tasks.md') throw new WpFileInvalidError(full, await linkReason(snapshot, full, e.oid, 'a file'))
  }
}

export interface LoadedWp {
  wp: WorkPackage
  /** The file cut at its `---` fences. */
  split: SplitFile
  /** The full YAML document, parsed on the first call (the YAML library loaded with it): only writes need it. */
  file(): Promise<FrontmatterFile>
  /**
   * The file's new text: `edits` made to the frontmatter losslessly (frontmatter.ts), `body` replacing
   * the body. Without edits, neither the YAML library nor the document is needed: the fences were
   * checked when the file was read, and the frontmatter's bytes stay as they are.
   */
  render(edits: readonly FrontmatterEdit[], body?: string): Promise<string>
}

async function parseYamlFrontmatter(text: string, path: string): Promise<FrontmatterFile> {
  const { parseFrontmatter } = await import('./frontmatter.ts')
  return parseFrontmatter(text, path)
}

function loadedWp(wp: WorkPackage, split: SplitFile, file: () => Promise<FrontmatterFile>): LoadedWp {
  return {
    wp,
    split,
    file,
    render: async (edits, body = split.body) => {
      if (edits.length === 0) return joinFile({ ...split, body })
      const { renderWpFile } = await import('./frontmatter.ts')
      return renderWpFile(await file(), [...edits], body)
    },
  }
}

/**
 * Interpret a WP file, taking the fast scanner's reading when it can give one; the YAML Document
 * (needed to edit the file losslessly) is built only when someone asks for `file()` or renders edits.
 */
async function loadWp(text: string, location: WpLocation): Promise<LoadedWp> {
  const split = splitFrontmatter(text, location.path)
  const scanned = Buffer.byteLength(text, 'utf8') <= MAX_WP_FILE_BYTES ? scanFrontmatter(split.yaml) : null
  if (scanned === null) {
    const file = await parseYamlFrontmatter(text, location.path)
    const wp = interpretWorkPackage(location.id, location.path, file.data, location.folderLane)
    return loadedWp(wp, split, async () => file)
  }
  let file: Promise<FrontmatterFile> | undefined
  const wp = interpretWorkPackage(location.id, location.path, scanned, location.folderLane)
  return loadedWp(wp, split, () => (file ??= parseYamlFrontmatter(text, location.path)))
}

const HOLDING_LANES = new Set<Lane>(['claimed', 'in_progress', 'in_review'])

/**
 * The actor of the WP's latest lane event, or null: upstream's `_get_last_actor` (orchestrator_api/commands.py), the
 * reduced `actor` its status.json keeps. Annotations never set it (upstream's reducer folds them after the lanes).
 */
function logLastActor(state: WpState | undefined): string | null {
  return state?.last_event_id ? state.actor || null : null
}

/**
 * A WP file read beside upstream's event log: the reduced lane wins (docs/upstream-contract.md#event-log-and-reducer; a
 * WP with no event reads as planned), and so does the log's last actor, whatever the frontmatter's history says (D5).
 * Where the lanes disagree the log is the newer word, so in a lane that holds a claim its actor is also the holder.
 */
function withEventLane(loaded: LoadedWp, state: WpState | undefined): LoadedWp {
  const lane = displayLane(state)
  const lastActor = logLastActor(state) ?? loaded.wp.lastActor
  if (lane === loaded.wp.lane && lastActor === loaded.wp.lastActor) return loaded
  const changed = lane !== loaded.wp.lane
  const holder = changed && HOLDING_LANES.has(lane) && state?.actor ? state.actor : loaded.wp.assignee
  const wp = {
    ...loaded.wp,
    lane,
    assignee: holder,
    lastActor,
    laneSince: changed ? (state?.last_transition_at ?? null) : loaded.wp.laneSince,
  }
  return { ...loaded, wp }
}

/**
 * One mission as of one snapshot. WP files are parsed on first use, so a command that touches one WP
 * does not pay for (or fail on) the others.
 */
export class MissionView {
  readonly snapshot: Snapshot
  readonly dir: string
  readonly path: string
  readonly meta: ParsedMeta
  readonly metaText: string | null
  /** Upstream's event log (status.events.jsonl), reduced; null for a frontmatter-only mission. */
  readonly events: MissionEvents | null
  readonly #locations: Map<string, WpLocation>
  readonly #loaded = new Map<string, Promise<LoadedWp>>()

  constructor(
    snapshot: Snapshot,
    dir: string,
    metaText: string | null,
    meta: ParsedMeta,
    locations: Map<string, WpLocation>,
    events: MissionEvents | null = null,
  ) {
    this.snapshot = snapshot
    this.events = events
    this.dir = dir
    this.path = `${SPECS_DIR}/${dir}`
    this.metaText = metaText
    this.meta = meta
    this.#locations = locations
  }

  get identity() {
    return this.meta.identity
  }

  /** WP ids present as files, sorted by number. */
  wpIds(): string[] {
    return [...this.#locations.keys()].sort(compareWpIds)
  }

  /** WPs the event log knows that have no file (upstream lists them; they cannot be mutated here). */
  eventOnlyIds(): string[] {
    if (!this.events) return []
    return Object.keys(this.events.reduced.work_packages)
      .filter((id) => !this.#locations.has(canonicalWpId(id)))
      .sort(compareWpIds)
  }

  /**
   * The id of the WP file a selector names: its own spelling, else the one WP whose number it names
   * (`--wp WP1` or `WP01` for `WP001.md`); with two WPs of that number the selector stays as given.
   */
  resolveWpId(raw: string): string {
    const id = canonicalWpId(raw)
    if (this.#locations.has(id)) return id
    const n = wpNumber(id)
    const same = n === null ? [] : [...this.#locations.keys()].filter((k) => wpNumber(k) === n)
    return same.length === 1 ? same[0]! : id
  }

  has(id: string): boolean {
    return this.#locations.has(this.resolveWpId(id))
  }

  wpPath(id: string): string | null {
    return this.#locations.get(this.resolveWpId(id))?.path ?? null
  }

  wp(raw: string): Promise<LoadedWp> {
    const id = this.resolveWpId(raw)
    let pending = this.#loaded.get(id)
    if (!pending) {
      const location = this.#locations.get(id)
      if (!location) return Promise.reject(this.#wpNotFound(id))
      pending = this.#load(location)
      this.#loaded.set(id, pending)
    }
    return pending
  }

  /**
   * Upstream's "Work package 'X' not found in M", then the WPs there are and the closest one; for a WP
   * only the event log knows, how to give it a file.
   */
  #wpNotFound(id: string): KittyError {
    if (this.eventOnlyIds().includes(id)) {
      return new KittyError(
        'WP_NOT_FOUND',
        `Work package '${id}' of ${this.dir} exists only in its event log (status.events.jsonl), with no task file to record a change in. ` +
          `Materialise it first: kitty migrate --mission ${this.dir} --to frontmatter (one commit; --dry-run shows the files), then retry.`,
        { wp_id: id, event_log_only: true, fix: `kitty migrate --mission ${this.dir} --to frontmatter` },
      )
    }
    const ids = this.wpIds()
    const listed =
      ids.length > 0
        ? `; the mission has ${ids.length > 20 ? `${ids.slice(0, 20).join(', ')}, …` : ids.join(', ')}.${didYouMean(id, ids)}`
        : `; ${this.path}/tasks/ holds no WP files.`
    return new KittyError('WP_NOT_FOUND', `Work package '${id}' not found in ${this.dir}${listed}`, {
      wp_id: id,
      wp_ids: ids,
    })
  }

  async all(): Promise<LoadedWp[]> {
    const out: LoadedWp[] = []
    for (const id of this.wpIds()) out.push(await this.wp(id))
    return out
  }

  async #load(location: WpLocation): Promise<LoadedWp> {
    if (location.linkOid)
      throw new WpFileInvalidError(
        location.path,
        await linkReason(this.snapshot, location.path, location.linkOid, 'a WP file'),
      )
    const bytes = await this.snapshot.readBytes(location.path, MAX_WP_FILE_BYTES)
    if (bytes === null) throw new KittyError('WP_NOT_FOUND', `Work package '${location.id}' not found in ${this.dir}`)
    const loaded = await loadWp(decodeUtf8(bytes, location.path), location)
    return this.events ? withEventLane(loaded, this.events.reduced.work_packages[location.id]) : loaded
  }

  tasksMdPath(): string {
    return `${this.path}/tasks.md`
  }

  async tasksMd(): Promise<string | null> {
    const bytes = await this.snapshot.readBytes(this.tasksMdPath(), MAX_TASKS_MD_BYTES)
    return bytes === null ? null : decodeUtf8(bytes, this.tasksMdPath())
  }
}

/** Lookups accept any spelling of a WP id; what is no WP id stays as given (and is not found). */
function canonicalWpId(id: string): string {
  return normalizeWpId(id) ?? id
}

const LANE_DIR_DEPTH = 3

/**
 * Find WP files: flat `tasks/WPxx[-slug].md`, and the 0.x layout `tasks/<lane>/[phase/]WPxx.md`. One
 * WP id (normalised: `WP1-a.md` and `WP01-b.md` are both WP01) must have exactly one file: with two,
 * which one holds the state is a guess, so the mission is refused (WP_FILE_INVALID) naming both.
 */
async function locateWps(snapshot: Snapshot, tasksPath: string): Promise<Map<string, WpLocation>> {
  const candidates: WpLocation[] = []
  const entries = (await snapshot.tree(tasksPath)) ?? []
  for (const e of entries) {
    const id = e.type === 'blob' ? wpIdFromFileName(e.path) : null
    if (id) candidates.push({ id, path: `${tasksPath}/${e.path}`, folderLane: null, ...linkOf(e) })
  }
  await refuseLinkedLaneDirs(snapshot, tasksPath, entries)
  const laneDirs = entries
    .filter((e) => e.type === 'tree' && normalizeLane(e.path))
    .sort((a, b) => (a.path < b.path ? -1 : 1))
  for (const dir of laneDirs)
    await walkLaneDir(snapshot, `${tasksPath}/${dir.path}`, normalizeLane(dir.path)!, candidates, 1)
  const found = new Map<string, WpLocation>()
  for (const location of candidates) {
    const other = found.get(location.id)
    if (other) throw duplicateWpFiles(location.id, [other.path, location.path])
    found.set(location.id, location)
  }
  return found
}

function linkOf(entry: TreeEntry): { linkOid?: string } {
  return isLink(entry) ? { linkOid: entry.oid } : {}
}

/** A lane folder (0.x layout) that is a link would hide its WPs without a word. */
async function refuseLinkedLaneDirs(snapshot: Snapshot, path: string, entries: TreeEntry[]): Promise<void> {
  for (const e of entries) {
    if (!isLink(e) || !normalizeLane(e.path)) continue
    const full = `${path}/${e.path}`
    throw new WpFileInvalidError(full, await linkReason(snapshot, full, e.oid, 'a lane directory of WP files'))
  }
}

function duplicateWpFiles(id: string, paths: string[]): KittyError {
  const sorted = [...paths].sort()
  return new KittyError(
    'WP_FILE_INVALID',
    `Work package ${id} has two files, ${sorted.join(' and ')}: the mission is ambiguous. Keep one (merge their state) and remove the other.`,
    { wp_id: id, path: sorted[0], paths: sorted, reason: `two files for ${id}` },
  )
}

async function walkLaneDir(
  snapshot: Snapshot,
  path: string,
  lane: Lane,
  found: WpLocation[],
  depth: number,
): Promise<void> {
  const entries = [...((await snapshot.tree(path)) ?? [])].sort((a, b) => (a.path < b.path ? -1 : 1))
  for (const e of entries) {
    if (e.type === 'blob') {
      const id = wpIdFromFileName(e.path)
      if (id) found.push({ id, path: `${path}/${e.path}`, folderLane: lane, ...linkOf(e) })
    } else if (e.type === 'tree' && depth < LANE_DIR_DEPTH) {
      await walkLaneDir(snapshot, `${path}/${e.path}`, lane, found, depth + 1)
    }
  }
}

/** Read one mission directory, or null when `kitty-specs/<dir>` is not a directory. */
export async function readMission(snapshot: Snapshot, dir: string): Promise<MissionView | null> {
  const path = `${SPECS_DIR}/${dir}`
  const entries = await snapshot.tree(path)
  if (!entries) return null
  await refuseLinkedMissionParts(snapshot, path, entries)
  const metaText = entries.some((e) => e.path === 'meta.json' && e.type === 'blob')
    ? await snapshot.readText(`${path}/meta.json`, MAX_META_JSON_BYTES)
    : null
  const locations = await locateWps(snapshot, `${path}/tasks`)
  const events = await readMissionEvents(snapshot, path, entries)
  // After the WP files and the event log, as before: a broken log is reported ahead of a broken meta.json.
  const meta = await parseMissionMeta(metaText, dir, `${path}/meta.json`)
  return new MissionView(snapshot, dir, metaText, meta, locations, events)
}

/** Cheap check for the selector's first rung: `kitty-specs/<dir>/meta.json` exists. */
export async function hasMissionMeta(snapshot: Snapshot, dir: string): Promise<boolean> {
  return (await snapshot.blobOid(`${SPECS_DIR}/${dir}/meta.json`)) !== null
}

/**
 * A meta.json for the cross-mission lookups: `present` when the file exists, `text` null when it is
 * over the size limit. One oversized meta.json must not make every other mission unreachable; reading
 * that mission itself still answers INPUT_TOO_LARGE.
 */
async function peekMeta(snapshot: Snapshot, dir: string): Promise<{ present: boolean; text: string | null }> {
  try {
    const text = await snapshot.readText(`${SPECS_DIR}/${dir}/meta.json`, MAX_META_JSON_BYTES)
    return { present: text !== null, text }
  } catch (err) {
    if (err instanceof KittyError && err.code === 'INPUT_TOO_LARGE') return { present: true, text: null }
    throw err
  }
}

/**
 * The whole `kitty-specs/` index for the selector ladder's slower rungs (mid8, ULID, numbers). A
 * meta.json that does not parse (or is too large to read) only hides that mission from id lookups, as
 * upstream does.
 */
export async function readMissionIndex(snapshot: Snapshot): Promise<MissionIndexEntry[]> {
  const entries = (await snapshot.tree(SPECS_DIR)) ?? []
  const out: MissionIndexEntry[] = []
  for (const e of entries) {
    if (e.type !== 'tree') continue
    const meta = await peekMeta(snapshot, e.path)
    let missionId: string | null = null
    if (meta.text !== null) {
      try {
        missionId = (await parseMissionMeta(meta.text, e.path, '')).identity.mission_id
      } catch {
        missionId = null
      }
    }
    out.push({ dir: e.path, hasMeta: meta.present, missionId })
  }
  return out
}

export async function listMissionDirs(snapshot: Snapshot): Promise<string[]> {
  return ((await snapshot.tree(SPECS_DIR)) ?? []).filter((e) => e.type === 'tree').map((e) => e.path)
}

/** Every mission's number (`mission_number`, else `feature_number`); null where unset or unreadable. */
export async function readMissionNumbers(snapshot: Snapshot): Promise<Array<number | null>> {
  const out: Array<number | null> = []
  for (const dir of await listMissionDirs(snapshot)) {
    const { text } = await peekMeta(snapshot, dir)
    try {
      out.push(text === null ? null : (await parseMissionMeta(text, dir, '')).identity.mission_number)
    } catch {
      out.push(null)
    }
  }
  return out
}
