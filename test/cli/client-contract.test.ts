import { isAbsolute } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { LANES } from '../../src/core/lanes.ts'
import { api, cleanupTempDirs, kitty, makeRepo, POLICY_JSON } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

/**
 * What the public spec-kitty-orchestrator client requires of the host (docs/design.md#clients-we-stay-compatible-with):
 * one JSON document on stdout, all seven keys (error_code present even when null), a dotted-digit
 * api_version ≥ 1.3.0, mission-state WPs with wp_id/lane/dependencies/last_actor, string lanes in
 * list-ready, to_lane "in_review" from start-review, absolute workspace_path and prompt_path.
 */
const Envelope = z.strictObject({
  contract_version: z.string(),
  command: z.string().startsWith('orchestrator-api.'),
  timestamp: z.iso.datetime({ offset: true }),
  correlation_id: z.string().regex(/^corr-[0-9a-f]{32}$/),
  success: z.boolean(),
  error_code: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
})
const Lane = z.enum(LANES)
const Identity = z.object({
  mission_id: z.string().nullable(),
  mission_slug: z.string().min(1),
  mission_number: z.number().int().nullable(),
  mission_type: z.string(),
})
const AbsolutePath = z.string().refine(isAbsolute, 'must be absolute')
const Payloads = {
  'contract-version': z.object({
    api_version: z.string().regex(/^\d+(\.\d+)*$/),
    min_supported_provider_version: z.string(),
  }),
  'mission-state': Identity.extend({
    summary: z.record(Lane, z.number().int()),
    work_packages: z.array(
      z.object({ wp_id: z.string(), lane: Lane, dependencies: z.array(z.string()), last_actor: z.string().nullable() }),
    ),
  }),
  'list-ready': Identity.extend({
    ready_work_packages: z.array(
      z.object({ wp_id: z.string(), lane: z.string(), dependencies_satisfied: z.literal(true) }),
    ),
  }),
  'resolve-workspace': Identity.extend({ wp_id: z.string(), workspace_path: AbsolutePath, prompt_path: AbsolutePath }),
  'start-implementation': Identity.extend({
    wp_id: z.string(),
    from_lane: Lane,
    to_lane: z.literal('in_progress'),
    workspace_path: AbsolutePath,
    prompt_path: AbsolutePath,
    policy_metadata_recorded: z.boolean(),
    no_op: z.boolean(),
  }),
  'start-review': Identity.extend({
    wp_id: z.string(),
    from_lane: Lane,
    to_lane: z.literal('in_review'),
    prompt_path: AbsolutePath,
    no_op: z.boolean(),
  }),
  transition: Identity.extend({
    wp_id: z.string(),
    from_lane: Lane,
    to_lane: Lane,
    policy_metadata_recorded: z.boolean(),
  }),
  'append-history': Identity.extend({ wp_id: z.string(), history_entry_id: z.string().startsWith('hist-') }),
  'accept-mission': Identity.extend({
    accepted: z.literal(true),
    mode: z.string(),
    accepted_at: z.string(),
    accepted_wps: z.array(z.string()),
  }),
} as const

function versionAtLeast(v: string, min: number[]): boolean {
  const parts = v.split('.').map(Number)
  for (let i = 0; i < min.length; i++) if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) > min[i]!
  return true
}

async function call<K extends keyof typeof Payloads>(
  repo: string,
  command: K,
  flags: Record<string, string | boolean>,
): Promise<z.infer<(typeof Payloads)[K]>> {
  const run = await api(repo, command, flags)
  const env = Envelope.parse(JSON.parse(run.stdout))
  expect(Object.keys(env)).toEqual([
    'contract_version',
    'command',
    'timestamp',
    'correlation_id',
    'success',
    'error_code',
    'data',
  ])
  expect(env.success, `${command}: ${JSON.stringify(env.data)}`).toBe(true)
  expect(env.data).not.toHaveProperty('feature_slug')
  return Payloads[command].parse(env.data) as z.infer<(typeof Payloads)[K]>
}

const M = '099-test-mission'

describe('spec-kitty-orchestrator client contract', () => {
  it('every command of a full lifecycle answers what the client parses', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'planned' },
          { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
        ],
      },
    ])
    const version = await call(repo, 'contract-version', {})
    expect(versionAtLeast(version.api_version, [1, 3, 0])).toBe(true)
    await call(repo, 'mission-state', { mission: M })
    expect((await call(repo, 'list-ready', { mission: M })).ready_work_packages.map((w) => w.wp_id)).toEqual(['WP01'])
    await call(repo, 'resolve-workspace', { mission: M, wp: 'WP01' })
    await call(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'claude', policy: POLICY_JSON })
    await call(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'claude', note: 'progress' })
    await call(repo, 'transition', { mission: M, wp: 'WP01', to: 'for_review', actor: 'claude', policy: POLICY_JSON })
    const review = await call(repo, 'start-review', { mission: M, wp: 'WP01', actor: 'reviewer', policy: POLICY_JSON })
    expect(review.to_lane).toBe('in_review')
    const result = JSON.stringify({ reviewer: 'reviewer', verdict: 'approved', reference: 'pr#1' })
    await call(repo, 'transition', {
      mission: M,
      wp: 'WP01',
      to: 'approved',
      actor: 'reviewer',
      policy: POLICY_JSON,
      'review-result-json': result,
    })
    const state = await call(repo, 'mission-state', { mission: M })
    expect(state.work_packages.map((w) => [w.wp_id, w.lane, w.last_actor])).toEqual([
      ['WP01', 'approved', 'reviewer'],
      ['WP02', 'planned', null],
    ])
  })

  it('failures are the same seven keys with error_code set and data.message present', async () => {
    const repo = makeRepo()
    for (const args of [
      ['orchestrator-api', 'mission-state', '--mission', 'nope'],
      ['orchestrator-api', 'start-implementation', '--mission', M, '--wp', 'WP01', '--actor', 'a'],
      ['orchestrator-api', 'bogus'],
      ['orchestrator-api', 'transition', '--mission', M],
    ]) {
      const run = await kitty(repo, args)
      const env = Envelope.parse(JSON.parse(run.stdout))
      expect(env.success).toBe(false)
      expect(typeof env.error_code).toBe('string')
      expect(typeof env.data['message']).toBe('string')
    }
  })
})
