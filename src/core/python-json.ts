/**
 * JSON text byte-identical to Python's `json.dumps(..., sort_keys=True)`, which is how upstream
 * spec-kitty writes `status.events.jsonl` (one line, `", "`/`": "` separators, ASCII only) and
 * `status.json` (`indent=2`, UTF-8 kept). Byte identity matters: both tools append to one file, and
 * a line re-serialised differently would show up as a rewrite in every diff.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Python compares str keys by code point; JS's default sort compares UTF-16 units. */
function byCodePoint(a: string, b: string): number {
  const x = [...a]
  const y = [...b]
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

function quote(s: string, asciiOnly: boolean): string {
  const text = JSON.stringify(s)
  if (!asciiOnly) return text
  // ensure_ascii escapes all but ' '..'~': JSON.stringify has done the controls, not DEL (U+007F) and up.
  return text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function number(n: number): string {
  // Python writes integral floats as `1.0`, but every number in these files is an int (or absent).
  if (!Number.isFinite(n)) throw new TypeError(`not JSON-serialisable: ${n}`)
  return String(n)
}

function entries(value: { [key: string]: Json }): [string, Json][] {
  return Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort(byCodePoint)
    .map((k) => [k, value[k]!])
}

/** `json.dumps(value, sort_keys=True)`: one line, ASCII only. */
export function pythonJsonLine(value: unknown): string {
  const v = value as Json
  if (v === null) return 'null'
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') return number(v)
  if (typeof v === 'string') return quote(v, true)
  if (Array.isArray(v)) return `[${v.map(pythonJsonLine).join(', ')}]`
  return `{${entries(v)
    .map(([k, x]) => `${quote(k, true)}: ${pythonJsonLine(x)}`)
    .join(', ')}}`
}

/** `json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)`, without the trailing newline. */
export function pythonJsonIndented(value: unknown, depth = 0): string {
  const v = value as Json
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? quote(v, false) : pythonJsonLine(v)
  const pad = '  '.repeat(depth + 1)
  const close = '  '.repeat(depth)
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]'
    return `[\n${v.map((x) => pad + pythonJsonIndented(x, depth + 1)).join(',\n')}\n${close}]`
  }
  const kv = entries(v)
  if (kv.length === 0) return '{}'
  return `{\n${kv.map(([k, x]) => `${pad}${quote(k, false)}: ${pythonJsonIndented(x, depth + 1)}`).join(',\n')}\n${close}}`
}
