import { MetaInvalidError } from './errors.ts'
import { describeJsonError } from './json-error.ts'

/** The identity every mission-scoped payload starts with (docs/design.md#identity). */
export interface MissionIdentity {
  mission_id: string | null
  mission_slug: string
  mission_number: number | null
  mission_type: string
}

export const CROCKFORD_ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i
/** Slugs name branches and worktree folders, so they must be safe as both. */
export const SLUG = /^(?:[A-Za-z0-9][A-Za-z0-9._-]*)?$/

/**
 * What we read from meta.json (mission-meta-schema.ts is its zod specification). Loose: unknown keys are
 * legal and kept in the file (we never write this back; writes go through the lossless JSON editor).
 */
export interface MissionMeta {
  mission_id?: string | null | undefined
  mission_slug?: string | null | undefined
  slug?: string | null | undefined
  mission_number?: number | null | undefined
  feature_number?: number | null | undefined
  mission_type?: string | null | undefined
  mission?: string | null | undefined
  target_branch?: string | null | undefined
  merge_target_branch?: string | null | undefined
  [key: string]: unknown
}

export interface ParsedMeta {
  /** The raw object, for callers that need keys we do not model. Null when there is no meta.json. */
  raw: Record<string, unknown> | null
  meta: MissionMeta
  identity: MissionIdentity
}

const REFUSED = Symbol('refused')
type Field = (value: unknown) => unknown

const nullableString: Field = (v) => (v === null || typeof v === 'string' ? v : REFUSED)
const ulid: Field = (v) => (v === null || (typeof v === 'string' && CROCKFORD_ULID.test(v)) ? v : REFUSED)
const slug: Field = (v) =>
  v === null || (typeof v === 'string' && SLUG.test(v) && !v.includes('..') && !v.endsWith('.lock')) ? v : REFUSED
/** `mission_number` (or the legacy `feature_number`): int ≥ 0, digit string (`"064"` → 64), `""`/null → null. */
const number: Field = (v) => {
  if (v === null || v === '') return null
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : REFUSED
  return typeof v === 'string' && /^\d*$/.test(v) ? Number(v) : REFUSED
}

/** The modelled keys, in the schema's order (its output lists them first, then the others as found). */
const FIELDS: ReadonlyArray<readonly [string, Field]> = [
  ['mission_id', ulid],
  ['mission_slug', slug],
  ['slug', slug],
  ['mission_number', number],
  ['feature_number', number],
  ['mission_type', nullableString],
  ['mission', nullableString],
  ['target_branch', nullableString],
  ['merge_target_branch', nullableString],
]
const MODELLED = new Set(FIELDS.map(([key]) => key))

/**
 * The schema's reading of a decoded meta.json, without zod: the same object, or null where the file is
 * not plainly valid (then the schema decides, and words the refusal). test/core/mission-meta.test.ts
 * holds the two equal.
 */
export function checkMissionMeta(value: Record<string, unknown>): MissionMeta | null {
  if (Object.hasOwn(value, '__proto__')) return null
  const meta: Record<string, unknown> = {}
  for (const [key, field] of FIELDS) {
    if (!Object.hasOwn(value, key)) continue
    const read = field(value[key])
    if (read === REFUSED) return null
    meta[key] = read
  }
  for (const key of Object.keys(value)) if (!MODELLED.has(key)) meta[key] = value[key]
  return meta as MissionMeta
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function decode(text: string, path: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    throw new MetaInvalidError(path, `not valid JSON (${describeJsonError(err)})`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MetaInvalidError(path, 'must be a JSON object')
  }
  return value as Record<string, unknown>
}

/** A file checkMissionMeta declines: the zod schema (imported now) accepts it or names its first problem. */
async function readWithSchema(value: Record<string, unknown>, path: string): Promise<MissionMeta> {
  const { checkWithSchema } = await import('./mission-meta-schema.ts')
  const read = checkWithSchema(value)
  if ('problem' in read) throw new MetaInvalidError(path, read.problem)
  return read.meta
}

/** Parse a meta.json text (or its absence) for the mission directory `dir`. */
export async function parseMissionMeta(text: string | null, dir: string, path: string): Promise<ParsedMeta> {
  if (text === null) {
    return {
      raw: null,
      meta: {},
      identity: { mission_id: null, mission_slug: dir, mission_number: null, mission_type: '' },
    }
  }
  const raw = decode(text, path)
  const meta = checkMissionMeta(raw) ?? (await readWithSchema(raw, path))
  const number = meta.mission_number !== undefined ? meta.mission_number : (meta.feature_number ?? null)
  return {
    raw,
    meta,
    identity: {
      mission_id: meta.mission_id ? meta.mission_id.toUpperCase() : null,
      mission_slug: nonEmpty(meta.mission_slug) ?? nonEmpty(meta.slug) ?? dir,
      mission_number: number,
      mission_type: nonEmpty(meta.mission_type) ?? nonEmpty(meta.mission) ?? '',
    },
  }
}
