import { KittyError, UsageError } from './errors.ts'

/** One directory of `kitty-specs/` as the resolver sees it. */
export interface MissionIndexEntry {
  dir: string
  hasMeta: boolean
  /** `mission_id` from meta.json when it parses to a non-empty string; null otherwise. */
  missionId: string | null
}

export interface MissionCandidate {
  mission_id: string | null
  mid8: string | null
  slug: string
  feature_dir: string
}

const ULID_SHAPE = /^[0-9A-Z]{26}$/
const MID8_SHAPE = /^[0-9A-Z]{8}$/
const CROCKFORD_MID8_TAIL = /-[0-9A-HJKMNP-TV-Z]{8}$/
const NUMBER_PREFIX = /^(\d{3})-(.+)$/

/**
 * Refuse handles that could escape `kitty-specs/` or confuse a shell or a path before touching anything
 * (docs/upstream-contract.md#mission-selector-ladder step 0; upstream crashes here, we answer USAGE_ERROR).
 */
export function assertSafeHandle(handle: string): void {
  const why =
    handle.length === 0
      ? 'it is empty'
      : handle.length > 200
        ? 'it is longer than 200 characters'
        : /\s/.test(handle)
          ? 'it contains whitespace'
          : handle.startsWith('.')
            ? "it starts with '.'"
            : handle.includes('..')
              ? "it contains '..'"
              : /[/\\]/.test(handle)
                ? 'it contains a path separator'
                : /[^\x21-\x7e]/.test(handle)
                  ? 'it contains non-ASCII or control characters'
                  : null
  if (why) {
    throw new UsageError(`Unsafe mission selector: ${why}. Pass a mission slug, number, mid8 or mission_id.`, {
      reason: why,
    })
  }
}

function candidates(entries: MissionIndexEntry[]): MissionCandidate[] {
  return entries.map((e) => ({
    mission_id: e.missionId,
    mid8: e.missionId ? e.missionId.slice(0, 8) : null,
    slug: e.dir,
    feature_dir: `kitty-specs/${e.dir}`,
  }))
}

function ambiguous(handle: string, matches: MissionIndexEntry[]): KittyError {
  const names = matches.map((m) => m.dir)
  return new KittyError(
    'MISSION_AMBIGUOUS_SELECTOR',
    `Mission handle '${handle}' matches multiple missions: ${names.join(', ')}. ` +
      'Re-run with a more specific handle (full slug or full mission_id).',
    { handle, candidates: candidates(matches) },
  )
}

export function missionNotFound(handle: string): KittyError {
  return new KittyError('MISSION_NOT_FOUND', `Mission '${handle}' not found in kitty-specs/`, { handle })
}

function pick(handle: string, matches: MissionIndexEntry[]): string | null {
  if (matches.length > 1) throw ambiguous(handle, matches)
  return matches[0]?.dir ?? null
}

/**
 * The resolution ladder of docs/upstream-contract.md#mission-selector-ladder over a complete index, sorted by directory
 * name. Returns the directory name or throws MISSION_NOT_FOUND / MISSION_AMBIGUOUS_SELECTOR.
 */
export function resolveMissionSelector(handle: string, index: MissionIndexEntry[]): string {
  assertSafeHandle(handle)
  const entries = [...index].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0))
  const literal = entries.find((e) => e.dir === handle)
  if (literal?.hasMeta) return literal.dir
  const withId = entries.filter((e) => e.missionId)

  if (ULID_SHAPE.test(handle)) {
    const hit = pick(
      handle,
      withId.filter((e) => e.missionId === handle),
    )
    if (hit) return hit
    if (literal) return literal.dir
    throw missionNotFound(handle)
  }
  if (MID8_SHAPE.test(handle)) {
    const hit = pick(
      handle,
      withId.filter((e) => e.missionId!.startsWith(handle)),
    )
    if (hit) return hit
    if (literal) return literal.dir
    throw missionNotFound(handle)
  }
  if (literal) return literal.dir

  if (!/^\d+$/.test(handle)) {
    const stripped = pick(
      handle,
      entries.filter((e) => NUMBER_PREFIX.exec(e.dir)?.[2] === handle),
    )
    if (stripped) return stripped
  } else {
    const numbered = pick(
      handle,
      entries.filter((e) => NUMBER_PREFIX.exec(e.dir)?.[1] === handle),
    )
    if (numbered) return numbered
  }

  if (!CROCKFORD_MID8_TAIL.test(handle)) {
    const folded = entries.filter(
      (e) =>
        e.hasMeta &&
        e.dir.startsWith(`${handle}-`) &&
        CROCKFORD_MID8_TAIL.test(e.dir) &&
        e.dir.length === handle.length + 9,
    )
    if (folded.length === 1) return folded[0]!.dir
  }
  throw missionNotFound(handle)
}
