/**
 * The runner reads every line of a step's output that starts with `::` as a workflow command
 * (`::set-output`, `::warning`, `::add-mask`, `::stop-commands`). A message that quotes an input (the
 * `command` input when it is not a command, a label, a comment's words) must therefore stay one line
 * that does not start with `::`: line breaks are shown as `\n`, and a leading `::` is moved off the
 * line start. `core.warning` and `core.setFailed` escape their own data; `core.info` writes raw.
 */
export function escapeLogLine(message: string): string {
  const one = message.replace(/\r\n|[\r\n\u0085\u2028\u2029]/g, (m) => (m === '\r' ? '\\r' : '\\n'))
  return one.startsWith('::') ? ` ${one}` : one
}
