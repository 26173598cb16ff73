import { globSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkMissionMeta, parseMissionMeta } from '../../src/core/mission-meta.ts'
import { checkWithSchema } from '../../src/core/mission-meta-schema.ts'
import { CORPUS } from '../helpers/git-repo.ts'

const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100) * 20

const parse = (meta: unknown) =>
  parseMissionMeta(typeof meta === 'string' ? meta : JSON.stringify(meta), '099-dir', 'kitty-specs/099-dir/meta.json')
const refusal = async (meta: unknown) => {
  try {
    await parse(meta)
  } catch (err) {
    return err as { code: string; message: string }
  }
  throw new Error('accepted')
}

describe('parseMissionMeta', () => {
  it('no meta.json: the directory is the slug, everything else empty', async () => {
    expect(await parseMissionMeta(null, '099-dir', 'p')).toEqual({
      raw: null,
      meta: {},
      identity: { mission_id: null, mission_slug: '099-dir', mission_number: null, mission_type: '' },
    })
  })

  it('reads the identity, upper-casing the ULID and taking legacy keys when the new ones are empty', async () => {
    const full = await parse({
      mission_id: '01kxwn13gh4qcrms28n448v7cr',
      mission_slug: '099-x',
      slug: 'old',
      mission_number: '064',
      mission_type: 'software-dev',
      extra: [1],
    })
    expect(full.identity).toEqual({
      mission_id: '01KXWN13GH4QCRMS28N448V7CR',
      mission_slug: '099-x',
      mission_number: 64,
      mission_type: 'software-dev',
    })
    expect(full.raw).toMatchObject({ extra: [1] })
    expect((await parse({ slug: 'legacy', feature_number: 7, mission: 'research' })).identity).toEqual({
      mission_id: null,
      mission_slug: 'legacy',
      mission_number: 7,
      mission_type: 'research',
    })
    expect((await parse({ mission_slug: '', slug: '', mission_number: '', mission_type: ' ' })).identity).toEqual({
      mission_id: null,
      mission_slug: '099-dir',
      mission_number: null,
      mission_type: '',
    })
    expect((await parse({ mission_number: null, feature_number: 3 })).identity.mission_number).toBeNull()
    expect((await parse({ mission_number: 0 })).identity.mission_number).toBe(0)
    expect((await parse('\uFEFF{"mission_number": 5}')).identity.mission_number).toBe(5)
  })

  it('strips only a leading byte-order mark: one inside a value is kept, one after whitespace is not JSON', async () => {
    const inside = await parse('{"mission": "\uFEFFresearch"}')
    expect(inside.raw).toEqual({ mission: '\uFEFFresearch' })
    expect(inside.identity.mission_type).toBe('\uFEFFresearch')
    expect((await refusal(' \uFEFF{}')).message).toBe(
      'Mission metadata kitty-specs/099-dir/meta.json is invalid: not valid JSON (unparseable input)',
    )
  })

  it.each([
    ['not JSON', '{', 'not valid JSON'],
    ['an array', [], 'must be a JSON object'],
    ['null', 'null', 'must be a JSON object'],
    ['a string', '"x"', 'must be a JSON object'],
    ['a bad ULID', { mission_id: 'nope' }, 'mission_id must be a 26-character ULID'],
    ['a negative number', { mission_number: -1 }, 'mission_number'],
    ['a number string with letters', { mission_number: '12a' }, 'mission_number must be digits'],
    ['a slug with a slash', { mission_slug: 'a/b' }, 'mission_slug must be letters'],
    ['a slug with ..', { slug: 'a..b' }, 'slug must not contain ".."'],
    ['a slug ending in .lock', { mission_slug: 'x.lock' }, 'must not contain ".." or end in ".lock"'],
    ['a non-string type', { mission_type: 3 }, 'mission_type'],
  ])('refuses %s with MISSION_META_INVALID', async (_name, meta, message) => {
    const err = await refusal(meta)
    expect(err.code).toBe('MISSION_META_INVALID')
    expect(err.message).toContain(message)
    expect(err.message).toContain('kitty-specs/099-dir/meta.json')
  })
})

/**
 * checkMissionMeta reads meta.json without zod; the zod schema (mission-meta-schema.ts) is its
 * specification. Wherever the check gives an answer it must be the schema's, key order included.
 */
describe('checkMissionMeta: the schema without zod', () => {
  const stringValue = fc.oneof(
    fc.constantFrom(
      '',
      ' ',
      '064',
      '12a',
      '00',
      '01KXWN13GH4QCRMS28N448V7CR',
      '01kxwn13gh4qcrms28n448v7cr',
      'I'.repeat(26),
    ),
    fc.constantFrom('a..b', 'x.lock', 'a/b', '-x', '.x', 'ok-slug_1.2', '099-test', 'ü'),
    fc.stringMatching(/^[0-9A-Za-z._-]{0,30}$/),
  )
  const value = fc.oneof(
    stringValue,
    fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 7, 2 ** 53 - 1, 2 ** 53, 1e20),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  )
  const key = fc.constantFrom(
    'mission_id',
    'mission_slug',
    'slug',
    'mission_number',
    'feature_number',
    'mission_type',
    'mission',
    'target_branch',
    'merge_target_branch',
    'friendly_name',
    'extra',
  )

  it(`gives the schema's data, or no answer, for any object (${RUNS} runs)`, () => {
    let answered = 0
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (input) => {
        const ours = checkMissionMeta(input)
        const theirs = checkWithSchema(input)
        if (ours === null) return
        answered++
        expect('meta' in theirs).toBe(true)
        const meta = (theirs as { meta: object }).meta
        expect(ours).toEqual(meta)
        expect(Object.keys(ours)).toEqual(Object.keys(meta))
      }),
      { numRuns: RUNS },
    )
    // Not vacuous: most generated objects are answered.
    expect(answered).toBeGreaterThan(RUNS / 10)
  })

  it('answers every meta.json of the corpus, as the schema reads it', () => {
    const files = globSync(join(CORPUS, '*', 'meta.json'))
    expect(files.length).toBeGreaterThan(20)
    for (const file of files) {
      const input = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
      expect(checkMissionMeta(input), file).toEqual((checkWithSchema(input) as { meta: object }).meta)
    }
  })

  it('a "__proto__" key is left to the schema', () => {
    expect(checkMissionMeta(JSON.parse('{"__proto__": {"x": 1}, "mission_slug": "a"}'))).toBeNull()
  })
})
