/**
 * Append a line to a WP body's `## Activity Log` section, touching nothing else: the line goes after
 * the section's last non-blank line, in the file's own line ending. Without a section, one is added at
 * the end (docs/upstream-contract.md#activity-log-lines, minus v1's whitespace normalisation).
 */
export function appendActivityLog(body: string, entry: string, eol: '\n' | '\r\n'): string {
  const lines = body.split(/(?<=\n)/)
  const heading = lines.findIndex((l) => /^##\s+Activity Log\s*$/i.test(l.replace(/\r?\n$/, '')))
  if (heading === -1) {
    const base = body === '' || body.endsWith('\n') ? body : body + eol
    const gap = base.trim() === '' ? '' : eol
    return `${base}${gap}## Activity Log${eol}${eol}${entry}${eol}`
  }
  let end = lines.length
  for (let i = heading + 1; i < lines.length; i++) {
    if (/^#{1,2}\s/.test(lines[i]!)) {
      end = i
      break
    }
  }
  let last = heading
  for (let i = heading + 1; i < end; i++) if (lines[i]!.trim() !== '') last = i
  const anchor = lines[last]!
  const terminated = anchor.endsWith('\n') ? anchor : anchor + eol
  const insert = last === heading ? `${eol}${entry}${eol}` : `${entry}${eol}`
  return [...lines.slice(0, last), terminated, insert, ...lines.slice(last + 1)].join('')
}
