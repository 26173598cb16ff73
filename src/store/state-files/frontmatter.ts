import { Document, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq } from 'yaml'
import type { ToStringOptions } from 'yaml'
import { KittyError, WpFileInvalidError } from '../../core/errors.ts'
import type { SourceEdit } from './edit-in-place.ts'
import { addKeyInPlace, appendItemInPlace, editInPlace } from './edit-in-place.ts'
import { preserveUntouchedLines } from './preserve-lines.ts'

import { MAX_WP_FILE_BYTES } from './limits.ts'
import type { SplitFile } from './split-frontmatter.ts'
import { joinFile, splitFrontmatter } from './split-frontmatter.ts'

/**
 * WP frontmatter as a YAML Document, for writes that must keep every byte they do not change, and for
 * the few files the exact scanner (frontmatter-scan.ts) declines. Reads import this module (and `yaml`
 * with it, ~100 KiB to compile) only then: read-mission.ts loads it on use.
 */

/** Bounds that keep a hostile file from costing unbounded time or memory (documented in docs/limits.md). */
export { MAX_WP_FILE_BYTES }
export const MAX_YAML_ALIASES = 100

export interface FrontmatterFile {
  path: string
  split: SplitFile
  doc: Document
  data: Record<string, unknown>
}

export type FrontmatterEdit =
  | { kind: 'set'; key: string; value: string | number | boolean | null }
  | { kind: 'append'; key: string; item: Record<string, string | number | null> }
  | { kind: 'delete'; key: string }

/** Parse a WP file's frontmatter. Anything but a clean YAML mapping is refused with its line number. */
export function parseFrontmatter(text: string, path: string): FrontmatterFile {
  if (Buffer.byteLength(text, 'utf8') > MAX_WP_FILE_BYTES) {
    throw new KittyError('INPUT_TOO_LARGE', `Work package file ${path} is larger than ${MAX_WP_FILE_BYTES} bytes`, {
      path,
      limit_bytes: MAX_WP_FILE_BYTES,
    })
  }
  const split = splitFrontmatter(text, path)
  const doc = parseDocument(split.yaml, { uniqueKeys: true, prettyErrors: true, strict: true })
  const error = doc.errors[0]
  if (error) {
    const line = error.linePos?.[0]?.line
    throw new WpFileInvalidError(path, error.message.split('\n')[0]!, line === undefined ? undefined : line + 1)
  }
  if (doc.contents !== null && !isMap(doc.contents))
    throw new WpFileInvalidError(path, 'the frontmatter is not a YAML mapping', 2)
  let data: unknown
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {}
  } catch (err) {
    throw new WpFileInvalidError(path, `the frontmatter cannot be read (${(err as Error).message})`)
  }
  return { path, split, doc, data: data as Record<string, unknown> }
}

function renderOptions(yamlText: string): ToStringOptions {
  return {
    flowCollectionPadding: false,
    lineWidth: 0,
    indentSeq: /^[\w-]+:[ \t]*\r?\n[ \t]+- /m.test(yamlText),
    doubleQuotedAsJSON: true,
  }
}

/**
 * Strings a YAML 1.1 reader (PyYAML, which spec-kitty itself uses) would turn into something else
 * unless quoted: booleans, nulls, numbers, timestamps, the empty string.
 */
const YAML11_AMBIGUOUS =
  /^(?:|~|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|[-+]?(?:\d[\d_]*)?\.?\d[\d_:]*(?:[eE][-+]?\d+)?|0x[0-9a-fA-F_]+|0o?[0-7_]+|\d{4}-\d\d?-\d\d?(?:[Tt ].*)?|\.(?:inf|Inf|INF|nan|NaN|NAN))$/

function makeScalar(value: string | number | boolean | null, like?: unknown): Scalar {
  const scalar = new Scalar(value)
  if (typeof value === 'string') {
    const likeType = isScalar(like) ? like.type : undefined
    if (likeType === Scalar.QUOTE_DOUBLE || likeType === Scalar.QUOTE_SINGLE) scalar.type = likeType
    else if (YAML11_AMBIGUOUS.test(value)) scalar.type = Scalar.QUOTE_SINGLE
  }
  return scalar
}

function rootMap(doc: Document): YAMLMap {
  if (doc.contents === null) doc.contents = new YAMLMap() as never
  return doc.contents as unknown as YAMLMap
}

function applySet(doc: Document, key: string, value: string | number | boolean | null): void {
  const map = rootMap(doc)
  const node = map.get(key, true)
  if (isScalar(node)) {
    // Mutating the node keeps its quote style and trailing comment (`lane: "done"  # …`).
    if (typeof value === 'string' && node.type === Scalar.PLAIN && YAML11_AMBIGUOUS.test(value)) {
      node.type = Scalar.QUOTE_SINGLE
    }
    node.value = value
  } else map.set(key, makeScalar(value, node))
}

/** Append `item` to the list at `key` (made a block list), in the style of its last item; returns the new item. */
function applyAppend(doc: Document, key: string, item: Record<string, string | number | null>): YAMLMap {
  const map = rootMap(doc)
  const existing: unknown = map.get(key, true)
  let list: YAMLSeq
  if (isSeq(existing)) list = existing
  else {
    list = new YAMLSeq()
    map.set(key, list)
  }
  if (list.flow) list.flow = false
  const previous = list.items.at(-1)
  const entry = new YAMLMap()
  if (isMap(previous)) entry.flow = previous.flow ?? false
  for (const [k, v] of Object.entries(item)) {
    entry.set(k, makeScalar(v, isMap(previous) ? previous.get(k, true) : undefined))
  }
  list.items.push(entry)
  return entry
}

interface Splice {
  start: number
  end: number
  text: string
}

/**
 * A `set` on a key whose value is a one-line scalar is done on the source text itself: only the value's
 * bytes change, so spacing before a trailing comment and the quote style survive exactly.
 */
function scalarSplice(doc: Document, source: string, edit: FrontmatterEdit): Splice | null {
  if (edit.kind !== 'set' || !isMap(doc.contents)) return null
  const node = (doc.contents as YAMLMap).get(edit.key, true)
  if (!isScalar(node) || !node.range) return null
  const [start, end] = node.range
  const old = source.slice(start, end)
  if (old === '' || /[\r\n]/.test(old)) return null
  const scalar = makeScalar(edit.value, node)
  if (node.type === Scalar.PLAIN && typeof edit.value === 'string' && YAML11_AMBIGUOUS.test(edit.value)) {
    scalar.type = Scalar.QUOTE_SINGLE
  }
  const rendered = new Document(scalar).toString({ lineWidth: 0, doubleQuotedAsJSON: true }).replace(/\n$/, '')
  if (/[\r\n]/.test(rendered) || rendered.startsWith('---')) return null
  return { start, end, text: rendered }
}

/**
 * Apply edits to the frontmatter and return the new YAML text. Lines the edit does not touch keep
 * their exact bytes, including comments, quoting, spacing and CRLF endings.
 */
export function editFrontmatterYaml(file: FrontmatterFile, edits: FrontmatterEdit[]): string {
  const deletes = edits.filter((e) => e.kind === 'delete').map((e) => e.key)
  const kept = edits.filter((e) => e.kind !== 'delete')
  const edited = kept.length > 0 ? setAndAppend(file, kept) : file.split.yaml
  return deletes.reduce((source, key) => deleteKey(source, key, file.split.eol), edited)
}

function setAndAppend(file: FrontmatterFile, edits: FrontmatterEdit[]): string {
  let source = file.split.yaml
  const splices: Splice[] = []
  const rest: FrontmatterEdit[] = []
  for (const edit of edits) {
    const splice = scalarSplice(file.doc, source, edit)
    if (splice) splices.push(splice)
    else rest.push(edit)
  }
  for (const s of splices.sort((a, b) => b.start - a.start))
    source = source.slice(0, s.start) + s.text + source.slice(s.end)
  if (rest.length === 0) return source

  const original = parseDocument(source, { uniqueKeys: true, strict: true })
  const options = renderOptions(source)
  const doc = original.clone()
  const inPlace: SourceEdit[] = []
  for (const edit of rest) {
    if (edit.kind === 'set') {
      applySet(doc, edit.key, edit.value)
      inPlace.push(addKeyInPlace(edit.key, makeScalar(edit.value)))
    } else if (edit.kind === 'append')
      inPlace.push(appendItemInPlace(edit.key, applyAppend(doc, edit.key, edit.item), options.indentSeq ? '  ' : ''))
  }
  // New keys and list items are written as new lines, so every existing byte stays; only shapes the
  // source edits do not cover are re-rendered and carried back line by line.
  const direct = editInPlace(source, inPlace, file.split.eol, doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {})
  if (direct !== null) return direct
  const base = original.toString(options)
  const edited = doc.toString(options)
  const toLines = (s: string): string[] => (s === '' ? [] : s.replace(/\r?\n$/, '').split(/\r?\n/))
  const lines = preserveUntouchedLines(toLines(source), toLines(base), toLines(edited))
  const eol = file.split.eol
  return lines.length === 0 ? '' : lines.join(eol) + eol
}

const TOP_LEVEL_LINE = /^\S/

/**
 * Remove a top-level key: its line and any indented lines of its value go, every other byte stays.
 * Should the text say something the line cut cannot isolate (a flow mapping, a key spelt in quotes),
 * the YAML is re-rendered without the key, untouched lines carried back as for other edits.
 */
function deleteKey(source: string, key: string, eol: string): string {
  const original = parseDocument(source, { uniqueKeys: true, strict: true })
  const before = (original.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {}) as Record<string, unknown>
  if (!Object.hasOwn(before, key)) return source
  const { [key]: _gone, ...expected } = before
  const lines = source.split(/(?<=\n)/)
  const at = lines.findIndex((l) => l.startsWith(`${key}:`))
  if (at !== -1) {
    let end = at + 1
    while (end < lines.length && !TOP_LEVEL_LINE.test(lines[end]!)) end++
    const cut = [...lines.slice(0, at), ...lines.slice(end)].join('')
    const after = parseDocument(cut, { uniqueKeys: true, strict: true })
    if (after.errors.length === 0 && JSON.stringify(after.toJS() ?? {}) === JSON.stringify(expected)) return cut
  }
  const options = renderOptions(source)
  const doc = original.clone()
  rootMap(doc).delete(key)
  const toLines = (s: string): string[] => (s === '' ? [] : s.replace(/\r?\n$/, '').split(/\r?\n/))
  const kept = preserveUntouchedLines(
    toLines(source),
    toLines(original.toString(options)),
    toLines(doc.toString(options)),
  )
  return kept.length === 0 ? '' : kept.join(eol) + eol
}

/** The whole file with edited frontmatter and, optionally, a new body. */
export function renderWpFile(file: FrontmatterFile, edits: FrontmatterEdit[], body = file.split.body): string {
  const yaml = edits.length > 0 ? editFrontmatterYaml(file, edits) : file.split.yaml
  return joinFile({ ...file.split, yaml, body })
}
