/**
 * A fast reader for the plain frontmatter nearly every WP file has: top-level `key: scalar`, one-line
 * flow lists of scalars, and block lists of scalars or of flat `key: scalar` maps (history). It never
 * guesses: anything outside that subset (anchors, tags, block scalars, flow maps, multi-line values,
 * odd indentation, duplicate keys) returns null and the caller uses the full YAML parser. For every
 * input it accepts, its result equals `yaml`'s `toJS()` (a property test holds it to that).
 *
 * Why: mission-state parses every WP of a mission on a cold process, where the full parser costs
 * about 1.5 ms per file before the JIT warms up.
 */

type Scalar = string | number | boolean | null
type Value = Scalar | Scalar[] | Record<string, Scalar>[]

const KEY = /^([A-Za-z_][A-Za-z0-9_.-]*)[ ]*:(?:[ ]+(.*))?$/
const PLAIN_BAD_START = /^[-?:,[\]{}#&*!|>'"%@`]/

/** YAML 1.2 core schema resolution of a plain scalar, as `yaml` does it. */
function resolvePlain(s: string): Scalar | undefined {
  if (/^(?:~|null|Null|NULL)?$/.test(s)) return null
  if (/^(?:true|True|TRUE)$/.test(s)) return true
  if (/^(?:false|False|FALSE)$/.test(s)) return false
  if (/^[-+]?[0-9]+$/.test(s)) {
    const n = Number(s)
    return Number.isSafeInteger(n) ? n : undefined
  }
  if (/^0o[0-7]+$/.test(s) || /^0x[0-9a-fA-F]+$/.test(s)) return undefined
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return undefined
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s) || /^\.(?:nan|NaN|NAN)$/.test(s)) return undefined
  return s
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  b: '\b',
  f: '\f',
}

/** A one-line scalar token at the start of `text`; returns its value and the rest, or undefined. */
function scalarToken(text: string, inFlow: boolean): { value: Scalar; rest: string } | undefined {
  if (text.startsWith("'")) {
    let out = ''
    for (let i = 1; i < text.length; i++) {
      if (text[i] === "'") {
        if (text[i + 1] === "'") {
          out += "'"
          i++
        } else return { value: out, rest: text.slice(i + 1) }
      } else out += text[i]
    }
    return undefined
  }
  if (text.startsWith('"')) {
    let out = ''
    for (let i = 1; i < text.length; i++) {
      const c = text[i]!
      if (c === '"') return { value: out, rest: text.slice(i + 1) }
      if (c === '\\') {
        const e = text[i + 1]
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          const code = parseInt(text.slice(i + 2, i + 6), 16)
          if (code >= 0xd800 && code <= 0xdfff) return undefined
          out += String.fromCharCode(code)
          i += 5
        } else if (e !== undefined && ESCAPES[e] !== undefined) {
          out += ESCAPES[e]
          i++
        } else return undefined
      } else out += c
    }
    return undefined
  }
  if (PLAIN_BAD_START.test(text)) return undefined
  // A plain scalar runs to a comment (` #`), or in a flow list to `,`/`]`.
  const stop = inFlow ? /\s*[,[\]{}]|\s+#|\s*$/ : /\s+#|\s*$/
  const m = stop.exec(text)!
  const raw = text.slice(0, m.index)
  if (raw === '' || /:(?:\s|$)/.test(raw) || raw.includes('\t') || (inFlow && /[:?]/.test(raw))) return undefined
  const value = resolvePlain(raw)
  return value === undefined ? undefined : { value, rest: text.slice(m.index) }
}

/** Whatever follows a value on its line: nothing, or a comment. */
function onlyComment(rest: string): boolean {
  return /^(?:[ ]+#.*)?[ ]*$/.test(rest)
}

function lineValue(text: string): Scalar | Scalar[] | undefined {
  if (text.startsWith('[')) {
    const items: Scalar[] = []
    let rest = text.slice(1).trimStart()
    if (rest.startsWith(']')) return onlyComment(rest.slice(1)) ? items : undefined
    for (;;) {
      const token = scalarToken(rest, true)
      if (!token) return undefined
      items.push(token.value)
      rest = token.rest.trimStart()
      if (rest.startsWith(',')) rest = rest.slice(1).trimStart()
      else if (rest.startsWith(']')) return onlyComment(rest.slice(1)) ? items : undefined
      else return undefined
      if (rest.startsWith(']')) return onlyComment(rest.slice(1)) ? items : undefined
    }
  }
  const token = scalarToken(text, false)
  return token && onlyComment(token.rest) ? token.value : undefined
}

function isSkippable(line: string): boolean {
  return /^\s*(?:#.*)?$/.test(line)
}

/** Parse a block list starting at `lines[i]`; returns the list and the next line index. */
function blockList(
  lines: string[],
  start: number,
): { value: Scalar[] | Record<string, Scalar>[]; next: number } | undefined {
  const first = /^( *)- /.exec(lines[start]!)
  if (!first) return undefined
  const indent = first[1]!
  const items: (Scalar | Record<string, Scalar>)[] = []
  let i = start
  while (i < lines.length) {
    const line = lines[i]!
    if (isSkippable(line)) {
      i++
      continue
    }
    if (!line.startsWith(`${indent}- `)) break
    const body = line.slice(indent.length + 2)
    const pair = KEY.exec(body)
    if (pair && !body.startsWith('"') && !body.startsWith("'")) {
      const map: Record<string, Scalar> = {}
      const add = (k: string, v: string | undefined): boolean => {
        if (k in map || v === undefined) return false
        const value = lineValue(v)
        if (value === undefined || Array.isArray(value)) return false
        map[k] = value
        return true
      }
      if (!add(pair[1]!, pair[2])) return undefined
      i++
      const inner = `${indent}  `
      while (i < lines.length && lines[i]!.startsWith(inner) && !lines[i]!.startsWith(`${inner} `)) {
        const m = KEY.exec(lines[i]!.slice(inner.length))
        if (!m || !add(m[1]!, m[2])) return undefined
        i++
      }
      items.push(map)
    } else {
      const value = lineValue(body)
      if (value === undefined || Array.isArray(value)) return undefined
      items.push(value)
      i++
    }
  }
  const maps = items.filter((x) => x !== null && typeof x === 'object')
  if (maps.length !== 0 && maps.length !== items.length) return undefined
  return { value: items as Scalar[] | Record<string, Scalar>[], next: i }
}

/** The frontmatter as plain data, or null when it is outside the fast subset. */
export function scanFrontmatter(yaml: string): Record<string, Value> | null {
  if (/[^\x0a\x0d\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/.test(yaml)) return null
  const lines = yaml.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n')
  if (lines.length === 1 && lines[0] === '') return {}
  const out: Record<string, Value> = {}
  let i = 0
  while (i < lines.length) {
    const line = lines[i]!
    if (isSkippable(line)) {
      i++
      continue
    }
    const m = KEY.exec(line)
    if (!m || m[1]! in out || m[1] === '__proto__') return null
    const [, key, text] = m
    if (text === undefined || /^#/.test(text)) {
      // `key:` alone: a block list may follow; otherwise the value is null.
      let j = i + 1
      while (j < lines.length && isSkippable(lines[j]!)) j++
      if (j < lines.length && /^ *- /.test(lines[j]!)) {
        const list = blockList(lines, j)
        if (!list) return null
        out[key!] = list.value
        i = list.next
      } else if (j < lines.length && /^ /.test(lines[j]!)) return null
      else {
        out[key!] = null
        i++
      }
      continue
    }
    const value = lineValue(text)
    if (value === undefined) return null
    out[key!] = value
    i++
    // An indented line after a scalar would continue it (multi-line plain): not ours to read.
    let j = i
    while (j < lines.length && isSkippable(lines[j]!)) j++
    if (j < lines.length && /^ /.test(lines[j]!)) return null
  }
  return out
}
