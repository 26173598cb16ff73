import type { StepOutcome } from './handle-event.ts'
import { adviseCommenters } from './advise-commenters.ts'
import { renderOutcome } from './render-outcome.ts'

/** GitHub refuses a comment body over 65,536 characters. */
export const MAX_COMMENT_CHARS = 65_536

/**
 * The one reply a pull request gets for an event, or null: reads, help and failures are answered in
 * words (the engine's advice in the comment commands' terms); a successful write shows as its check run (and the App's reaction), so it adds no comment noise.
 */
export function composeReply(outcomes: readonly StepOutcome[]): string | null {
  const answers = outcomes.filter(
    (o) => !o.envelope.success || o.step.kind === 'reply' || (o.step.kind === 'run' && o.step.access === 'read'),
  )
  if (answers.length === 0) return null
  const body = answers
    .map(
      (o) =>
        renderOutcome({
          command: o.step.command,
          envelope: o.envelope,
          label: o.step.label,
          commit: o.commit,
          board: o.board,
          advise: adviseCommenters,
        }).reply,
    )
    .join('\n\n---\n\n')
  return body.slice(0, MAX_COMMENT_CHARS)
}
