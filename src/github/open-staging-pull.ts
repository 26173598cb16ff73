import type { Board } from '../core/build-board.ts'
import type { Envelope } from '../core/envelope.ts'
import { escapeMarkdown, escapeTableCell, formatInlineCode } from './escape-markdown.ts'
import type { GithubApi } from './github-api.ts'
import { describeApiError } from './github-api.ts'
import { renderBoardMarkdown } from './render-board-markdown.ts'
import { completedCheckRun, MAX_FIELD_CHARS, renderOutcome } from './render-outcome.ts'

/**
 * The REST half of merge-mission with `merge.via: pull_request` (the engine pushed the staging
 * branch; see src/engine/merge/stage-merge.ts): open the one pull request from it to the target, or
 * update the one already open, put the `kitty/merge-mission` check run on its head, and optionally
 * enable auto-merge. Looked up by head branch first, so a redelivered label or a second replica finds
 * the pull request the first one opened instead of opening another.
 */

/** A pull request head kitty opens: the branch prefix the close event is routed by. */
export const STAGING_PREFIX = 'kitty/merge/'

export interface StagedPlan {
  head: string
  base: string
  title: string
  stagingCommit: string
  workPackages: Array<Record<string, unknown>>
}

/** The staging plan in a merge-mission envelope, or null when there is none (push mode, dry run, failure). */
export function stagedPlanOf(envelope: Envelope): StagedPlan | null {
  const d = envelope.data
  const pr = d['pull_request'] as Record<string, unknown> | null | undefined
  if (!envelope.success || d['via'] !== 'pull_request' || !pr || typeof pr !== 'object') return null
  const head = pr['head']
  const base = pr['base']
  const title = pr['title']
  const commit = d['staging_commit']
  if (typeof head !== 'string' || !head.startsWith(STAGING_PREFIX) || typeof base !== 'string') return null
  if (typeof title !== 'string' || typeof commit !== 'string') return null
  const wps = Array.isArray(pr['work_packages']) ? (pr['work_packages'] as Array<Record<string, unknown>>) : []
  return { head, base, title, stagingCommit: commit, workPackages: wps }
}

const text = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : '—')

/** The pull request's body: every interpolated word escaped (WP titles and reviewers are anyone's text). */
export function stagingPullBody(plan: StagedPlan, envelope: Envelope, board: Board | null | undefined): string {
  const d = envelope.data
  const rows = plan.workPackages.map(
    (wp, i) =>
      `| ${i + 1} | ${escapeTableCell(wp['wp_id'])} | ${escapeTableCell(text(wp['title']))} | ` +
      `${escapeTableCell(text(wp['outcome']))} | ${escapeTableCell(text(wp['review_status']))} | ` +
      `${escapeTableCell(text(wp['reviewed_by']))} | ${escapeTableCell(text(wp['review_ref']))} |`,
  )
  const alreadyMerged = Array.isArray(d['already_merged_wps']) ? (d['already_merged_wps'] as string[]) : []
  const lines = [
    `kitty built this merge of mission ${formatInlineCode(String(d['mission_slug'] ?? ''))} into ` +
      `${formatInlineCode(plan.base)} (${escapeMarkdown(String(d['strategy'] ?? 'merge'))}, in dependency order) on ` +
      `${formatInlineCode(plan.head)}. Merging this pull request records every WP as done; closing it ` +
      'without merging leaves the mission approved. Label the mission again to rebuild it on a moved target.',
    '',
    '### Work packages, in merge order',
    '',
    '| # | WP | title | merge | review | reviewed by | review |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '### Preflight',
    '',
    `Passed: every WP approved or done, every branch present, no dependency cycle, each branch merging cleanly onto ${formatInlineCode(plan.base)}.`,
    ...(alreadyMerged.length > 0 ? [`Already in the target: ${escapeMarkdown(alreadyMerged.join(', '))}.`] : []),
  ]
  if (board) lines.push('', '### Board', '', renderBoardMarkdown(board, { maxChars: 40_000 }))
  const body = lines.join('\n')
  return body.length <= MAX_FIELD_CHARS ? body : `${body.slice(0, MAX_FIELD_CHARS - 40)}\n\n… (cut at GitHub's limit)`
}

export interface OpenedPull {
  number: number
  url: string | null
  /** False when an open pull request from the staging branch was found and updated. */
  created: boolean
  auto_merge: 'enabled' | 'failed' | null
}

/**
 * Open or update the staging pull request and mark its head; never throws for the check run or
 * auto-merge (warned), but does when no pull request could be opened: the surface then reports it.
 */
export async function openStagingPull(
  api: GithubApi,
  owner: string,
  plan: StagedPlan,
  envelope: Envelope,
  options: { board?: Board | null | undefined; autoMerge?: 'merge' | 'squash' | 'rebase' | undefined },
  warn: (message: string) => void,
): Promise<OpenedPull> {
  if (!api.pulls) throw new Error('this surface cannot open pull requests')
  const body = stagingPullBody(plan, envelope, options.board)
  const pulls = api.pulls
  const update = async (number: number) => ({
    ...(await pulls.update(number, { title: plan.title, body })),
    created: false,
  })
  const existing = await pulls.findOpen(`${owner}:${plan.head}`, plan.base)
  const pull = existing
    ? await update(existing.number)
    : await pulls.create({ head: plan.head, base: plan.base, title: plan.title, body }).then(
        (created) => ({ ...created, created: true }),
        async (err: unknown) => {
          // Another replica opened it between our lookup and our create: GitHub answers 422; use that one.
          if ((err as { status?: number }).status !== 422) throw err
          const theirs = await pulls.findOpen(`${owner}:${plan.head}`, plan.base)
          if (!theirs) throw err
          return update(theirs.number)
        },
      )
  const rendered = renderOutcome({ command: 'merge-mission', envelope, label: `pull request #${pull.number}` })
  await api
    .createCheckRun(completedCheckRun(rendered, plan.stagingCommit))
    .catch((err: unknown) => warn(`Could not create the check run kitty/merge-mission: ${describeApiError(err)}`))
  let autoMerge: OpenedPull['auto_merge'] = null
  if (options.autoMerge && pull.nodeId) {
    autoMerge = await api.pulls
      .enableAutoMerge(pull.nodeId, options.autoMerge)
      .then(() => 'enabled' as const)
      .catch((err: unknown) => {
        warn(`Could not enable auto-merge on #${pull.number}: ${describeApiError(err)}`)
        return 'failed' as const
      })
  }
  return { number: pull.number, url: pull.url, created: pull.created, auto_merge: autoMerge }
}
