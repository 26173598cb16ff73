/**
 * Who may mutate: write, maintain or admin on the repository, as
 * `GET /repos/{owner}/{repo}/collaborators/{user}/permission` answers. Anything else, including an
 * API error or an answer we cannot read, is a refusal: a mutation must never run on a guess.
 */

/** What the permission lookup returned, or why it did not. */
export type PermissionLookup =
  | { ok: true; permission: string | null; roleName: string | null }
  | { ok: false; error: string }

const WRITE_ROLES = new Set(['admin', 'maintain', 'write'])

export function hasWriteAccess(lookup: PermissionLookup): boolean {
  if (!lookup.ok) return false
  // role_name distinguishes maintain and custom roles; `permission` folds maintain into write.
  return WRITE_ROLES.has(lookup.roleName ?? '') || WRITE_ROLES.has(lookup.permission ?? '')
}

/** The refusal, worded for the person who asked. */
export function refusalMessage(login: string, lookup: PermissionLookup): string {
  if (!lookup.ok) {
    return `Could not check @${login}'s permission on this repository (${lookup.error}), so nothing was changed. Try again; if it persists, check the token's access.`
  }
  const has = lookup.roleName ?? lookup.permission ?? 'none'
  return `@${login} has '${has}' access; this command needs write, maintain or admin on the repository. Nothing was changed.`
}
