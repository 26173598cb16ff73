/**
 * The `/kitty` comment commands, self-documenting in Prow's manner: each declares its usage, who may
 * run it and how it becomes an orchestrator-api call. The parser, `/kitty help` and the permission
 * check all read this one table.
 */

/** What a comment command addresses: nothing, a mission, or one WP of a mission. */
export type CommandScope = 'none' | 'mission' | 'wp'

/** `token`: one word; `rest`: the rest of the line, verbatim (notes and reasons); `flag`: no value. */
export type ArgKind = 'token' | 'rest' | 'flag'

export interface CommentOption {
  name: string
  kind: ArgKind
}

export interface CommentPositional {
  name: string
  kind: Exclude<ArgKind, 'flag'>
  required: boolean
}

/** Who wrote the comment and where: what a command needs beyond its words. */
export interface CommentContext {
  /** The commenter's login; recorded as the actor `github:<login>`. */
  author: string
  /** The comment's URL: the reference of a review given by comment. */
  url: string
}

export interface CommentCommand {
  name: string
  usage: string
  summary: string
  /** read: anyone may run it; write: the commenter needs write, maintain or admin on the repository. */
  access: 'read' | 'write'
  /** The orchestrator-api command it runs; null for commands the surface answers itself (help). */
  engine: string | null
  scope: CommandScope
  positional?: CommentPositional
  options: CommentOption[]
  /** The command's own flags, from its parsed words and the comment's context. */
  flags(args: ReadonlyMap<string, string | true>, ctx: CommentContext): Record<string, string | true>
}

const NOTE: CommentOption = { name: 'note', kind: 'rest' }
const TARGET: CommentOption[] = [
  { name: 'mission', kind: 'token' },
  { name: 'wp', kind: 'token' },
]

const text = (args: ReadonlyMap<string, string | true>, name: string): Record<string, string> => {
  const value = args.get(name)
  return typeof value === 'string' ? { [name]: value } : {}
}

/** A review given by comment: the commenter reviewed, the comment is the reference. */
const reviewResult = (ctx: CommentContext, verdict: 'approved' | 'changes_requested') =>
  JSON.stringify({ reviewer: ctx.author, verdict, reference: ctx.url })

export const COMMENT_COMMANDS: readonly CommentCommand[] = [
  {
    name: 'start-review',
    usage: '/kitty start-review [WP]',
    summary: 'Claim the review of the WP: for_review → in_review.',
    access: 'write',
    engine: 'start-review',
    scope: 'wp',
    positional: { name: 'wp', kind: 'token', required: false },
    options: [{ name: 'mission', kind: 'token' }],
    flags: (_args, ctx) => ({ 'review-ref': ctx.url }),
  },
  {
    name: 'transition',
    usage: '/kitty transition <lane> [--force] [--note <text>]',
    summary: 'Move the WP to a lane (the transition table and its guards apply).',
    access: 'write',
    engine: 'transition',
    scope: 'wp',
    positional: { name: 'to', kind: 'token', required: true },
    options: [...TARGET, { name: 'force', kind: 'flag' }, NOTE],
    flags: (args) => ({
      to: args.get('to') as string,
      ...(args.has('force') ? { force: true as const } : {}),
      ...text(args, 'note'),
    }),
  },
  {
    name: 'approve',
    usage: '/kitty approve [--note <text>]',
    summary: 'Approve the WP under review: in_review → approved, with this comment as the review.',
    access: 'write',
    engine: 'transition',
    scope: 'wp',
    options: [...TARGET, NOTE],
    flags: (args, ctx) => ({
      to: 'approved',
      'review-result-json': reviewResult(ctx, 'approved'),
      ...text(args, 'note'),
    }),
  },
  {
    name: 'request-changes',
    usage: '/kitty request-changes [<what to change>]',
    summary: 'Send the WP under review back: in_review → in_progress, with this comment as the review.',
    access: 'write',
    engine: 'transition',
    scope: 'wp',
    positional: { name: 'note', kind: 'rest', required: false },
    options: TARGET,
    flags: (args, ctx) => ({
      to: 'in_progress',
      'review-result-json': reviewResult(ctx, 'changes_requested'),
      ...text(args, 'note'),
    }),
  },
  {
    name: 'block',
    usage: '/kitty block <reason>',
    summary: 'Block the WP, saying why.',
    access: 'write',
    engine: 'transition',
    scope: 'wp',
    positional: { name: 'note', kind: 'rest', required: true },
    options: TARGET,
    flags: (args) => ({ to: 'blocked', ...text(args, 'note') }),
  },
  {
    name: 'note',
    usage: '/kitty note <text>',
    summary: "Add a line to the WP's Activity Log.",
    access: 'write',
    engine: 'append-history',
    scope: 'wp',
    positional: { name: 'note', kind: 'rest', required: true },
    options: TARGET,
    flags: (args) => text(args, 'note'),
  },
  {
    name: 'state',
    usage: '/kitty state',
    summary: "The mission's lanes and WPs.",
    access: 'read',
    engine: 'mission-state',
    scope: 'mission',
    options: [{ name: 'mission', kind: 'token' }],
    flags: () => ({}),
  },
  {
    name: 'ready',
    usage: '/kitty ready',
    summary: 'The WPs ready to start.',
    access: 'read',
    engine: 'list-ready',
    scope: 'mission',
    options: [{ name: 'mission', kind: 'token' }],
    flags: () => ({}),
  },
  {
    name: 'accept',
    usage: '/kitty accept',
    summary: 'Accept the mission once every WP is approved or done.',
    access: 'write',
    engine: 'accept-mission',
    scope: 'mission',
    options: [{ name: 'mission', kind: 'token' }],
    flags: () => ({}),
  },
  {
    name: 'merge',
    usage: '/kitty merge [--strategy merge|squash|rebase]',
    summary: 'Merge every WP branch into the target in dependency order, then mark the WPs done.',
    access: 'write',
    engine: 'merge-mission',
    scope: 'mission',
    options: [
      { name: 'mission', kind: 'token' },
      { name: 'strategy', kind: 'token' },
    ],
    flags: (args) => text(args, 'strategy'),
  },
  {
    name: 'help',
    usage: '/kitty help',
    summary: 'This list.',
    access: 'read',
    engine: null,
    scope: 'none',
    options: [],
    flags: () => ({}),
  },
]

export function findCommentCommand(name: string): CommentCommand | undefined {
  return COMMENT_COMMANDS.find((c) => c.name === name)
}

/** One row of the help table; a `|` inside a cell would end it, so it is escaped. */
export function helpRow(c: CommentCommand): string {
  return [`\`${c.usage}\``, c.summary, c.access === 'write' ? 'write access' : 'anyone']
    .map((cell) => cell.replaceAll('|', '\\|'))
    .join(' | ')
}

/** The answer to `/kitty help`: a Markdown table generated from the registry. */
export function commentHelp(): string {
  const rows = COMMENT_COMMANDS.map((c) => `| ${helpRow(c)} |`)
  return [
    'Commands (one per line, each line starting with `/kitty`). Mission and WP come from the branch',
    '`<mission_slug>-<WP>` of the pull request; `--mission` and `--wp` name others.',
    '',
    '| Command | What it does | Who |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n')
}
