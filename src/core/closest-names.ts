import { distance } from 'fastest-levenshtein'

/**
 * The names a mistyped one was probably meant to be: case-insensitive edit distance, closest first.
 * Only names within about a third of the input's length count, so a suggestion is a likely typo and
 * not just the least bad of unrelated names.
 */
export function closestNames(input: string, names: readonly string[], limit = 3): string[] {
  const typed = input.trim().toLowerCase()
  if (typed === '') return []
  const bound = Math.max(2, Math.floor(typed.length / 3))
  return rankByDistance(typed, names)
    .filter((r) => r.score <= bound || r.name.toLowerCase().includes(typed))
    .slice(0, limit)
    .map((r) => r.name)
}

/** Every name, closest first, however far (for listing what exists, e.g. missions). */
export function nearestNames(input: string, names: readonly string[], limit = 5): string[] {
  return rankByDistance(input.trim().toLowerCase(), names)
    .slice(0, limit)
    .map((r) => r.name)
}

function rankByDistance(typed: string, names: readonly string[]): { name: string; score: number }[] {
  return [...new Set(names)]
    .map((name) => ({ name, score: distance(typed, name.toLowerCase()) }))
    .sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** " Did you mean 'x'?" (or one of several), or '' when nothing is close. */
export function didYouMean(input: string, names: readonly string[], quote = (s: string) => `'${s}'`): string {
  const close = closestNames(input, names)
  if (close.length === 0) return ''
  return close.length === 1
    ? ` Did you mean ${quote(close[0]!)}?`
    : ` Did you mean one of ${close.map(quote).join(', ')}?`
}
