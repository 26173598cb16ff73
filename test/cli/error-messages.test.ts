import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSampleRepo, MISSION, POLICY } from '../../scripts/demo-repo.ts'
import { api, cleanupTempDirs, git, kitty, makeRepo, tempDir } from '../helpers/git-repo.ts'

/**
 * Every refusal names the fix: the flag to pass, the lane asked for, the lanes and moves there are,
 * the closest names. Codes stay as they were; upstream's words stay first.
 */
let repo: string
beforeAll(() => {
  repo = makeSampleRepo(tempDir('kitty-demo-'))
})
afterAll(cleanupTempDirs)

const REVIEW = { reviewer: 'rita', verdict: 'approved', reference: 'https://github.com/acme/shop/pull/1' }
const move = (wp: string, to: string, flags: Record<string, string | boolean> = {}) =>
  api(repo, 'transition', { mission: MISSION, wp, to, actor: 'claude', ...flags })
const refusal = async (run: Promise<{ envelope: Record<string, any> }>, code: string) => {
  const { envelope } = await run
  expect(envelope.error_code, JSON.stringify(envelope)).toBe(code)
  return envelope.data.message as string
}

describe('transition guards name the flag and the real lane', () => {
  it('an illegal move lists the moves allowed from the lane and points to transitions', async () => {
    expect(await refusal(move('WP01', 'done'), 'TRANSITION_REJECTED')).toBe(
      'Illegal transition: planned -> done; from planned a WP may move to claimed, blocked, canceled (--force --note "<why>" overrides).' +
        ` Run 'kitty orchestrator-api transitions --mission ${MISSION} --wp WP01' to see each move and what it needs.`,
    )
  })
  it('an unknown lane lists the lanes, with the closest', async () => {
    expect(await refusal(move('WP01', 'for_reveiw'), 'TRANSITION_REJECTED')).toBe(
      "Unknown lane: for_reveiw. Did you mean 'for_review'? Lanes: planned, claimed, in_progress, for_review, in_review, approved, done, blocked, canceled (doing = in_progress).",
    )
  })
  it('force without a reason names --note', async () => {
    expect(await refusal(move('WP01', 'done', { force: true }), 'TRANSITION_REJECTED')).toBe(
      'Force transitions require actor and reason: pass --note "<why>" with --force',
    )
  })

  describe('out of in_review', () => {
    beforeAll(async () => {
      expect(
        (await api(repo, 'start-implementation', { mission: MISSION, wp: 'WP01', actor: 'claude', policy: POLICY }))
          .envelope.success,
      ).toBe(true)
      expect(
        (await move('WP01', 'for_review', { policy: POLICY, force: true, note: 'test setup' })).envelope.success,
      ).toBe(true)
      expect(
        (await api(repo, 'start-review', { mission: MISSION, wp: 'WP01', actor: 'rita', policy: POLICY })).envelope
          .success,
      ).toBe(true)
    })
    it('a complete --evidence-json alone is refused because every in_review exit needs the review outcome: the message says so and names --review-result-json', async () => {
      const message = await refusal(
        move('WP01', 'approved', { policy: POLICY, 'evidence-json': JSON.stringify({ review: REVIEW }) }),
        'TRANSITION_REJECTED',
      )
      expect(message).toMatch(
        /^Transition from in_review requires review_result \(structured review outcome\): --evidence-json alone is not the review outcome; also pass --review-result-json '\{"reviewer":/,
      )
    })
    it('evidence missing a field names the target lane (not "done") and the field', async () => {
      const evidence = JSON.stringify({ review: { reviewer: 'rita', verdict: 'approved' } })
      expect(
        await refusal(move('WP01', 'approved', { policy: POLICY, 'evidence-json': evidence }), 'TRANSITION_REJECTED'),
      ).toBe(
        'Moving to approved requires evidence with review.reviewer, review.verdict and review.reference: --evidence-json lacks review.reference',
      )
    })
    it('a review asking for changes cannot approve: the message names approved and the verdict', async () => {
      const review = JSON.stringify({ ...REVIEW, verdict: 'changes_requested' })
      const message = await refusal(
        move('WP01', 'approved', { policy: POLICY, 'review-result-json': review }),
        'TRANSITION_REJECTED',
      )
      expect(message).toMatch(
        /^Transition to approved requires evidence \(reviewer identity and approval reference\): the review's verdict is 'changes_requested'/,
      )
    })
    it('mismatching evidence names the field that differs', async () => {
      const flags = {
        policy: POLICY,
        'review-result-json': JSON.stringify(REVIEW),
        'evidence-json': JSON.stringify({ review: { ...REVIEW, reviewer: 'bob' } }),
      }
      expect(await refusal(move('WP01', 'approved', flags), 'TRANSITION_REJECTED')).toMatch(
        /^Review evidence must match review_result: --evidence-json's review differs in review\.reviewer;/,
      )
    })
    it('the same evidence with --review-result-json goes through', async () => {
      const run = await move('WP01', 'approved', {
        policy: POLICY,
        'review-result-json': JSON.stringify(REVIEW),
        'evidence-json': JSON.stringify({ review: REVIEW }),
      })
      expect(run.envelope).toMatchObject({ success: true, data: { from_lane: 'in_review', to_lane: 'approved' } })
    })
    it('approved → in_progress names --review-ref', async () => {
      expect(await refusal(move('WP01', 'in_progress', { policy: POLICY }), 'TRANSITION_REJECTED')).toBe(
        'Transition requires review_ref (review feedback reference): pass --review-ref <reference of the review feedback>',
      )
    })
  })
})

describe('selectors: the closest names', () => {
  it('WP_NOT_FOUND lists the WPs and the closest one; wp02 is WP02', async () => {
    const message = await refusal(move('WP02x', 'canceled'), 'WP_NOT_FOUND')
    expect(message).toBe(
      `Work package 'WP02x' not found in ${MISSION}; the mission has WP01, WP02. Did you mean one of 'WP02', 'WP01'?`,
    )
    const lower = await api(repo, 'transitions', { mission: MISSION, wp: 'wp02' })
    expect(lower.envelope.success).toBe(true)
    expect(JSON.stringify(lower.envelope.data)).toContain('"WP02"')
  })
  it('MISSION_NOT_FOUND lists the closest missions', async () => {
    const message = await refusal(api(repo, 'mission-state', { mission: '034-feature-status' }), 'MISSION_NOT_FOUND')
    expect(message).toMatch(/^Mission '034-feature-status' not found in kitty-specs\/; closest: 001-demo-checkout\. /)
    const many = makeRepo([{ slug: '010-cart' }, { slug: '011-checkout-flow' }, { slug: '012-billing' }])
    const { envelope } = await api(many, 'mission-state', { mission: 'checkout-flwo' })
    expect(envelope.data.closest_missions[0]).toBe('011-checkout-flow')
  })
  it('MISSION_NOT_FOUND says when the branch has no kitty-specs/ at all', async () => {
    const bare = makeRepo([])
    const head = git(bare, 'rev-parse', '--short=7', 'HEAD')
    const message = await refusal(api(bare, 'mission-state', { mission: MISSION }), 'MISSION_NOT_FOUND')
    expect(message).toBe(
      `Mission '${MISSION}' not found in kitty-specs/: commit ${head} of the state branch has no kitty-specs/ directory. Commit your missions on that branch, or name the branch that has them with --branch.`,
    )
  })
})

describe('policy and repository', () => {
  it('every missing or invalid policy field at once, upstream prefix first, with a policy to copy', async () => {
    const message = await refusal(
      move('WP02', 'claimed', { policy: JSON.stringify({ orchestrator_id: 'o', agent_family: 3 }) }),
      'POLICY_VALIDATION_FAILED',
    )
    expect(message).toMatch(
      /^--policy missing required field: 'orchestrator_version'; also missing 'approval_mode', 'sandbox_mode', 'network_mode', 'dangerous_flags'; --policy\.agent_family must be a string\. A complete policy: \{/,
    )
    const example = JSON.parse(message.slice(message.indexOf('A complete policy: ') + 19))
    expect((await move('WP02', 'blocked', { policy: JSON.stringify(example) })).envelope.success).toBe(true)
  })
  it('a missing policy shows one to pass', async () => {
    expect(await refusal(move('WP02', 'in_progress'), 'POLICY_METADATA_REQUIRED')).toMatch(
      /^--policy is required for transitioning to 'in_progress': pass --policy '<JSON>', e\.g\. --policy '\{"orchestrator_id"/,
    )
  })
  it('--repo naming a path that does not exist says so', async () => {
    const run = await kitty('/', [
      'orchestrator-api',
      'mission-state',
      '--mission',
      MISSION,
      '--repo',
      '/nonexistent/checkout',
    ])
    expect(run.envelope.error_code).toBe('REPOSITORY_NOT_FOUND')
    expect(run.envelope.data.message).toBe(
      '--repo names /nonexistent/checkout, which does not exist; give the path of a git checkout (or of a directory inside one).',
    )
  })
})
