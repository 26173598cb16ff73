import * as z from 'zod/mini'
import type { MissionMeta } from './mission-meta.ts'
import { CROCKFORD_ULID, SLUG } from './mission-meta.ts'

/**
 * meta.json as a zod schema: the specification mission-meta.ts's own check follows (property tests hold
 * the two equal), and the words of a refusal. Imported only to refuse (or for a file that check
 * declines): zod is ~15% of a bare Node start to evaluate, and a read of valid files never needs it.
 */

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
      z.regex(SLUG, 'must be letters, digits, ".", "_" or "-"'),
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

// MissionMeta (mission-meta.ts) is written out by hand so that module needs no zod; it must stay what
// the schema produces.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
export const META_TYPE_MATCHES_SCHEMA: Same<z.infer<typeof MissionMetaSchema>, MissionMeta> = true

/** The schema's reading of a decoded meta.json: its data, or the first problem as `<key> <message>`. */
export function checkWithSchema(value: object): { meta: MissionMeta } | { problem: string } {
  const parsed = MissionMetaSchema.safeParse(value)
  if (parsed.success) return { meta: parsed.data }
  const issue = parsed.error.issues[0]!
  return { problem: `${issue.path.join('.') || 'value'} ${issue.message}` }
}
