/**
 * `merge.branch_pattern` (`{mission_slug}-{wp_id}`) as a matcher for pull request head branches. One
 * named group per placeholder: a placeholder given twice would be a duplicate group, which JavaScript
 * refuses to compile, so the settings check and the matcher share this file.
 */

const PLACEHOLDER = /(\{mission_slug\}|\{wp_id\})/
// A Map, not an object literal: a literal part of a pattern named like Object.prototype's members
// (`valueOf`, `constructor`) must never be found as a group.
const GROUPS = new Map([
  ['{mission_slug}', '(?<mission>[A-Za-z0-9][A-Za-z0-9._-]*?)'],
  ['{wp_id}', '(?<wp>WP\\d{1,4})'],
])

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Why `pattern` cannot name WP branches, as a phrase, or null when it can. */
export function branchPatternProblem(pattern: string): string | null {
  const parts = pattern.split(PLACEHOLDER)
  for (const placeholder of GROUPS.keys()) {
    const count = parts.filter((p) => p === placeholder).length
    if (count > 1) return `uses ${placeholder} ${count} times; each placeholder may appear once`
  }
  if (!parts.includes('{wp_id}')) return 'must contain {wp_id}'
  try {
    compileBranchPattern(pattern)
  } catch (err) {
    return `does not compile: ${(err as Error).message.split('\n')[0]}`
  }
  return null
}

export function compileBranchPattern(pattern: string): RegExp {
  const source = pattern
    .split(PLACEHOLDER)
    .map((part) => GROUPS.get(part) ?? escape(part))
    .join('')
  return new RegExp(`^${source}$`)
}

/** Mission and WP a branch names by the pattern; nothing for a branch it does not match or a broken pattern. */
export function matchBranchPattern(branch: string, pattern: string): { mission?: string; wp?: string } {
  if (branchPatternProblem(pattern) !== null) return {}
  const groups = compileBranchPattern(pattern).exec(branch)?.groups
  return {
    ...(groups?.['mission'] ? { mission: groups['mission'] } : {}),
    ...(groups?.['wp'] ? { wp: groups['wp'] } : {}),
  }
}
