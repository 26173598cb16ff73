import { matchBranchPattern } from '../core/branch-pattern.ts'
import { LANES, normalizeLane } from '../core/lanes.ts'
import { findCommand } from '../engine/framework/registry.ts'
import type { CommentCommand, CommentContext } from './comment-commands.ts'
import { COMMENT_COMMANDS, findCommentCommand } from './comment-commands.ts'

/**
 * A pull-request comment → the orchestrator-api calls it asks for. Pure: no I/O, no shell. Words the
 * commenter typed only ever become flag *values* (`--note=<text>`), never flag names or commands, so
 * no comment can reach an option its command does not declare.
 */

/** GitHub refuses longer comment bodies; anything past this is not read. */
export const MAX_BODY_CHARS = 65_536
/** Commands run per comment; more are refused, not silently dropped. */
export const MAX_COMMANDS = 10

export interface ParseContext extends CommentContext {
  /** The pull request's head branch, where mission and WP come from by default. */
  headBranch: string | null
  /** `merge.branch_pattern` of .github/kitty.yml, e.g. `{mission_slug}-{wp_id}`. */
  branchPattern: string
  /** Why no target is taken from the branch (a fork's pull request), when that is the reason. */
  noBranch?: string
}

export type ParsedLine =
  | { kind: 'command'; line: number; source: string; command: CommentCommand; argv: string[] }
  | { kind: 'error'; line: number; source: string; message: string }

const COMMAND_LINE = /^ {0,3}\/kitty(?=\s|$)/i
const FENCE = /^ {0,3}(`{3,}|~{3,})/
const WP_ID = /^wp\d{1,4}$/i

class CommentUsageError extends Error {}

/**
 * The comment's lines as a reader sees them: fenced code is kept apart (commands there are examples)
 * and HTML comments (`<!-- … -->`, across lines, unterminated = to the end) are removed, so no hidden
 * text can be, or add words to, a command. A line that begins inside an HTML comment is never a command.
 */
export function visibleLines(body: string): Array<{ text: string; command: boolean }> {
  const out: Array<{ text: string; command: boolean }> = []
  let fence: string | null = null
  let hidden = false
  for (const source of body.slice(0, MAX_BODY_CHARS).split(/\r\n|\r|\n/)) {
    const startsHidden = hidden
    const opener = hidden ? undefined : FENCE.exec(source)?.[1]
    if (opener !== undefined) {
      // A fence closes with at least as many of the same character; commands inside are examples.
      if (fence === null) fence = opener
      else if (opener[0] === fence[0] && opener.length >= fence.length) fence = null
      out.push({ text: source, command: false })
      continue
    }
    if (fence !== null) {
      out.push({ text: source, command: false })
      continue
    }
    let text = ''
    let at = 0
    while (at < source.length) {
      if (hidden) {
        // `<!-->` and `<!--->` close at once, as GitHub renders them: the search starts inside the opener.
        const close = source.indexOf('-->', at)
        if (close < 0) break
        hidden = false
        at = close + 3
      } else {
        const open = source.indexOf('<!--', at)
        text += source.slice(at, open < 0 ? undefined : open)
        if (open < 0) break
        hidden = true
        at = open + 2
      }
    }
    out.push({ text, command: !startsHidden && COMMAND_LINE.test(text) })
  }
  return out
}

/** Whether a comment holds any `/kitty` line at all: without one it is conversation, not a command. */
export function hasCommandLine(body: string): boolean {
  return visibleLines(body).some((l) => l.command)
}

/** Every `/kitty` line of a comment, in order: a command to run or an error to answer with. */
export function parseComment(body: string, ctx: ParseContext): ParsedLine[] {
  const out: ParsedLine[] = []
  let commands = 0
  for (const [index, { text: source, command }] of visibleLines(body).entries()) {
    if (!command) continue
    const line = index + 1
    if (++commands > MAX_COMMANDS) {
      out.push({
        kind: 'error',
        line,
        source,
        message: `Only the first ${MAX_COMMANDS} /kitty commands of a comment run; put the rest in another comment.`,
      })
      break
    }
    out.push(parseLine(source, line, ctx))
  }
  return out
}

interface Word {
  text: string
  /** Offset of the word in the text after `/kitty`: where a rest-of-line value starts. */
  at: number
}

function words(text: string): Word[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: m.index }))
}

function parseLine(source: string, line: number, ctx: ParseContext): ParsedLine {
  const rest = source.replace(COMMAND_LINE, '')
  const all = words(rest)
  const name = (all[0]?.text ?? 'help').toLowerCase()
  const command = findCommentCommand(name)
  if (!command) return { kind: 'error', line, source, message: unknownCommand(name) }
  try {
    const args = parseArgs(command, rest, all.slice(1))
    return { kind: 'command', line, source, command, argv: toArgv(command, args, ctx) }
  } catch (err) {
    if (!(err instanceof CommentUsageError)) throw err
    return { kind: 'error', line, source, message: `${err.message} Usage: \`${command.usage}\`` }
  }
}

/** The rest of the line from `at`, trimmed, without one pair of surrounding quotes. */
function restOf(text: string, at: number): string {
  const value = text.slice(at).trim()
  const quoted = /^(["'])([\s\S]*)\1$/.exec(value)
  return (quoted ? quoted[2]! : value).trim()
}

function parseArgs(command: CommentCommand, text: string, list: Word[]): Map<string, string | true> {
  const args = new Map<string, string | true>()
  for (let i = 0; i < list.length; i++) {
    const word = list[i]!
    if (word.text.startsWith('--')) {
      const eq = word.text.indexOf('=')
      const name = (eq < 0 ? word.text.slice(2) : word.text.slice(2, eq)).toLowerCase()
      const option = command.options.find((o) => o.name === name)
      if (!option) throw new CommentUsageError(`/kitty ${command.name} has no option --${name}.`)
      if (args.has(name)) throw new CommentUsageError(`--${name} is given twice.`)
      if (option.kind === 'flag') {
        if (eq >= 0) throw new CommentUsageError(`--${name} takes no value.`)
        args.set(name, true)
      } else if (option.kind === 'rest') {
        args.set(name, restOf(text, eq >= 0 ? word.at + eq + 1 : word.at + word.text.length))
        break
      } else {
        const value = eq >= 0 ? word.text.slice(eq + 1) : list[++i]?.text
        if (!value || value.startsWith('--')) throw new CommentUsageError(`--${name} needs a value.`)
        args.set(name, value)
      }
      continue
    }
    const positional = command.positional
    if (!positional || args.has(positional.name)) throw new CommentUsageError(`Unexpected '${word.text}'.`)
    if (positional.kind === 'rest') {
      args.set(positional.name, restOf(text, word.at))
      break
    }
    args.set(positional.name, word.text)
  }
  for (const [name, value] of args) if (value === '') args.delete(name)
  if (command.positional?.required && !args.has(command.positional.name)) {
    throw new CommentUsageError(
      `/kitty ${command.name} needs <${command.positional.kind === 'rest' ? 'text' : command.positional.name}>.`,
    )
  }
  return validate(args)
}

function validate(args: Map<string, string | true>): Map<string, string | true> {
  const to = args.get('to')
  if (typeof to === 'string') {
    const lane = normalizeLane(to.toLowerCase())
    if (lane === null) throw new CommentUsageError(`'${to}' is not a lane; use one of ${LANES.join(', ')}.`)
    args.set('to', lane)
  }
  const wp = args.get('wp')
  if (typeof wp === 'string') {
    if (!WP_ID.test(wp)) throw new CommentUsageError(`'${wp}' is not a work package id (WP01, WP02, …).`)
    args.set('wp', wp.toUpperCase())
  }
  return args
}

/** Mission and WP from the head branch, by the configured branch pattern. */
export function targetFromBranch(branch: string | null, pattern: string): { mission?: string; wp?: string } {
  return branch ? matchBranchPattern(branch, pattern) : {}
}

function toArgv(command: CommentCommand, args: ReadonlyMap<string, string | true>, ctx: ParseContext): string[] {
  if (command.engine === null) return []
  const spec = findCommand('orchestrator-api', command.engine)
  if (!spec) throw new Error(`comment command ${command.name} names unknown engine command ${command.engine}`)
  const fromBranch = targetFromBranch(ctx.headBranch, ctx.branchPattern)
  const target: Record<string, string> = {}
  if (command.scope !== 'none') {
    const mission = (args.get('mission') as string | undefined) ?? fromBranch.mission
    if (!mission) throw missingTarget(command, 'mission', ctx)
    target['mission'] = mission
  }
  if (command.scope === 'wp') {
    const wp = (args.get('wp') as string | undefined) ?? fromBranch.wp
    if (!wp) throw missingTarget(command, 'WP', ctx)
    target['wp'] = wp
  }
  const flags: Record<string, string | true> = { ...target, ...command.flags(args, ctx) }
  if (spec.params.some((p) => p.name === 'actor')) flags['actor'] = `github:${ctx.author}`
  return [
    'orchestrator-api',
    command.engine,
    ...Object.entries(flags).map(([k, v]) => (v === true ? `--${k}` : `--${k}=${v}`)),
  ]
}

function missingTarget(command: CommentCommand, what: 'mission' | 'WP', ctx: ParseContext): CommentUsageError {
  const flag = what === 'mission' ? '--mission <slug>' : '--wp <WP>'
  if (ctx.noBranch) return new CommentUsageError(`/kitty ${command.name} needs ${flag} here. ${ctx.noBranch}`)
  const branch = ctx.headBranch
    ? `this pull request's branch '${ctx.headBranch}' does not match ${ctx.branchPattern}`
    : 'there is no pull request branch'
  return new CommentUsageError(`/kitty ${command.name} needs a ${what}: ${branch}; add ${flag}.`)
}

function unknownCommand(name: string): string {
  const near = COMMENT_COMMANDS.map((c) => c.name).filter((c) => distance(c, name) <= 2)
  const hint = near.length > 0 ? ` Did you mean ${near.map((c) => `/kitty ${c}`).join(' or ')}?` : ''
  return `Unknown command '/kitty ${name.slice(0, 40)}'.${hint} Try /kitty help.`
}

/** Levenshtein distance, for "did you mean" (names are short; the input is cut to 40 characters). */
function distance(a: string, b: string): number {
  const s = b.slice(0, 40)
  let row = Array.from({ length: s.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= s.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === s[j - 1] ? 0 : 1))
    row = next
  }
  return row[s.length]!
}
