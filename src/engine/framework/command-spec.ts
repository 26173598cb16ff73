import type { EngineContext } from './context.ts'
import type { Request } from './request.ts'

export interface ParamSpec {
  name: string
  type: 'string' | 'boolean'
  required?: boolean
  /** Boolean flags that also accept `--no-<name>`. */
  negatable?: boolean
  description: string
}

/**
 * One command, self-describing: the CLI builds its parser from `params`, the App and Action check
 * `access` before running it, and `help` prints all of it.
 */
export interface CommandSpec {
  name: string
  /**
   * `orchestrator-api` commands, the `agent tasks` helper spec-kitty's agents call, or kitty's own
   * top-level tools (`kitty reconcile`, `kitty migrate`), which are not part of the contract.
   */
  group: 'orchestrator-api' | 'agent tasks' | 'kitty'
  summary: string
  /** read: anyone may run it; write: it commits, so GitHub surfaces require write permission. */
  access: 'read' | 'write'
  params: ParamSpec[]
  positionals?: { name: string; description: string }[]
  /** False for commands that never touch a repository (contract-version). */
  needsRepository: boolean
  run(ctx: EngineContext, req: Request): Promise<Record<string, unknown>>
}

export const REPO_PARAMS: ParamSpec[] = [
  {
    name: 'repo',
    type: 'string',
    description: 'Repository root (default: $SPECIFY_REPO_ROOT, else the enclosing repository).',
  },
  {
    name: 'branch',
    type: 'string',
    description: 'State branch to read and commit to (default: the checked-out branch).',
  },
  {
    name: 'remote',
    type: 'string',
    description: 'Work on this http(s) git remote instead of a checkout (token from $KITTY_TOKEN or $GITHUB_TOKEN).',
  },
  {
    name: 'quiet',
    type: 'boolean',
    description: 'No progress on stderr (shown only when stderr is a terminal, for fetches, checkouts and merges).',
  },
]

/** Every command that commits also takes an idempotency key (the App passes the webhook delivery id). */
export const IDEMPOTENCY_PARAM: ParamSpec = {
  name: 'idempotency-key',
  type: 'string',
  description: 'Recorded as the Kitty-Delivery trailer; a repeat with the same key changes nothing and answers no_op.',
}

/** The flags a surface accepts for a command: its own, plus the idempotency key for writes. */
export function paramsOf(spec: CommandSpec): ParamSpec[] {
  return spec.access === 'write' && spec.needsRepository ? [...spec.params, IDEMPOTENCY_PARAM] : spec.params
}

export const MISSION_PARAM: ParamSpec = {
  name: 'mission',
  type: 'string',
  required: true,
  description: 'Mission selector: directory slug, mission_id, mid8, or number.',
}
export const WP_PARAM: ParamSpec = {
  name: 'wp',
  type: 'string',
  required: true,
  description: 'Work package id, e.g. WP01.',
}
export const ACTOR_PARAM: ParamSpec = {
  name: 'actor',
  type: 'string',
  required: true,
  description: 'Who is acting (recorded in the commit).',
}
export const POLICY_PARAM: ParamSpec = {
  name: 'policy',
  type: 'string',
  description: 'Orchestrator policy JSON (orchestrator_id, agent_family, approval_mode, …); secrets are refused.',
}
