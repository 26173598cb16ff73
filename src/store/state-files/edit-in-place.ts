import { isDeepStrictEqual } from 'node:util'
import type { Document, Node, YAMLMap } from 'yaml'
import { Document as YamlDocument, isMap, isSeq, parseDocument } from 'yaml'

/** A frontmatter edit done on the source text: the new text, or null when this shape needs the renderer. */
export type SourceEdit = (source: string, doc: Document, eol: string) => string | null

const ITEM_PREFIX = /^[ \t]*-[ \t]+$/

function lineStart(source: string, pos: number): number {
  return source.lastIndexOf('\n', pos - 1) + 1
}

function lineEndAfter(source: string, pos: number): number {
  const nl = source.indexOf('\n', pos)
  return nl === -1 ? source.length : nl + 1
}

/** Lines appended after the last line of the frontmatter (which may lack its line break). */
function appendLines(source: string, lines: string[], eol: string): string {
  const head = source === '' || source.endsWith('\n') ? source : source + eol
  return head + lines.map((l) => l + eol).join('')
}

function renderNode(node: Node): string[] {
  return new YamlDocument(node)
    .toString({ lineWidth: 0, doubleQuotedAsJSON: true, flowCollectionPadding: false })
    .replace(/\n$/, '')
    .split('\n')
}

/** A new top-level key: one more line at the end, every existing byte left alone. */
export function addKeyInPlace(key: string, value: Node): SourceEdit {
  return (source, doc, eol) => {
    if (
      doc.contents !== null &&
      (!isMap(doc.contents) || (doc.contents as YAMLMap).flow || (doc.contents as YAMLMap).has(key))
    )
      return null
    const [first, ...rest] = renderNode(value)
    if (rest.length > 0 || first === undefined) return null
    return appendLines(source, [`${key}: ${first}`], eol)
  }
}

/**
 * One more item of a top-level list, written as new lines after its last item in that list's own
 * indentation, so nothing before or after it is re-rendered. An empty flow list (`history: []`) turns
 * into the block list it starts; a missing key is added at the end.
 */
export function appendItemInPlace(key: string, item: Node, blockIndent: string): SourceEdit {
  return (source, doc, eol) => {
    if (doc.contents !== null && (!isMap(doc.contents) || (doc.contents as YAMLMap).flow)) return null
    const list = doc.contents === null ? undefined : (doc.contents as YAMLMap).get(key, true)
    const itemLines = (prefix: string) => {
      const [first, ...rest] = renderNode(item)
      return [prefix + first, ...rest.map((l) => ' '.repeat(prefix.length) + l)]
    }
    if (list === undefined) return appendLines(source, [`${key}:`, ...itemLines(`${blockIndent}- `)], eol)
    if (!isSeq(list) || !list.range) return null
    if (list.flow) {
      if (list.items.length > 0) return null
      // `history: []  # c` → `history:  # c`, then the items below it.
      const [start, end] = list.range
      const after = lineEndAfter(source, end)
      const rest = source.slice(end, after).replace(/\r?\n$/, '')
      const keyLine = source.slice(lineStart(source, start), start).trimEnd() + (rest.trim() === '' ? '' : rest)
      const lines = [keyLine, ...itemLines(`${blockIndent}- `)]
      return source.slice(0, lineStart(source, start)) + lines.map((l) => l + eol).join('') + source.slice(after)
    }
    const first = list.items[0] as Node | undefined
    const last = list.items.at(-1) as Node | undefined
    if (!first?.range || !last?.range) return null
    const prefix = source.slice(lineStart(source, first.range[0]), first.range[0])
    if (!ITEM_PREFIX.test(prefix)) return null
    const at = lineEndAfter(source, Math.max(last.range[1] - 1, 0))
    const head = at === source.length && !source.endsWith('\n') ? source + eol : source.slice(0, at)
    return (
      head +
      itemLines(prefix)
        .map((l) => l + eol)
        .join('') +
      source.slice(at)
    )
  }
}

/**
 * Apply source edits one by one; keep the result only if it parses to exactly the data the renderer
 * would have produced (`expected`), else null and the caller re-renders.
 */
export function editInPlace(source: string, edits: SourceEdit[], eol: string, expected: unknown): string | null {
  let text = source
  for (const edit of edits) {
    const doc = parseDocument(text, { uniqueKeys: true, strict: true })
    if (doc.errors.length > 0) return null
    const next = edit(text, doc, eol)
    if (next === null) return null
    text = next
  }
  const check = parseDocument(text, { uniqueKeys: true, strict: true })
  if (check.errors.length > 0 || !isDeepStrictEqual(check.toJS() ?? {}, expected)) return null
  return text
}
