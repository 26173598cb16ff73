import * as z from 'zod/mini'
import { MetaInvalidError } from './errors.ts'
import { describeJsonError } from './json-error.ts'

/** The identity every mission-scoped payload starts with (docs/design.md#identity). */
export interface MissionIdentity {
  mission_id: string | null
  mission_slug: string
  mission_number: number | null
  mission_type: string
}

const CROCKFORD_ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i

/** `mission_number` (or the legacy `feature_number`): int, digit string (`"064"` → 64), `""`/null → null. */
const MissionNumber = z.pipe(
  z.union([z.int().check(z.nonnegative()), z.string().check(z.regex(/^\d*$/, 'must be digits')), z.null()]),
  z.transform((v: number | string | null) => (v === null || v === '' ? null : Number(v))),
)

const OptionalString = z.optional(z.nullable(z.string()))

/** Slugs name branches and worktree folders, so they must be safe as both. */
const Slug = z.optional(
  z.nullable(
    z.string().check(
      z.regex(/^(?:[A-Za-z0-9][A-Za-z0-9._-]*)?$/, 'must be letters, digits, ".", "_" or "-"'),
      z.refine((s) => !s.includes('..') && !s.endsWith('.lock'), 'must not contain ".." or end in ".lock"'),
    ),
  ),
)

/**
 * What we read from meta.json. Loose: unknown keys are legal and kept in the file (we never write zod
 * output back; writes go through the lossless JSON editor).
 */
export const MissionMetaSchema = z.looseObject({
  mission_id: z.optional(z.nullable(z.string().check(z.regex(CROCKFORD_ULID, 'must be a 26-character ULID')))),
  mission_slug: Slug,
  slug: Slug,
  mission_number: z.optional(MissionNumber),
  feature_number: z.optional(MissionNumber),
  mission_type: OptionalString,
  mission: OptionalString,
  target_branch: OptionalString,
  merge_target_branch: OptionalString,
})

export type MissionMeta = z.infer<typeof MissionMetaSchema>

export interface ParsedMeta {
  /** The raw object, for callers that need keys we do not model. Null when there is no meta.json. */
  raw: Record<string, unknown> | null
  meta: MissionMeta
  identity: MissionIdentity
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

/** Parse a meta.json text (or its absence) for the mission directory `dir`. */
export function parseMissionMeta(text: string | null, dir: string, path: string): ParsedMeta {
  if (text === null) {
    return {
      raw: null,
      meta: {},
      identity: { mission_id: null, mission_slug: dir, mission_number: null, mission_type: '' },
    }
  }
  let value: unknown
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    throw new MetaInvalidError(path, `not valid JSON (${describeJsonError(err)})`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MetaInvalidError(path, 'must be a JSON object')
  }
  const parsed = MissionMetaSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new MetaInvalidError(path, `${issue.path.join('.') || 'value'} ${issue.message}`)
  }
  const meta = parsed.data
  const number = meta.mission_number !== undefined ? meta.mission_number : (meta.feature_number ?? null)
  return {
    raw: value as Record<string, unknown>,
    meta,
    identity: {
      mission_id: meta.mission_id ? meta.mission_id.toUpperCase() : null,
      mission_slug: nonEmpty(meta.mission_slug) ?? nonEmpty(meta.slug) ?? dir,
      mission_number: number,
      mission_type: nonEmpty(meta.mission_type) ?? nonEmpty(meta.mission) ?? '',
    },
  }
}
