/**
 * Commit messages are the event log (docs/design.md#one-commit-per-change): a subject, the note as the body, then one
 * trailer block that `git log --format='%(trailers:key=Kitty-To)'` and `git interpret-trailers` can read.
 */
export const TRAILER_KEYS = [
  'Kitty-Command',
  'Kitty-Mission',
  'Kitty-Mission-Id',
  'Kitty-WP',
  'Kitty-From',
  'Kitty-To',
  'Kitty-Actor',
  'Kitty-Correlation-Id',
  'Kitty-Policy',
  'Kitty-Force',
  'Kitty-Review-Ref',
  'Kitty-Delivery',
  /** Who wrote the files a commit records, when it was not kitty (`kitty reconcile --adopt`). */
  'Kitty-Writer',
  'Kitty-Adopted',
] as const

export type TrailerKey = (typeof TRAILER_KEYS)[number]
export type Trailers = Partial<Record<TrailerKey, string | undefined>>

/** Trailer values live on one line; anything that would break the block is folded to spaces. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\t\v\f\u0085\u2028\u2029]+/g, ' ').trim()
}

export interface CommitMessage {
  subject: string
  body?: string | undefined
  trailers: Trailers
}

export function formatCommitMessage({ subject, body, trailers }: CommitMessage): string {
  const lines = TRAILER_KEYS.filter((k) => trailers[k] !== undefined && oneLine(trailers[k]!) !== '').map(
    (k) => `${k}: ${oneLine(trailers[k]!)}`,
  )
  const note = body?.replace(/\r\n?/g, '\n').trim()
  return [oneLine(subject), note ? note : null, lines.join('\n')].filter((p) => p !== null).join('\n\n') + '\n'
}

/** Read the Kitty-* trailers of a commit message (the last paragraph only, as git does). */
export function parseTrailers(message: string): Trailers {
  const paragraphs = message
    .replace(/\r\n?/g, '\n')
    .trimEnd()
    .split(/\n{2,}/)
  const last = paragraphs.at(-1) ?? ''
  const out: Trailers = {}
  for (const line of last.split('\n')) {
    // The value is the rest of the line, as git reads it, even past a U+2028 or U+2029 (hence the s flag).
    const m = /^(Kitty-[A-Za-z-]+):\s?(.*)/s.exec(line)
    if (m && (TRAILER_KEYS as readonly string[]).includes(m[1]!)) out[m[1] as TrailerKey] = m[2]!
  }
  return out
}

export function commitSubject(message: string): string {
  return message.split('\n', 1)[0] ?? ''
}
