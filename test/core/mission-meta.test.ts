import { describe, expect, it } from 'vitest'
import { parseMissionMeta } from '../../src/core/mission-meta.ts'

const parse = (meta: unknown) =>
  parseMissionMeta(typeof meta === 'string' ? meta : JSON.stringify(meta), '099-dir', 'kitty-specs/099-dir/meta.json')
const refusal = (meta: unknown) => {
  try {
    parse(meta)
  } catch (err) {
    return err as { code: string; message: string }
  }
  throw new Error('accepted')
}

describe('parseMissionMeta', () => {
  it('no meta.json: the directory is the slug, everything else empty', () => {
    expect(parseMissionMeta(null, '099-dir', 'p')).toEqual({
      raw: null,
      meta: {},
      identity: { mission_id: null, mission_slug: '099-dir', mission_number: null, mission_type: '' },
    })
  })

  it('reads the identity, upper-casing the ULID and taking legacy keys when the new ones are empty', () => {
    const full = parse({
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
    expect(parse({ slug: 'legacy', feature_number: 7, mission: 'research' }).identity).toEqual({
      mission_id: null,
      mission_slug: 'legacy',
      mission_number: 7,
      mission_type: 'research',
    })
    expect(parse({ mission_slug: '', slug: '', mission_number: '', mission_type: ' ' }).identity).toEqual({
      mission_id: null,
      mission_slug: '099-dir',
      mission_number: null,
      mission_type: '',
    })
    expect(parse({ mission_number: null, feature_number: 3 }).identity.mission_number).toBeNull()
    expect(parse({ mission_number: 0 }).identity.mission_number).toBe(0)
    expect(parse('\uFEFF{"mission_number": 5}').identity.mission_number).toBe(5)
  })

  it('strips only a leading byte-order mark: one inside a value is kept, one after whitespace is not JSON', () => {
    const inside = parse('{"mission": "\uFEFFresearch"}')
    expect(inside.raw).toEqual({ mission: '\uFEFFresearch' })
    expect(inside.identity.mission_type).toBe('\uFEFFresearch')
    expect(refusal(' \uFEFF{}').message).toBe(
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
  ])('refuses %s with MISSION_META_INVALID', (_name, meta, message) => {
    const err = refusal(meta)
    expect(err.code).toBe('MISSION_META_INVALID')
    expect(err.message).toContain(message)
    expect(err.message).toContain('kitty-specs/099-dir/meta.json')
  })
})
