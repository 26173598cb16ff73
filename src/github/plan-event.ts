import type { ErrorCode } from '../core/errors.ts'
import type { KittyConfig } from '../engine/config/config.ts'
import { findCommand } from '../engine/framework/registry.ts'
import { commentHelp } from './comment-commands.ts'
import type { PermissionLookup } from './check-permission.ts'
import { hasWriteAccess, refusalMessage } from './check-permission.ts'
import { parseComment, targetFromBranch } from './parse-comment.ts'
import type { EventIntent, PullRef, RepositoryRef } from './read-event.ts'
import { isForeignHead } from './read-event.ts'

/**
 * A routed event → the engine calls it asks for, in order. Pure (Kodiak's evaluation step): the I/O
 * entrypoint gathers the pull request and the permission, this decides.
 */

/** One thing to do for an event: run an engine command, answer with text, or answer with an error. */
export type PlannedStep =
  | {
      kind: 'run'
      /** What the person did, for humans: `/kitty approve`, `review (approved)`, `label kitty:merge`. */
      label: string
      command: string
      /** The command's own arguments, as the CLI would take them (flag values only). */
      args: string[]
      access: 'read' | 'write'
      /** Recorded as Kitty-Delivery: the same comment line or review never applies twice. */
      idempotencyKey: string | undefined
    }
  | { kind: 'reply'; label: string; command: 'help'; markdown: string }
  | {
      kind: 'refuse'
      label: string
      command: string
      code: ErrorCode
      message: string
      /** Answered nowhere on GitHub (a plain code review on a branch that names no WP). */
      quiet?: true
    }

export interface PlanOptions {
  config: KittyConfig
  /** The recorded policy of a person (docs/design.md#a-person-on-github-has-no-policy), as JSON. */
  policyJson: string
  /** The repository the event was delivered for: a pull request whose head lives elsewhere is a fork's. */
  repository: RepositoryRef | null
}

/**
 * Why nothing is taken from a fork's branch name, as Prow's trust gate does for forks: whoever owns the
 * fork names its branch, so `<mission>-WP03` there says nothing about WP03, and its code is not the WP's.
 */
function forkRefusal(pull: PullRef, repository: RepositoryRef | null): string {
  const head = pull.headRepo ? `another repository (${pull.headRepo})` : 'a repository that no longer exists'
  const base = repository ? `, not ${repository.fullName}` : ''
  return (
    `This pull request's branch lives in ${head}${base}: kitty takes no ` +
    "mission or WP from a fork's branch name and runs no write on its pull request. Move the WP on its own " +
    'pull request; reads still work with --mission and --wp named (e.g. /kitty state --mission <slug>).'
  )
}

/** The login whose permission a write needs. */
export function actorOf(intent: EventIntent): string | null {
  switch (intent.kind) {
    case 'comment':
      return intent.author
    case 'review':
      return intent.reviewer
    case 'merge-label':
      return intent.sender
    // GitHub itself merged it, after its own rules (and perhaps a merge queue bot): no person to check.
    default:
      return null
  }
}

function withPolicy(command: string, args: string[], policyJson: string): string[] {
  const spec = findCommand('orchestrator-api', command)
  return spec?.params.some((p) => p.name === 'policy') ? [...args, `--policy=${policyJson}`] : args
}

/** The steps for an event whose pull request is known (`pull.headRef` filled in when there is one). */
export function planEvent(intent: EventIntent, pull: PullRef | null, options: PlanOptions): PlannedStep[] {
  const pattern = options.config.merge.branch_pattern
  switch (intent.kind) {
    case 'ignore':
      return []
    case 'unroutable':
      return [{ kind: 'refuse', label: 'event', command: 'unknown', code: 'USAGE_ERROR', message: intent.message }]
    case 'comment': {
      const fork = pull && isForeignHead(pull, options.repository) ? forkRefusal(pull, options.repository) : null
      const lines = parseComment(intent.body, {
        author: intent.author,
        url: intent.url,
        headBranch: fork === null ? (pull?.headRef ?? null) : null,
        branchPattern: pattern,
        ...(fork === null ? {} : { noBranch: fork }),
      })
      if (lines.length === 0) {
        return [
          {
            kind: 'refuse',
            label: 'comment',
            command: 'unknown',
            code: 'USAGE_ERROR',
            message: 'The comment has no line starting with /kitty. Try /kitty help.',
          },
        ]
      }
      return lines.map((line): PlannedStep => {
        const label = line.source.trim().slice(0, 80)
        if (line.kind === 'error')
          return { kind: 'refuse', label, command: 'unknown', code: 'USAGE_ERROR', message: line.message }
        if (line.command.engine === null) return { kind: 'reply', label, command: 'help', markdown: commentHelp() }
        if (fork !== null && line.command.access === 'write')
          return { kind: 'refuse', label, command: line.command.engine, code: 'USAGE_ERROR', message: fork }
        return {
          kind: 'run',
          label,
          command: line.command.engine,
          args: withPolicy(line.command.engine, line.argv.slice(2), options.policyJson),
          access: line.command.access,
          idempotencyKey: `github-comment:${intent.commentId}:${line.line}`,
        }
      })
    }
    case 'review': {
      const label = `review (${intent.verdict}) by @${intent.reviewer}`
      const target = targetFromBranch(pull?.headRef ?? null, pattern)
      if (!target.mission || !target.wp) return [{ ...missingWp(label, pull, pattern), quiet: true }]
      // A review of a fork whose branch merely looks like a WP's: said why, since the reviewer meant the WP.
      if (pull && isForeignHead(pull, options.repository))
        return [
          {
            kind: 'refuse',
            label,
            command: 'transition',
            code: 'USAGE_ERROR',
            message: forkRefusal(pull, options.repository),
          },
        ]
      const result = JSON.stringify({ reviewer: intent.reviewer, verdict: intent.verdict, reference: intent.url })
      const args = [
        `--mission=${target.mission}`,
        `--wp=${target.wp}`,
        `--to=${intent.verdict === 'approved' ? 'approved' : 'in_progress'}`,
        `--actor=github:${intent.reviewer}`,
        `--review-result-json=${result}`,
        ...(intent.url ? [`--review-ref=${intent.url}`] : []),
      ]
      return [
        {
          kind: 'run',
          label,
          command: 'transition',
          args: withPolicy('transition', args, options.policyJson),
          access: 'write',
          idempotencyKey: `github-review:${intent.reviewId}`,
        },
      ]
    }
    case 'staging-closed': {
      const label = `pull request #${intent.pull.number} ${intent.merged ? 'merged' : 'closed'} by @${intent.sender}`
      // Only a branch kitty pushes to this repository: a fork may name its branch kitty/merge/… too.
      if (isForeignHead(pull ?? intent.pull, options.repository)) return []
      if (!intent.merged) {
        return [
          {
            kind: 'reply',
            label,
            command: 'help',
            markdown:
              `Closed without merging: mission \`${intent.missionSlug}\` stays approved and nothing was recorded. ` +
              `Label a pull request of the mission with the merge label again to rebuild the staging branch.`,
          },
        ]
      }
      if (!intent.mergeSha)
        return [
          {
            kind: 'refuse',
            label,
            command: 'merge-mission',
            code: 'USAGE_ERROR',
            message: 'The merged pull request names no merge_commit_sha: nothing recorded.',
          },
        ]
      return [
        {
          kind: 'run',
          label,
          command: 'merge-mission',
          args: [
            `--mission=${intent.missionSlug}`,
            `--merged-commit=${intent.mergeSha}`,
            `--actor=github:${intent.sender}`,
          ],
          access: 'write',
          // The pull request and its merge: a redelivered close event, or two replicas, record once.
          idempotencyKey: `github-pull-merged:${intent.pull.number}:${intent.mergeSha}`,
        },
      ]
    }
    case 'merge-label': {
      const label = `label ${intent.label} by @${intent.sender}`
      if (pull && isForeignHead(pull, options.repository))
        return [
          {
            kind: 'refuse',
            label,
            command: 'merge-mission',
            code: 'USAGE_ERROR',
            message: forkRefusal(pull, options.repository),
          },
        ]
      // A WP branch names its mission; a mission's own pull request branch is the mission slug itself.
      const mission = targetFromBranch(pull?.headRef ?? null, pattern).mission ?? pull?.headRef ?? null
      if (!mission) return [missingWp(label, pull, pattern)]
      return [
        {
          kind: 'run',
          label,
          command: 'merge-mission',
          args: [`--mission=${mission}`, `--actor=github:${intent.sender}`],
          access: 'write',
          idempotencyKey: undefined,
        },
      ]
    }
  }
}

function missingWp(label: string, pull: PullRef | null, pattern: string): PlannedStep & { kind: 'refuse' } {
  const branch = pull?.headRef ? `the branch '${pull.headRef}'` : 'the pull request branch'
  return {
    kind: 'refuse',
    label,
    command: 'transition',
    code: 'USAGE_ERROR',
    message: `${branch} does not name a WP: name WP branches ${pattern} (e.g. 012-my-mission-WP01).`,
  }
}

/** Whether any step needs the permission lookup (reads are open; no lookup, no API call). */
export function needsPermission(steps: readonly PlannedStep[]): boolean {
  return steps.some((s) => s.kind === 'run' && s.access === 'write')
}

/** Writes by someone without write access become refusals; nothing else changes. */
export function authorize(
  steps: readonly PlannedStep[],
  login: string,
  lookup: PermissionLookup | null,
): PlannedStep[] {
  if (lookup !== null && hasWriteAccess(lookup)) return [...steps]
  const denied = lookup ?? { ok: false as const, error: 'no permission lookup was made' }
  return steps.map((s) =>
    s.kind === 'run' && s.access === 'write'
      ? {
          kind: 'refuse',
          label: s.label,
          command: s.command,
          code: 'PERMISSION_DENIED',
          message: refusalMessage(login, denied),
        }
      : s,
  )
}
