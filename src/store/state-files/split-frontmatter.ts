/**
 * A WP file's `---` fences, found without YAML: every read splits each WP file, and only writes (and
 * files the scanner declines) need the YAML library behind frontmatter.ts.
 */
import { WpFileInvalidError } from '../../core/errors.ts'

/** A WP file split into its parts; `prefix + yaml + closer + body` is the original text exactly. */
export interface SplitFile {
  bom: string
  opener: string
  yaml: string
  closer: string
  body: string
  eol: '\n' | '\r\n'
}

const FENCE = /^---[ \t]*$/

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from)
  return nl === -1 ? text.length : nl + 1
}

function stripEol(line: string): string {
  return line.replace(/\r?\n$/, '')
}

/** Find the `---` fences. No frontmatter, or an unclosed one, is a broken WP file. */
export function splitFrontmatter(text: string, path: string): SplitFile {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : ''
  const start = bom.length
  const firstEnd = lineEnd(text, start)
  const opener = text.slice(start, firstEnd)
  if (!FENCE.test(stripEol(opener)))
    throw new WpFileInvalidError(path, 'it does not start with a --- frontmatter fence', 1)
  let pos = firstEnd
  let line = 2
  while (pos < text.length) {
    const end = lineEnd(text, pos)
    if (FENCE.test(stripEol(text.slice(pos, end)))) {
      const eol = /\r\n/.test(opener) ? '\r\n' : '\n'
      return { bom, opener, yaml: text.slice(firstEnd, pos), closer: text.slice(pos, end), body: text.slice(end), eol }
    }
    pos = end
    line++
  }
  throw new WpFileInvalidError(path, 'the frontmatter has no closing --- fence', line - 1)
}

export function joinFile(split: SplitFile): string {
  return split.bom + split.opener + split.yaml + split.closer + split.body
}
