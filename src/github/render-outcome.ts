import type { Board } from '../core/build-board.ts'
import type { Envelope } from '../core/envelope.ts'
import { escapeMarkdown, escapeTableCell, fenceCodeBlock, formatInlineCode } from './escape-markdown.ts'
import type { CheckRunRequest } from './github-api.ts'
import { boardFromMissionState, renderBoardMarkdown } from './render-board-markdown.ts'

/**
 * One renderer, three outputs: a check run's output, a pull request reply and a job summary, all from
 * the envelope. GitHub rejects a check-run field over 65,535 characters (and a comment over 65,536),
 * so every field is cut to fit with a note saying so: a large mission must never fail the publication.
 * Every word from the envelope goes through escape-markdown.ts: error messages quote commenters, and
 * titles, notes and actors come from WP files; the title field alone is plain text (GitHub shows it as is).
 */

export const MAX_FIELD_CHARS = 65_535

export interface RenderInput {
  /** The engine command (`transition`) or `help` / `unknown`. */
  command: string
  envelope: Envelope
  /** What the person did (`/kitty approve`); absent for an explicit workflow step. */
  label?: string | undefined
  /** The state commit the command pushed. */
  commit?: string | null | undefined
  /** The mission's board after a mission-level command, when the surface read one. */
  board?: Board | null | undefined
  /** Puts the engine's advice in the reader's words (pull request replies: the comment commands). */
  advise?: ((message: string) => string) | undefined
}

export interface CheckRunOutput {
  name: string
  conclusion: 'success' | 'failure'
  title: string
  summary: string
  text: string
}

export interface Rendered {
  checkRun: CheckRunOutput
  reply: string
  jobSummary: string
}

/** The fix for each failure a person can act on; the envelope's message says what went wrong. */
const FIXES: Partial<Record<string, string>> = {
  USAGE_ERROR: 'Check the command and its inputs against the usage above (`/kitty help` lists the comment commands).',
  PERMISSION_DENIED: 'Ask a maintainer for write access, or have someone with write access run the command.',
  POLICY_METADATA_REQUIRED: 'Pass the `policy` input (orchestrator policy JSON).',
  POLICY_VALIDATION_FAILED:
    'Fix the `policy` JSON: orchestrator_id, orchestrator_version, agent_family, approval_mode, sandbox_mode, network_mode, dangerous_flags.',
  MISSION_NOT_FOUND: 'Name an existing mission: its directory under kitty-specs/, mission_id, mid8 or number.',
  WP_NOT_FOUND: 'Name a WP of the mission (WP01, …), or name the branch `<mission_slug>-<WP>`.',
  TRANSITION_REJECTED:
    'Move the WP through the lanes the transition table allows (see `mission-state`), or use `force` where a person must override.',
  DEPENDENCIES_NOT_SATISFIED: 'Finish the WPs it depends on first.',
  MISSION_NOT_READY: 'Approve or finish every WP first.',
  STATE_CONFLICT: 'Others were writing at the same time; run the step again.',
  REMOTE_AUTH_FAILED:
    'Give the token `contents: write` on the repository (workflow `permissions:` block), or pass a token that has it.',
  REMOTE_UNREACHABLE: 'Check GITHUB_SERVER_URL and the network, then run the step again; nothing was changed.',
  PUSH_FAILED: 'Check branch protection and the token’s `contents: write` permission.',
  BRANCH_PROTECTED:
    'Add the App (or the token’s actor) as a bypass actor of the ruleset, keep kitty state on a branch of its own, or for merge-mission set `merge.via: pull_request`.',
  PREFLIGHT_FAILED: 'Resolve what the preflight lists (missing branches, conflicts), then merge again.',
  CONFIG_INVALID: 'Fix .github/kitty.yml on the default branch (schema: schema/kitty-config.schema.json).',
}

/** The share of a field the board may take; the rest is the title, the error and the envelope. */
const BOARD_BUDGET = 40_000

const NOTE = (what: string, dropped: number) =>
  `\n\n… ${what} truncated: ${dropped.toLocaleString('en')} more characters not shown (GitHub's limit is ${MAX_FIELD_CHARS.toLocaleString('en')}).`

/** Cut `text` to `max` characters including a note on what was cut. */
export function fitField(text: string, max = MAX_FIELD_CHARS, what = 'output'): string {
  if (text.length <= max) return text
  let keep = max - NOTE(what, text.length).length
  // Do not split a surrogate pair: GitHub counts the broken half as a character and the text as invalid.
  if (/[\uD800-\uDBFF]/.test(text[keep - 1] ?? '')) keep--
  return text.slice(0, keep) + NOTE(what, text.length - keep)
}

/**
 * The envelope as a fenced JSON block that stays a valid block when cut. JSON keeps backticks as they
 * are, so the fence is longer than any backtick run in it: a title cannot close it.
 */
export function envelopeBlock(envelope: Envelope, max = MAX_FIELD_CHARS): string {
  const json = JSON.stringify(envelope, null, 2)
  const whole = fenceCodeBlock(json, 'json')
  if (whole.length <= max) return whole
  const frame = whole.length - json.length
  const note = NOTE('envelope', json.length)
  const keep = max - frame - note.length
  return `${fenceCodeBlock(json.slice(0, keep), 'json')}${NOTE('envelope', json.length - keep)}`
}

const cell = escapeTableCell
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

function missionName(data: Record<string, unknown>): string | null {
  return str(data['mission_slug']) ?? (data['mission_id'] ? String(data['mission_id']) : null)
}

function errorMessage(input: RenderInput): string {
  const message = String(input.envelope.data['message'] ?? '')
  return input.advise ? input.advise(message) : message
}

/** One line saying what happened, for the check run's title and the reply's first line. */
export function titleOf(input: RenderInput): string {
  const { envelope: e } = input
  const d = e.data
  if (!e.success) return `${e.error_code}: ${errorMessage(input).split('\n')[0]}`.slice(0, 250)
  if (d['no_op'] === true || d['duplicate'] === true) return 'Nothing to change (already applied)'
  const wp = str(d['wp_id'])
  if (str(d['from_lane']) && str(d['to_lane'])) return `${wp ?? 'WP'}: ${d['from_lane']} → ${d['to_lane']}`
  if (Array.isArray(d['work_packages'])) return `${missionName(d) ?? 'mission'}: ${d['work_packages'].length} WPs`
  if (Array.isArray(d['ready_work_packages']))
    return `${missionName(d) ?? 'mission'}: ${d['ready_work_packages'].length} WP(s) ready`
  if (Array.isArray(d['merged_wps'])) return `${missionName(d) ?? 'mission'}: merged ${d['merged_wps'].length} WP(s)`
  if (input.command === 'help') return 'kitty commands'
  return `${input.command} succeeded`
}

/** The Markdown a person reads: what happened, the WPs, and on failure what to do. */
function body(input: RenderInput): string[] {
  const { envelope: e } = input
  const d = e.data
  const out: string[] = []
  const mark = e.success ? '✅' : '❌'
  out.push(`### ${mark} kitty/${escapeMarkdown(input.command)}: ${escapeMarkdown(titleOf(input), { codeSpans: true })}`)
  if (input.label) out.push('', `Asked by: ${formatInlineCode(input.label)}`)
  if (input.command === 'help' && typeof d['help'] === 'string') out.push('', d['help'])
  const mission = missionName(d)
  const wp = str(d['wp_id'])
  if (mission)
    out.push('', `**Mission:** ${formatInlineCode(mission)}${wp ? ` · **WP:** ${formatInlineCode(wp)}` : ''}`)
  if (e.success) {
    const changed: string[] = []
    const from = str(d['from_lane'])
    if (from) changed.push(`- lane: ${formatInlineCode(from)} → ${formatInlineCode(String(d['to_lane'] ?? ''))}`)
    if (input.commit) changed.push(`- commit: ${formatInlineCode(input.commit)}`)
    const merge = str(d['merge_commit'])
    if (merge) changed.push(`- merge commit: ${formatInlineCode(merge)}`)
    if (Array.isArray(d['merged_wps']) && d['merged_wps'].length > 0)
      changed.push(`- merged: ${escapeMarkdown(d['merged_wps'].join(', '))}`)
    if (changed.length > 0) out.push('', '**What changed**', '', ...changed)
  } else {
    // The message's own code spans (usage, advice) stay code; everything else in it is inert text.
    out.push(
      '',
      `**Error** ${formatInlineCode(String(e.error_code))}: ${escapeMarkdown(errorMessage(input), { codeSpans: true })}`,
    )
    const fix = FIXES[e.error_code ?? '']
    if (fix) out.push('', `**Fix:** ${fix}`)
  }
  const board = input.board ?? (e.success ? boardFromMissionState(d) : null)
  if (board) {
    // Leave room for the title lines above and the collapsed envelope below.
    out.push('', renderBoardMarkdown(board, { maxChars: BOARD_BUDGET }))
    return out
  }
  const summary = d['summary']
  if (summary && typeof summary === 'object') {
    const counts = Object.entries(summary as Record<string, number>).filter(([, n]) => n > 0)
    if (counts.length > 0) out.push('', counts.map(([lane, n]) => `${escapeMarkdown(lane)}: ${Number(n)}`).join(' · '))
  }
  const wps = Array.isArray(d['work_packages'])
    ? d['work_packages']
    : Array.isArray(d['ready_work_packages'])
      ? d['ready_work_packages']
      : null
  if (wps && wps.length > 0) {
    out.push('', '| WP | Title | Lane | Actor | Dependencies |', '| --- | --- | --- | --- | --- |')
    for (const w of wps as Record<string, unknown>[]) {
      const deps = Array.isArray(w['dependencies']) ? (w['dependencies'] as unknown[]).join(', ') : ''
      out.push(
        `| ${cell(w['wp_id'])} | ${cell(w['title'])} | ${cell(w['lane'])} | ${cell(w['last_actor'] ?? w['assignee'])} | ${cell(deps)} |`,
      )
    }
  }
  return out
}

export function renderOutcome(input: RenderInput): Rendered {
  const lines = body(input)
  const markdown = lines.join('\n')
  const json = JSON.stringify(input.envelope, null, 2)
  const details = [
    '',
    '<details><summary>Envelope (JSON)</summary>',
    '',
    fenceCodeBlock(json, 'json'),
    '',
    '</details>',
  ].join('\n')
  const withDetails =
    markdown.length + details.length <= MAX_FIELD_CHARS
      ? markdown + '\n' + details
      : fitField(markdown, MAX_FIELD_CHARS, 'summary')
  return {
    checkRun: {
      name: `kitty/${input.command}`,
      conclusion: input.envelope.success ? 'success' : 'failure',
      title: fitField(titleOf(input), 1_000, 'title'),
      summary: fitField(markdown, MAX_FIELD_CHARS, 'summary'),
      text: envelopeBlock(input.envelope),
    },
    reply: withDetails,
    jobSummary: withDetails,
  }
}

/** The completed check run of a rendered outcome on `headSha`: what the App and the Action publish. */
export function completedCheckRun(rendered: Rendered, headSha: string): CheckRunRequest & { status: 'completed' } {
  const { checkRun } = rendered
  return {
    name: checkRun.name,
    head_sha: headSha,
    status: 'completed',
    conclusion: checkRun.conclusion,
    output: { title: checkRun.title, summary: checkRun.summary, text: checkRun.text },
  }
}
