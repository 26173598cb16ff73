import { FORCE_HINT, REVIEW_RESULT_FLAG } from '../core/transitions.ts'

/**
 * The engine's refusals give advice in the CLI's words (`--review-result-json '…'`, `--force --note`).
 * Someone who wrote `/kitty transition approved` on a pull request cannot pass a JSON flag; they can
 * comment `/kitty approve`. This puts each piece of CLI advice in the words of the comment commands,
 * for replies on pull requests; the envelope itself keeps the engine's message unchanged.
 */
const REVIEW_BY_COMMENT =
  'comment `/kitty approve` or `/kitty request-changes <what to change>` (that comment is recorded as the review)'

const FORCE_BY_COMMENT = '`/kitty transition <lane> --force --note <why>`'

const REWRITES: readonly (readonly [RegExp, string])[] = [
  // "…: --evidence-json alone is not the review outcome; also pass <flag>" and "…: pass <flag>".
  [
    new RegExp(
      `(?:--evidence-json alone is not the review outcome; also pass|pass) ${escape(REVIEW_RESULT_FLAG)}`,
      'g',
    ),
    REVIEW_BY_COMMENT,
  ],
  [new RegExp(escape(FORCE_HINT), 'g'), `(${FORCE_BY_COMMENT} overrides)`],
  [/\bpass --force --note "<why>"/g, `comment ${FORCE_BY_COMMENT}`],
  [
    /Run '(kitty orchestrator-api transitions --mission \S+ --wp \S+)' to see each move and what it needs\./g,
    'From a terminal, `$1` lists each move and what it needs.',
  ],
]

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function adviseCommenters(message: string): string {
  return REWRITES.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message)
}
