/**
 * Words the bot did not write (a commenter's, a WP file's, a branch name) inside the Markdown it
 * posts under its own name: replies, check runs, job summaries. GitHub renders that Markdown, then
 * turns `@name` into a notification, `#12`, `owner/repo#12`, `GH-12` and bare commit ids into links,
 * and bare URLs into links; so the text must be inert for the Markdown parser *and* for the text
 * filters that run after it, while it still reads the same. Two layers do that:
 *
 * - every ASCII punctuation mark with a meaning in CommonMark or GitHub's extensions is
 *   backslash-escaped (HTML, links, images, autolinks, emphasis, headings, lists, tables, math), which
 *   renders as the mark itself;
 * - where GitHub's filters look at the rendered text (mentions, references, commit ids, `://`, `www.`),
 *   an invisible U+2060 WORD JOINER is put in, which no escape can do.
 *
 * Line breaks and other control characters become spaces: the words go inside one line the bot built.
 */

/** U+2060 WORD JOINER: zero width, no line break, not a word character for GitHub's filters. */
export const JOINER = '\u2060'

/** The default bound for interpolated prose; a table cell is shorter. */
const MAX_TEXT = 2_000
const MAX_CELL = 200

// Every ASCII mark with a meaning somewhere in CommonMark, GFM or linkify (`/` starts `//host` links).
// Left as typed, for readability: `"',;?%` mean nothing outside syntax these would open.
const MARKUP = /[!#$&()*+\-./:<=>@[\\\]^_`{|}~]/g
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

/** At most `max` UTF-16 units, ending in `…` when cut, never half a surrogate pair. */
function bound(text: string, max: number): string {
  if (text.length <= max) return text
  let keep = Math.max(0, max - 1)
  if (/[\uD800-\uDBFF]/.test(text[keep - 1] ?? '')) keep--
  return `${text.slice(0, keep)}…`
}

function flatten(text: string): string {
  return text.replace(CONTROL, ' ')
}

/** Joiners where GitHub's post-render filters would find a mention, a reference, a commit id or a URL. */
function breakReferences(text: string): string {
  return text
    .replace(/[0-9a-f]{7,}/gi, (run) => (run.match(/.{1,6}/g) ?? [run]).join(JOINER))
    .replace(/\b(gh)-(?=\d)/gi, `$1-${JOINER}`)
    .replace(/:\/\//g, `:${JOINER}//`)
    .replace(/(www)\./gi, `$1${JOINER}.`)
    .replace(/[@#]/g, `$&${JOINER}`)
}

const WORD = /[\p{L}\p{N}]/u

/** `-` and `_` inside a word (`list-ready`, `USAGE_ERROR`) open nothing in CommonMark: left plain to read. */
function inWord(text: string, at: number): boolean {
  return WORD.test(text[at - 1] ?? '') && WORD.test(text[at + 1] ?? '')
}

function escapePlain(text: string): string {
  return breakReferences(text).replace(MARKUP, (mark, at: number, all: string) =>
    (mark === '-' || mark === '_') && inWord(all, at) ? mark : `\\${mark}`,
  )
}

/**
 * Matched backtick code spans (a run of n backticks closed by the next run of exactly n), as
 * CommonMark pairs them; text outside them, unmatched backticks included, in between.
 */
function splitCodeSpans(text: string): Array<{ code: boolean; text: string }> {
  const parts: Array<{ code: boolean; text: string }> = []
  const runs = [...text.matchAll(/`+/g)]
  let from = 0
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i]!
    const close = runs.slice(i + 1).find((r) => r[0].length === open[0].length)
    if (!close) continue
    parts.push({ code: false, text: text.slice(from, open.index) })
    parts.push({ code: true, text: text.slice(open.index + open[0].length, close.index) })
    from = close.index + close[0].length
    i = runs.indexOf(close)
  }
  parts.push({ code: false, text: text.slice(from) })
  return parts
}

export interface EscapeOptions {
  /** The most characters of the input kept (default 2,000); a cut ends in `…`. */
  max?: number
  /**
   * Keep the text's own backtick code spans as code (the engine's messages quote usage that way). A
   * code span is inert on GitHub whatever it holds, so a commenter gains nothing by writing one.
   */
  codeSpans?: boolean
}

/** `text` as Markdown that renders as exactly that text, with nothing in it live. */
export function escapeMarkdown(text: string, options: EscapeOptions = {}): string {
  const flat = flatten(bound(text, options.max ?? MAX_TEXT))
  if (!options.codeSpans) return escapePlain(flat)
  return splitCodeSpans(flat)
    .map((p) => (p.code ? formatInlineCode(p.text) : escapePlain(p.text)))
    .join('')
}

/** A GFM table cell: escaped as prose (`|` included), shorter, and never empty (an empty cell shifts the row). */
export function escapeTableCell(value: unknown, max = MAX_CELL): string {
  return escapeMarkdown(String(value ?? ''), { max }) || ' '
}

/**
 * `text` as one code span: a fence longer than any backtick run inside, so nothing in it can close
 * it. Not for table cells (a `|` inside a code span still ends a GFM cell).
 */
export function formatInlineCode(text: string, max = MAX_TEXT): string {
  const flat = flatten(bound(text, max))
  if (flat === '') return ''
  const fence = '`'.repeat(longestRun(flat) + 1)
  // CommonMark strips one space on each side when both are there: padding keeps an edge backtick (or
  // space) the text's own.
  const pad = /^[` ]|[` ]$/.test(flat) ? ' ' : ''
  return `${fence}${pad}${flat}${pad}${fence}`
}

/** `text` as a fenced code block whose fence no line of `text` can close. */
export function fenceCodeBlock(text: string, info = ''): string {
  // A trailing lone CR would join the closing line's LF into one CRLF line ending and lose a line:
  // every line ending becomes LF first, as CommonMark reads them anyway.
  const lines = text.replace(/\r\n?/g, '\n')
  const fence = '`'.repeat(Math.max(3, longestRun(lines) + 1))
  return `${fence}${info}\n${lines}\n${fence}`
}

function longestRun(text: string): number {
  let longest = 0
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length)
  return longest
}
