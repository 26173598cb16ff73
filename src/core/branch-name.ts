/**
 * Branch names kitty creates or moves. git's own rules (`git check-ref-format --branch`) decide what
 * can exist under refs/heads/; on top of them, names that would create a ref nobody meant: `HEAD`
 * (refs/heads/HEAD shadows HEAD in every rev lookup) and a full ref name (refs/heads/refs/heads/main).
 */

const FORBIDDEN_CHARACTERS = /[\x00-\x20\x7f~^:?*[\\]/

/** Why `name` cannot name a branch, as a phrase ("contains '..'"), or null when it can. */
export function branchNameProblem(name: string): string | null {
  if (name === '') return 'is empty'
  if (name === 'HEAD') return 'is HEAD, which git reserves for the checked-out commit'
  if (name.startsWith('refs/')) return 'is a full ref name; give the branch name alone (main, not refs/heads/main)'
  if (name.startsWith('-')) return "starts with '-', which git would read as an option"
  if (FORBIDDEN_CHARACTERS.test(name)) return 'contains a space, a control character or one of ~ ^ : ? * [ \\'
  if (name.includes('..')) return "contains '..'"
  if (name.includes('@{')) return "contains '@{'"
  if (name === '@') return "is '@', which git reads as HEAD"
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return "has an empty path component ('/' at an end or '//')"
  if (name.endsWith('.')) return "ends with '.'"
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `has a component starting with '.' (${part})`
    if (part.endsWith('.lock')) return `has a component ending with '.lock' (${part})`
  }
  return null
}
