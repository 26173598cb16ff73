import { DEFAULT_CONFIG } from '../engine/config/config.ts'
import { parseComment } from './parse-comment.ts'

/**
 * A comment with no `/kitty` line is conversation, not a command: the Action and the App both leave it
 * alone (no API call, no answer, a green step), so a workflow without an `if:` does not turn every
 * ordinary comment red. Whether a line is a command does not depend on the branch, so defaults suffice.
 */
export function isChat(eventName: string, payload: unknown): boolean {
  if (eventName !== 'issue_comment') return false
  const body = (payload as { comment?: { body?: unknown } } | null)?.comment?.body
  return (
    parseComment(typeof body === 'string' ? body : '', {
      author: '',
      url: '',
      headBranch: null,
      branchPattern: DEFAULT_CONFIG.merge.branch_pattern,
    }).length === 0
  )
}

export const CHAT_REASON = 'a comment without a /kitty line'
