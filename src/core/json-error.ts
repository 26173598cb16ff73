/**
 * V8's JSON.parse messages quote the input ("Unexpected token 'x', "…" is not valid JSON"). Input can
 * hold secrets, so we keep only the position of the failure.
 */
export function describeJsonError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const position = /position \d+(?: \(line \d+ column \d+\))?/.exec(message)?.[0]
  if (position) return `unexpected input at ${position}`
  if (/end of (JSON )?input/i.test(message)) return 'unexpected end of input'
  return 'unparseable input'
}
