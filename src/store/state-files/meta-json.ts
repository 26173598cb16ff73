import { applyEdits, modify } from 'jsonc-parser'

/**
 * Edit meta.json without reformatting it: each top-level key is changed in place (jsonc-parser edits),
 * so key order, indentation, unknown keys and the trailing newline survive. A missing file is created
 * with two-space indentation.
 */
export function editMetaJson(text: string | null, changes: Record<string, unknown>): string {
  if (text === null) return `${JSON.stringify(changes, null, 2)}\n`
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  '
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const formattingOptions = {
    insertSpaces: !indent.includes('\t'),
    tabSize: indent.includes('\t') ? 1 : indent.length,
    eol,
  }
  let out = text
  for (const [key, value] of Object.entries(changes)) {
    out = applyEdits(out, modify(out, [key], value, { formattingOptions }))
  }
  return out
}
