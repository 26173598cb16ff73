/**
 * A webhook or workflow event → what it asks of kitty, before any I/O: pure, so the Action and the
 * App route identically and tests need no server. Payloads are untrusted JSON; every field is checked.
 */

/** The pull request an event is about; head fields are null when the payload does not carry them. */
export interface PullRef {
  number: number
  headRef: string | null
  headSha: string | null
}

export type EventIntent =
  | { kind: 'ignore'; reason: string }
  | { kind: 'unroutable'; message: string }
  | { kind: 'comment'; author: string; body: string; url: string; commentId: number; pull: PullRef }
  | {
      kind: 'review'
      reviewer: string
      verdict: 'approved' | 'changes_requested'
      url: string
      reviewId: number
      pull: PullRef
    }
  | { kind: 'merge-label'; sender: string; label: string; pull: PullRef }

type Json = Record<string, unknown>

const obj = (v: unknown): Json | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null)

/** GitHub marks bots by account type; App actors also end in `[bot]`. Their comments are never commands. */
export function isBot(user: Json | null): boolean {
  if (!user) return false
  return user['type'] === 'Bot' || (str(user['login']) ?? '').endsWith('[bot]')
}

function pullOf(pr: Json | null): PullRef | null {
  const number = num(pr?.['number'])
  if (number === null) return null
  const head = obj(pr?.['head'])
  return { number, headRef: str(head?.['ref']), headSha: str(head?.['sha']) }
}

const SUPPORTED = 'issue_comment (created, on a pull request), pull_request_review (submitted), pull_request (labeled)'

/** `merge-label` is returned for any label; the caller compares it with the configured merge label. */
export function readEvent(eventName: string, payload: unknown): EventIntent {
  const p = obj(payload) ?? {}
  const action = str(p['action'])
  switch (eventName) {
    case 'issue_comment': {
      if (action !== 'created') return { kind: 'ignore', reason: `issue_comment.${action ?? '?'} is not a new comment` }
      const comment = obj(p['comment'])
      const issue = obj(p['issue'])
      const user = obj(comment?.['user'])
      if (isBot(user)) return { kind: 'ignore', reason: `comment by the bot ${str(user?.['login']) ?? '?'}` }
      const author = str(user?.['login'])
      const commentId = num(comment?.['id'])
      const number = num(issue?.['number'])
      if (!author || commentId === null || number === null)
        return {
          kind: 'unroutable',
          message: 'The issue_comment payload lacks comment.user.login, comment.id or issue.number.',
        }
      // An issue's comment payload has no head branch: only a pull request names a WP.
      if (!obj(issue?.['pull_request'])) {
        return {
          kind: 'unroutable',
          message: `#${number} is an issue, not a pull request: /kitty commands run on a WP's pull request.`,
        }
      }
      return {
        kind: 'comment',
        author,
        body: typeof comment?.['body'] === 'string' ? (comment['body'] as string) : '',
        url: str(comment?.['html_url']) ?? '',
        commentId,
        pull: { number, headRef: null, headSha: null },
      }
    }
    case 'pull_request_review': {
      if (action !== 'submitted')
        return { kind: 'ignore', reason: `pull_request_review.${action ?? '?'} is not a submitted review` }
      const review = obj(p['review'])
      const user = obj(review?.['user'])
      if (isBot(user)) return { kind: 'ignore', reason: `review by the bot ${str(user?.['login']) ?? '?'}` }
      const state = (str(review?.['state']) ?? '').toLowerCase()
      if (state !== 'approved' && state !== 'changes_requested')
        return { kind: 'ignore', reason: `a '${state || '?'}' review changes no lane` }
      const reviewer = str(user?.['login'])
      const reviewId = num(review?.['id'])
      const pull = pullOf(obj(p['pull_request']))
      if (!reviewer || reviewId === null || !pull)
        return {
          kind: 'unroutable',
          message: 'The pull_request_review payload lacks review.user.login, review.id or pull_request.number.',
        }
      return { kind: 'review', reviewer, verdict: state, url: str(review?.['html_url']) ?? '', reviewId, pull }
    }
    case 'pull_request': {
      if (action !== 'labeled')
        return { kind: 'ignore', reason: `pull_request.${action ?? '?'} is not routed (only labeled)` }
      const label = str(obj(p['label'])?.['name'])
      if (!label) return { kind: 'ignore', reason: 'pull_request.labeled without a label name' }
      const sender = obj(p['sender'])
      if (isBot(sender)) return { kind: 'ignore', reason: `label added by the bot ${str(sender?.['login']) ?? '?'}` }
      const login = str(sender?.['login'])
      const pull = pullOf(obj(p['pull_request']))
      if (!login || !pull)
        return { kind: 'unroutable', message: 'The pull_request payload lacks sender.login or pull_request.number.' }
      return { kind: 'merge-label', sender: login, label, pull }
    }
    default:
      return {
        kind: 'unroutable',
        message: `command: auto cannot route the '${eventName}' event; it routes ${SUPPORTED}. Give an explicit command instead.`,
      }
  }
}
