import type { CommandSpec } from './command-spec.ts'
import { ACTOR_PARAM, MISSION_PARAM, POLICY_PARAM, REPO_PARAMS, WP_PARAM } from './command-spec.ts'

/**
 * What every command declares before it runs: name, group, summary, who may run it, whether it needs a
 * repository, its flags. Parsing, help and access checks read only this, so routing one command evaluates
 * no command module; each module spreads its own entry (`commandMeta`) and adds `run`, so the two never
 * disagree.
 */
export type CommandMeta = Omit<CommandSpec, 'run'>

const DRY_RUN_PARAM = {
  name: 'dry-run',
  type: 'boolean',
  description: 'Say what the commit would change, and commit nothing.',
} as const
const KITTY_ACTOR_PARAM = {
  name: 'actor',
  type: 'string',
  description: 'Who is acting (recorded in the commit; default kitty).',
} as const

/** Every command, once, in the order help lists them. */
export const COMMAND_META: readonly CommandMeta[] = [
  {
    name: 'contract-version',
    group: 'orchestrator-api',
    summary: 'Report the contract version and check a provider version against the minimum supported.',
    access: 'read',
    needsRepository: false,
    params: [{ name: 'provider-version', type: 'string', description: 'Provider version to check (PEP 440).' }],
  },
  {
    name: 'mission-state',
    group: 'orchestrator-api',
    summary: 'Every WP of a mission with its lane, dependencies and last actor, plus a count per lane.',
    access: 'read',
    needsRepository: true,
    params: [MISSION_PARAM, ...REPO_PARAMS],
  },
  {
    name: 'list-ready',
    group: 'orchestrator-api',
    summary: 'Planned WPs whose dependencies are all approved or done.',
    access: 'read',
    needsRepository: true,
    params: [MISSION_PARAM, ...REPO_PARAMS],
  },
  {
    name: 'resolve-workspace',
    group: 'orchestrator-api',
    summary: "Where a WP's workspace and prompt are; writes nothing.",
    access: 'read',
    needsRepository: true,
    params: [MISSION_PARAM, WP_PARAM, ...REPO_PARAMS],
  },
  {
    name: 'start-implementation',
    group: 'orchestrator-api',
    summary: 'Claim a planned WP and move it to in_progress (planned → claimed → in_progress, one commit).',
    access: 'write',
    needsRepository: true,
    params: [MISSION_PARAM, WP_PARAM, ACTOR_PARAM, POLICY_PARAM, ...REPO_PARAMS],
  },
  {
    name: 'start-review',
    group: 'orchestrator-api',
    summary: 'A reviewer claims the review: for_review → in_review (idempotent at in_review).',
    access: 'write',
    needsRepository: true,
    params: [
      MISSION_PARAM,
      WP_PARAM,
      ACTOR_PARAM,
      POLICY_PARAM,
      { name: 'review-ref', type: 'string', description: 'Reference of the review (PR, comment URL).' },
      ...REPO_PARAMS,
    ],
  },
  {
    name: 'transition',
    group: 'orchestrator-api',
    summary: 'Move a WP to another lane, checked against the transition table and its guards.',
    access: 'write',
    needsRepository: true,
    params: [
      MISSION_PARAM,
      WP_PARAM,
      { name: 'to', type: 'string', required: true, description: 'Target lane (doing is accepted for in_progress).' },
      ACTOR_PARAM,
      POLICY_PARAM,
      { name: 'note', type: 'string', description: 'Reason; required with --force and for in_progress → planned.' },
      { name: 'force', type: 'boolean', description: 'Override the table and guards (needs --note).' },
      { name: 'review-ref', type: 'string', description: 'Reference of the review feedback.' },
      {
        name: 'review-result-json',
        type: 'string',
        description: 'Structured review outcome {reviewer, verdict, reference}.',
      },
      { name: 'evidence-json', type: 'string', description: 'Evidence {review: {reviewer, verdict, reference}, …}.' },
      {
        name: 'subtasks-complete',
        type: 'boolean',
        negatable: true,
        description: 'Assert subtasks are complete (tasks.md or the event log decides).',
      },
      {
        name: 'implementation-evidence-present',
        type: 'boolean',
        negatable: true,
        description: 'Assert implementation evidence exists (inferred when absent).',
      },
      ...REPO_PARAMS,
    ],
  },
  {
    name: 'append-history',
    group: 'orchestrator-api',
    summary: "Append a line to a WP's Activity Log and commit it.",
    access: 'write',
    needsRepository: true,
    params: [
      MISSION_PARAM,
      WP_PARAM,
      ACTOR_PARAM,
      { name: 'note', type: 'string', required: true, description: 'The Activity Log text.' },
      ...REPO_PARAMS,
    ],
  },
  {
    name: 'accept-mission',
    group: 'orchestrator-api',
    summary: 'Record acceptance in meta.json once every WP is approved or done.',
    access: 'write',
    needsRepository: true,
    params: [MISSION_PARAM, ACTOR_PARAM, ...REPO_PARAMS],
  },
  {
    name: 'merge-mission',
    group: 'orchestrator-api',
    summary: 'Merge every WP branch into the target in dependency order, then mark the WPs done; one ref move.',
    access: 'write',
    needsRepository: true,
    params: [
      MISSION_PARAM,
      {
        name: 'target',
        type: 'string',
        description: 'Target branch (default: meta merge_target_branch / target_branch, else the state branch).',
      },
      { name: 'strategy', type: 'string', description: 'merge (default), squash or rebase.' },
      {
        name: 'push',
        type: 'boolean',
        description:
          'Push the target to origin once after merging (undone locally if the push fails); implied with --remote.',
      },
      {
        name: 'dry-run',
        type: 'boolean',
        description: 'Run the preflight and trial merges and report the plan; move no ref.',
      },
      {
        name: 'actor',
        type: 'string',
        description: 'Who merges (recorded as merged_by; default: the commit identity).',
      },
      {
        name: 'via',
        type: 'string',
        description:
          'push (move the target) or pull_request (push the merge to kitty/merge/<mission_slug> for one pull request to the target); default merge.via.',
      },
      {
        name: 'merged-commit',
        type: 'string',
        description:
          'Record the mission as merged by this commit (the merge commit of the merged staging pull request): WPs done, one state commit, no merging.',
      },
      ...REPO_PARAMS,
    ],
  },
  {
    name: 'transitions',
    group: 'orchestrator-api',
    summary: 'The current lane of one WP (or all) and every lane it may move to, with what each edge needs.',
    access: 'read',
    needsRepository: true,
    params: [MISSION_PARAM, { name: 'wp', type: 'string', description: 'One WP (default: all).' }, ...REPO_PARAMS],
  },
  {
    name: 'history',
    group: 'orchestrator-api',
    summary:
      'The audit trail: kitty commits on the state branch (for a mission with an event log, also the lines no kitty commit wrote), newest first, filtered by mission, WP or actor.',
    access: 'read',
    needsRepository: true,
    params: [
      { name: 'mission', type: 'string', description: 'Only this mission (any selector).' },
      { name: 'wp', type: 'string', description: 'Only this WP.' },
      { name: 'actor', type: 'string', description: 'Only commits by this actor.' },
      { name: 'limit', type: 'string', description: 'At most this many entries (default 50, max 1000).' },
      { name: 'offset', type: 'string', description: 'Skip this many matching entries first.' },
      ...REPO_PARAMS,
    ],
  },
  {
    name: 'mark-status',
    group: 'agent tasks',
    summary:
      "Tick (or untick) a subtask's checkbox in tasks.md and, where the mission has an event log, record the mark there as upstream does; one commit.",
    access: 'write',
    needsRepository: true,
    positionals: [{ name: 'task_id', description: 'Subtask id, e.g. T012 (several may be given).' }],
    params: [
      MISSION_PARAM,
      { name: 'status', type: 'string', required: true, description: 'done or pending.' },
      { name: 'actor', type: 'string', description: 'Who marks it (default: the commit identity).' },
      ...REPO_PARAMS,
    ],
  },
  {
    name: 'reconcile',
    group: 'kitty',
    summary: "Settle drift between WP files and upstream's event log (status.events.jsonl) in one commit.",
    access: 'write',
    needsRepository: true,
    params: [
      MISSION_PARAM,
      {
        name: 'from',
        type: 'string',
        description: 'Which side wins: events (default, as upstream reads it) or frontmatter.',
      },
      {
        name: 'adopt',
        type: 'boolean',
        description:
          "Commit upstream spec-kitty's uncommitted event log and status.json as they are (one commit; nothing else).",
      },
      KITTY_ACTOR_PARAM,
      DRY_RUN_PARAM,
      ...REPO_PARAMS,
    ],
  },
  {
    name: 'migrate',
    group: 'kitty',
    summary:
      "Move a mission between frontmatter and upstream's event log: --to frontmatter writes WP files for log-only WPs, --to events seeds a log from WP history.",
    access: 'write',
    needsRepository: true,
    params: [
      MISSION_PARAM,
      {
        name: 'to',
        type: 'string',
        required: true,
        description: 'frontmatter (materialise WP files) or events (seed status.events.jsonl).',
      },
      KITTY_ACTOR_PARAM,
      DRY_RUN_PARAM,
      ...REPO_PARAMS,
    ],
  },
]

/** A command module's own declaration, from the table above. */
export function commandMeta(group: CommandSpec['group'], name: string): CommandMeta {
  const meta = COMMAND_META.find((c) => c.group === group && c.name === name)
  if (!meta) throw new Error(`no command ${group} ${name} in COMMAND_META`)
  return meta
}
