import { describe, expect, it } from 'vitest'
import { makeFailure } from '../../src/core/envelope.ts'
import type { TransitionContext } from '../../src/core/transitions.ts'
import { checkTransition, illegalMove } from '../../src/core/transitions.ts'
import { suggestTransitions } from '../../src/engine/lanes/suggest-transitions.ts'
import { adviseCommenters } from '../../src/github/advise-commenters.ts'
import { composeReply } from '../../src/github/compose-reply.ts'

const BASE: TransitionContext = {
  actor: 'github:alice',
  force: false,
  subtasksComplete: true,
  implementationEvidence: true,
  workspaceContext: 'worktree',
}

/** The engine's own refusal for a move, so the test follows any change of wording. */
function refusal(
  from: Parameters<typeof checkTransition>[0],
  to: Parameters<typeof checkTransition>[1],
  ctx: Partial<TransitionContext> = {},
): string {
  const verdict = checkTransition(from, to, { ...BASE, ...ctx })
  if (verdict.ok) throw new Error(`${from} -> ${to} was allowed`)
  return verdict.message
}

describe('adviseCommenters: the engine advice in the words of the /kitty comment commands', () => {
  it('a review outcome is given by /kitty approve or /kitty request-changes, not a JSON flag', () => {
    const message = refusal('in_review', 'approved')
    expect(message).toContain('--review-result-json')
    expect(adviseCommenters(message)).toBe(
      'Transition from in_review requires review_result (structured review outcome): comment `/kitty approve` or `/kitty request-changes <what to change>` (that comment is recorded as the review)',
    )
  })

  it('also when evidence was given without the review outcome', () => {
    const evidence = { review: { reviewer: 'alice', verdict: 'approved', reference: 'https://example.com/r/1' } }
    const advised = adviseCommenters(refusal('in_review', 'approved', { evidence }))
    expect(advised).toBe(
      'Transition from in_review requires review_result (structured review outcome): comment `/kitty approve` or `/kitty request-changes <what to change>` (that comment is recorded as the review)',
    )
  })

  it('a forced move is the transition comment with --force and --note', () => {
    expect(adviseCommenters(illegalMove('planned', 'done'))).toBe(
      'Illegal transition: planned -> done; from planned a WP may move to claimed, blocked, canceled (`/kitty transition <lane> --force --note <why>` overrides)',
    )
    expect(adviseCommenters(refusal('in_progress', 'for_review', { subtasksComplete: false }))).toMatch(
      /check every subtask row of the WP in tasks\.md \(.*\), or comment `\/kitty transition <lane> --force --note <why>`$/,
    )
  })

  it('the transitions listing is named as a terminal command', () => {
    expect(adviseCommenters(`Illegal transition. ${suggestTransitions('099-test-mission', 'WP01')}`)).toBe(
      'Illegal transition. From a terminal, `kitty orchestrator-api transitions --mission 099-test-mission --wp WP01` lists each move and what it needs.',
    )
  })

  it('leaves a message without CLI advice as it is', () => {
    const message = 'Mission not found: 404-nothing (candidates: 099-test-mission)'
    expect(adviseCommenters(message)).toBe(message)
  })
})

describe('composeReply: a refusal on a pull request', () => {
  it('advises in comment commands, and the envelope keeps the engine message unchanged', () => {
    const message = refusal('in_review', 'approved')
    const envelope = makeFailure('transition', 'TRANSITION_REJECTED', message, { wp_id: 'WP01' })
    const step = {
      kind: 'run' as const,
      label: '/kitty transition approved',
      command: 'transition',
      args: [],
      access: 'write' as const,
      idempotencyKey: undefined,
    }
    const reply = composeReply([{ step, envelope, commit: null }])!
    const [human, block] = reply.split('```json')
    expect(human).toContain('comment `/kitty approve` or `/kitty request-changes <what to change>`')
    expect(human).not.toContain('--review-result-json')
    expect(block).toContain(JSON.stringify(message).slice(1, -1))
  })
})
