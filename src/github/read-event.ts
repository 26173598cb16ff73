/**
 * A webhook or workflow event → what it asks of kitty, before any I/O: pure, so the Action and the
 * App route identically and tests need no server. Payloads are untrusted JSON; every field is checked.
 */

import { hasCommandLine } from './parse-comment.ts'

/** The pull request an event is about; head fields are null when the payload does not carry them. */
export interface PullRef {
  number: number
  headRef: string | null
  headSha: string | null
  /** `owner/name` of the repository the head branch lives in; null when unknown or deleted (a gone fork). */
  headRepo: string | null
}

/** The repository a delivery is about, as the payload names it. */
export interface RepositoryRef {
  owner: string
  name: string
  /** `owner/name`: what a pull request's head repository is compared with. */
  fullName: string
  cloneUrl: string | null
  defaultBranch: string | null
}

/** Everything a surface needs from a payload besides the intent: read here once, checked once. */
export interface EventSource {
  repository: RepositoryRef | null
  /** The App installation that sent the delivery (absent in a workflow's event). */
  installationId: number | null
  /** The issue or pull request a comment was made on: where a `/kitty` line on a plain issue is answered. */
  issueNumber: number | null
}

export interface ReadEvent {
  name: string
  intent: EventIntent
  source: EventSource
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
  | {
      kind: 'merge-label'
      sender: string
      label: string
      pull: PullRef
      /** A bot's label runs nothing; the merge label is still taken off again, so a person can press it. */
      bot: boolean
    }
  | {
      /** A staging pull request of merge.via: pull_request (head `kitty/merge/<mission_slug>`) was closed. */
      kind: 'staging-closed'
      sender: string
      missionSlug: string
      merged: boolean
      /** GitHub's merge commit when merged (the evidence recorded in meta.json). */
      mergeSha: string | null
      pull: PullRef
    }

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
  return {
    number,
    headRef: str(head?.['ref']),
    headSha: str(head?.['sha']),
    headRepo: str(obj(head?.['repo'])?.['full_name']),
  }
}

/** Whether a pull request's head lives outside the repository (a fork, or a head repository gone or unnamed). */
export function isForeignHead(pull: PullRef, repository: RepositoryRef | null): boolean {
  return !repository || !pull.headRepo || pull.headRepo.toLowerCase() !== repository.fullName.toLowerCase()
}

/** Why a comment with no `/kitty` line is ignored: conversation, not a command. */
export const CHAT_REASON = 'a comment without a /kitty line'

/** A comment with no `/kitty` line is conversation, not a command: nothing is asked of kitty. */
export function isChat(intent: EventIntent): boolean {
  return intent.kind === 'comment' && !hasCommandLine(intent.body)
}

/** The webhook's `action` (`created`, `labeled`), for counting deliveries; '' when there is none. */
export function readAction(payload: unknown): string {
  return str(obj(payload)?.['action']) ?? ''
}

function repositoryOf(p: Json): RepositoryRef | null {
  const r = obj(p['repository'])
  const owner = str(obj(r?.['owner'])?.['login'])
  const name = str(r?.['name'])
  if (!owner || !name) return null
  return {
    owner,
    name,
    fullName: str(r?.['full_name']) ?? `${owner}/${name}`,
    cloneUrl: str(r?.['clone_url']),
    defaultBranch: str(r?.['default_branch']),
  }
}

/** The payload read once: the intent, and where it comes from. */
export function readDelivery(eventName: string, payload: unknown): ReadEvent {
  const p = obj(payload) ?? {}
  return {
    name: eventName,
    intent: readEvent(eventName, payload),
    source: {
      repository: repositoryOf(p),
      installationId: num(obj(p['installation'])?.['id']),
      issueNumber: num(obj(p['issue'])?.['number']),
    },
  }
}

/** The events routed here, which the App subscribes to (app.yml's default_events, checked by a test). */
export const ROUTED_EVENTS: readonly string[] = ['issue_comment', 'pull_request', 'pull_request_review']

const SUPPORTED =
  'issue_comment (created, on a pull request), pull_request_review (submitted), pull_request (labeled; closed from kitty/merge/)'

/** The staging branch prefix (src/engine/merge/stage-merge.ts); the mission slug follows it. */
const STAGING = /^kitty\/merge\/([A-Za-z0-9][A-Za-z0-9._-]{0,199})$/

/** A closed pull request matters only when kitty opened it: its head is a staging branch. */
function readClosed(p: Json): EventIntent {
  const pr = obj(p['pull_request'])
  const pull = pullOf(pr)
  const slug = STAGING.exec(pull?.headRef ?? '')?.[1]
  if (!pull || !slug) return { kind: 'ignore', reason: 'pull_request.closed is routed only for kitty/merge/ branches' }
  // Who merged it (a merge queue's bot when the queue did), else whoever closed it.
  const login = str(obj(pr?.['merged_by'])?.['login']) ?? str(obj(p['sender'])?.['login'])
  if (!login) return { kind: 'unroutable', message: 'The pull_request payload lacks sender.login.' }
  const merged = pr?.['merged'] === true
  const sha = str(pr?.['merge_commit_sha'])
  return {
    kind: 'staging-closed',
    sender: login,
    missionSlug: slug,
    merged,
    mergeSha: sha && /^[0-9a-f]{40}$/.test(sha) ? sha : null,
    pull,
  }
}

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
      // Conversation, on an issue or a pull request: the Action's step stays green, the App silent.
      const body = typeof comment?.['body'] === 'string' ? (comment['body'] as string) : ''
      if (!hasCommandLine(body)) return { kind: 'ignore', reason: CHAT_REASON }
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
        body,
        url: str(comment?.['html_url']) ?? '',
        commentId,
        pull: { number, headRef: null, headSha: null, headRepo: null },
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
      if (action === 'closed') return readClosed(p)
      if (action !== 'labeled')
        return { kind: 'ignore', reason: `pull_request.${action ?? '?'} is not routed (only labeled)` }
      const label = str(obj(p['label'])?.['name'])
      if (!label) return { kind: 'ignore', reason: 'pull_request.labeled without a label name' }
      const sender = obj(p['sender'])
      const login = str(sender?.['login'])
      const pull = pullOf(obj(p['pull_request']))
      if (!login || !pull)
        return { kind: 'unroutable', message: 'The pull_request payload lacks sender.login or pull_request.number.' }
      return { kind: 'merge-label', sender: login, label, pull, bot: isBot(sender) }
    }
    default:
      return {
        kind: 'unroutable',
        message: `command: auto cannot route the '${eventName}' event; it routes ${SUPPORTED}. Give an explicit command instead.`,
      }
  }
}
