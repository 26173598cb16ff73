import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pythonJsonIndented, pythonJsonLine } from '../../src/core/python-json.ts'

const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100)

// Expected texts below are what CPython 3's json.dumps printed for the same values.

describe('pythonJsonLine: json.dumps(value, sort_keys=True)', () => {
  it('writes scalars as Python does', () => {
    expect([null, true, false, 0, -5, 42, 'x'].map(pythonJsonLine)).toEqual([
      'null',
      'true',
      'false',
      '0',
      '-5',
      '42',
      '"x"',
    ])
  })

  it('separates with ", " and ": ", nested containers included', () => {
    expect(pythonJsonLine({ z: [[], [[1]], { k: -5 }], a: false })).toBe('{"a": false, "z": [[], [[1]], {"k": -5}]}')
    expect(pythonJsonLine([])).toBe('[]')
    expect(pythonJsonLine({})).toBe('{}')
  })

  it('escapes everything outside printable ASCII, DEL and astral characters included', () => {
    expect(pythonJsonLine({ k: '\u007f\u0001\u2028\u{1F600}"\\/\t' })).toBe(
      '{"k": "\\u007f\\u0001\\u2028\\ud83d\\ude00\\"\\\\/\\t"}',
    )
    expect(pythonJsonLine('~ é')).toBe('"~ \\u00e9"')
  })

  it('sorts keys by code point: a prefix first, and U+FFFF before an astral character', () => {
    expect(pythonJsonLine({ '\uffff': 1, '\u{10000}': 2, ab: 3, a: 4 })).toBe(
      '{"a": 4, "ab": 3, "\\uffff": 1, "\\ud800\\udc00": 2}',
    )
    expect(pythonJsonLine({ ba: 1, b: 2, a: 3, ab: 4 })).toBe('{"a": 3, "ab": 4, "b": 2, "ba": 1}')
  })

  it('leaves out keys whose value is undefined, as an absent key', () => {
    expect(pythonJsonLine({ b: undefined, a: 1, c: null })).toBe('{"a": 1, "c": null}')
  })

  it('refuses numbers JSON cannot hold', () => {
    expect(() => pythonJsonLine({ n: Number.NaN })).toThrow(new TypeError('not JSON-serialisable: NaN'))
    expect(() => pythonJsonLine([Number.POSITIVE_INFINITY])).toThrow(new TypeError('not JSON-serialisable: Infinity'))
  })
})

describe('pythonJsonIndented: json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)', () => {
  it('indents nested containers by two spaces a level, empty ones inline, UTF-8 kept and controls escaped', () => {
    const value = { b: { y: [1, true, null, 's'], x: {} }, a: [], é: 'naïve\u2028\u007f\u0001' }
    expect(pythonJsonIndented(value)).toBe(
      '{\n  "a": [],\n  "b": {\n    "x": {},\n    "y": [\n      1,\n      true,\n      null,\n      "s"\n    ]\n  },\n  "é": "naïve\u2028\u007f\\u0001"\n}',
    )
  })

  it('indents arrays inside arrays', () => {
    expect(pythonJsonIndented([1, [2, []], {}, { a: [{}] }])).toBe(
      '[\n  1,\n  [\n    2,\n    []\n  ],\n  {},\n  {\n    "a": [\n      {}\n    ]\n  }\n]',
    )
  })

  it('writes scalars on their own as json.dumps does', () => {
    expect([null, true, false, 3, 'ü'].map((v) => pythonJsonIndented(v))).toEqual(['null', 'true', 'false', '3', '"ü"'])
  })

  it('refuses numbers JSON cannot hold, at any depth', () => {
    expect(() => pythonJsonIndented(Number.NaN)).toThrow(new TypeError('not JSON-serialisable: NaN'))
    expect(() => pythonJsonIndented({ a: [Number.NEGATIVE_INFINITY] })).toThrow(
      new TypeError('not JSON-serialisable: -Infinity'),
    )
  })

  it('an object with only undefined values is {}', () => {
    expect(pythonJsonIndented({ a: undefined })).toBe('{}')
  })
})

describe('both forms', () => {
  it(`property: any JSON value reads back to itself; the line is printable ASCII and the indented form re-serialises to it (${RUNS} runs)`, () => {
    fc.assert(
      // JSON text has no negative zero (JSON.stringify(-0) is "0"), so a value holding -0 cannot read back as -0: generate what JSON can carry.
      fc.property(
        fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown),
        (value) => {
          const line = pythonJsonLine(value)
          expect(line).toMatch(/^[\x20-\x7e]*$/)
          expect(JSON.parse(line)).toStrictEqual(value)
          const indented = pythonJsonIndented(value)
          expect(JSON.parse(indented)).toStrictEqual(value)
          expect(pythonJsonLine(JSON.parse(indented))).toBe(line)
        },
      ),
      { numRuns: RUNS },
    )
  })
})
