import { KittyError } from '../../core/errors.ts'

/**
 * A push GitHub refuses because of a branch protection rule or a repository ruleset. The report-status
 * line only says `protected branch hook declined` (GH006) or `push declined due to repository rule
 * violations` (GH013); the rule itself (a required pull request, signed commits, linear history) is in
 * the remote's messages. Retrying cannot help, so it is its own refusal, never a lost compare-and-swap.
 */
const PROTECTION_REASON = /protected branch hook declined|declined due to repository rule violations/i
const PROTECTION_MESSAGE = /\bGH006\b|\bGH013\b|Protected branch update failed|Repository rule violations found/i

/** A plain `pre-receive hook declined` is some other hook (a GHES admin's, a test fault): PUSH_FAILED, not this. */
export function isBranchProtection(reason: string, messages: readonly string[] = []): boolean {
  return PROTECTION_REASON.test(reason) || messages.some((m) => PROTECTION_MESSAGE.test(m))
}

/** At most this many of the remote's lines, each cut, travel in the error: they are the remote's words, not ours. */
const MAX_MESSAGES = 12
const MAX_MESSAGE_CHARS = 300

function remoteLines(messages: readonly string[]): string[] {
  return messages
    .map((m) => m.replace(/^remote:\s*/, '').replace(/[\u0000-\u001f\u007f]/g, ''))
    .filter((m) => m.trim() !== '')
    .slice(0, MAX_MESSAGES)
    .map((m) => (m.length > MAX_MESSAGE_CHARS ? `${m.slice(0, MAX_MESSAGE_CHARS)}…` : m))
}

export interface ProtectedPush {
  /** The remote, credentials already hidden. */
  remote: string
  branch: string
  reason: string
  messages?: readonly string[] | undefined
  /** merge-mission pushing the target: it can open a pull request instead. */
  mergeMission?: boolean
}

/** The fixes, in the order an admin would try them; the last only where merge-mission pushed. */
export function protectionFixes(p: Pick<ProtectedPush, 'branch' | 'mergeMission'>): string[] {
  return [
    `add the kitty App (for the Action: the actor its token belongs to) as a bypass actor of the ruleset or branch protection on ${p.branch}`,
    "keep kitty state on a branch of its own that no rule protects (KITTY_STATE_BRANCH in the workflow's or the App's environment, or --branch)",
    ...(p.mergeMission
      ? ['set `merge.via: pull_request` in .github/kitty.yml so merge-mission opens a pull request instead of pushing']
      : []),
  ]
}

export function branchProtectedError(p: ProtectedPush): KittyError {
  const lines = remoteLines(p.messages ?? [])
  const rule = lines.find((l) => /GH0\d\d/.test(l)) ?? p.reason
  const fixes = protectionFixes(p)
  return new KittyError(
    'BRANCH_PROTECTED',
    `${p.remote} refused the push to ${p.branch}: the branch is protected (${rule}). Nothing was changed. ` +
      `Fix: ${fixes.join('; or ')}.`,
    {
      remote: p.remote,
      branch: p.branch,
      reason: p.reason,
      remote_messages: lines,
      fixes,
    },
  )
}
