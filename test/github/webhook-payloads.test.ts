import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeEnvelope } from '../../src/core/envelope.ts'
import { DEFAULT_CONFIG } from '../../src/engine/config/load-config.ts'
import type { GithubApi } from '../../src/github/github-api.ts'
import type { HandleDeps } from '../../src/github/handle-event.ts'
import { handleEvent } from '../../src/github/handle-event.ts'
import { humanPolicy } from '../../src/github/human-policy.ts'
import { readEvent } from '../../src/github/read-event.ts'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'

/**
 * Webhook payloads as GitHub sends them, not as we imagine them: every example payload of
 * @octokit/webhooks-examples for the three events we route goes through src/github and is routed or
 * ignored as docs/github-contract.md says, and our own event fixtures pass @octokit/openapi-webhooks.
 */

type Json = Record<string, any>
const ROUTED = ['issue_comment', 'pull_request', 'pull_request_review']

const examples = (
  JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'node_modules/@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'),
  ) as { name: string; examples: Json[] }[]
)
  .filter((e) => ROUTED.includes(e.name))
  .flatMap((e) => e.examples.map((payload, i) => ({ name: e.name, action: payload['action'] as string, i, payload })))

interface Calls {
  api: string[]
  ran: string[]
}

/** A GithubApi that records and answers as a repository where `maintainer` may write. */
function deps(calls: Calls): HandleDeps {
  const record =
    (name: string) =>
    async (..._: unknown[]) => {
      calls.api.push(name)
    }
  const api: GithubApi = {
    getPull: async (number) => (
      calls.api.push('getPull'),
      { number, headRef: '099-m-WP01', headSha: '1'.repeat(40), headRepo: 'Codertocat/Hello-World' }
    ),
    permission: async () => (calls.api.push('permission'), { ok: true, permission: 'write', roleName: 'write' }),
    createCheckRun: async () => (calls.api.push('createCheckRun'), { id: 1, url: null }),
    updateCheckRun: record('updateCheckRun'),
    addReaction: record('addReaction'),
    createComment: record('createComment'),
    removeLabel: record('removeLabel'),
  }
  return {
    api,
    readConfig: async () => DEFAULT_CONFIG,
    run: async (command) => {
      calls.ran.push(command)
      return { envelope: makeEnvelope(command, true, {}), commit: null }
    },
    policyJson: humanPolicy('kitty-github/action'),
    correlationId: () => 'corr',
    warn: () => undefined,
  }
}

describe('@octokit/webhooks-examples through readEvent and handleEvent', () => {
  it('has the examples this test is about (42 in 7.6.1)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(40)
    expect(new Set(examples.map((e) => e.name))).toEqual(new Set(ROUTED))
  })

  it.each(examples.map((e) => [`${e.name}.${e.action} #${e.i}`, e] as const))('%s', async (_, e) => {
    const calls: Calls = { api: [], ran: [] }
    const intent = readEvent(e.name, e.payload)
    const result = await handleEvent(e.name, e.payload, deps(calls))
    if (e.name === 'issue_comment' && e.action === 'created') {
      // Every example is an ordinary comment on an issue: conversation, left alone.
      expect(result).toMatchObject({ outcomes: [], skipped: 'a comment without a /kitty line' })
      expect(calls).toEqual({ api: [], ran: [] })
    } else if (e.name === 'pull_request' && e.action === 'labeled') {
      expect(intent).toMatchObject({ kind: 'merge-label', label: e.payload['label'].name })
      // Not the merge label: nothing runs and the label stays.
      expect(result.skipped).toMatch(/is not the merge label 'kitty:merge'/)
      expect(calls).toEqual({ api: [], ran: [] })
    } else if (e.name === 'pull_request_review' && e.action === 'submitted') {
      expect(e.payload['review'].state).toBe('commented')
      expect(intent).toEqual({ kind: 'ignore', reason: "a 'commented' review changes no lane" })
    } else {
      expect(intent.kind).toBe('ignore')
      expect(result).toMatchObject({ outcomes: [], skipped: expect.stringContaining(`${e.name}.${e.action}`) })
      expect(calls).toEqual({ api: [], ran: [] })
    }
  })

  it('the same payloads made commands route as documented: a /kitty line, an approval, the merge label', async () => {
    const of = (name: string, action: string) =>
      structuredClone(examples.find((e) => e.name === name && e.action === action)!.payload)
    const onIssue = of('issue_comment', 'created')
    onIssue['comment'].body = '/kitty state'
    const issueCalls: Calls = { api: [], ran: [] }
    const refused = await handleEvent('issue_comment', onIssue, deps(issueCalls))
    expect(refused.outcomes[0]!.envelope).toMatchObject({ success: false, error_code: 'USAGE_ERROR' })
    expect(refused.outcomes[0]!.envelope.data['message']).toMatch(/is an issue, not a pull request/)

    const onPull = of('issue_comment', 'created')
    onPull['comment'].body = '/kitty start-review'
    onPull['issue'].pull_request = { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' }
    const pullCalls: Calls = { api: [], ran: [] }
    await handleEvent('issue_comment', onPull, deps(pullCalls))
    expect(pullCalls).toEqual({ api: ['getPull', 'permission'], ran: ['start-review'] })

    const review = of('pull_request_review', 'submitted')
    review['review'].state = 'approved'
    review['pull_request'].head.ref = '099-m-WP01'
    const reviewCalls: Calls = { api: [], ran: [] }
    await handleEvent('pull_request_review', review, deps(reviewCalls))
    expect(reviewCalls).toEqual({ api: ['permission'], ran: ['transition'] })

    const label = of('pull_request', 'labeled')
    label['label'].name = 'kitty:merge'
    label['pull_request'].head.ref = '099-m-WP01'
    const labelCalls: Calls = { api: [], ran: [] }
    await handleEvent('pull_request', label, deps(labelCalls))
    expect(labelCalls).toEqual({ api: ['permission', 'removeLabel'], ran: ['merge-mission'] })
  })
})

// The oldest GHES the REST checks use too (docs/github-contract.md): a fixture must be a payload both send.
for (const source of ['api.github.com', 'ghes-3.17'])
  describe(`our event fixtures pass @octokit/openapi-webhooks (${source})`, () => {
    const description = JSON.parse(
      readFileSync(join(PROJECT_ROOT, `node_modules/@octokit/openapi-webhooks/generated/${source}.json`), 'utf8'),
    ) as Json
    // Only the schemas the fixtures' webhooks reach, so Ajv compiles a few hundred, not thousands.
    const schemas: Json = {}
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(collect)
      if (node === null || typeof node !== 'object') return
      const ref = (node as Json)['$ref']
      if (typeof ref === 'string') {
        const name = ref.replace('#/components/schemas/', '')
        if (!(name in schemas)) {
          schemas[name] = description['components'].schemas[name]
          collect(schemas[name])
        }
        return
      }
      for (const v of Object.values(node as Json)) collect(v)
    }
    const WEBHOOK: Record<string, string> = {
      issue_comment: 'issue-comment-created',
      pull_request: 'pull-request-labeled',
      pull_request_review: 'pull-request-review-submitted',
      workflow_dispatch: 'workflow-dispatch',
    }
    const bodies: Json = {}
    for (const key of Object.values(WEBHOOK)) {
      bodies[key] = description['webhooks'][key].post.requestBody.content['application/json'].schema
      collect(bodies[key])
    }
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    ;(addFormatsModule as unknown as (a: Ajv2020) => void)(ajv)
    ajv.addSchema({ $id: 'wh', components: { schemas }, bodies })

    const fixtures = readdirSync(join(PROJECT_ROOT, 'test/fixtures/events')).filter((f) => f.endsWith('.json'))
    it.each(fixtures)('%s', (file) => {
      const event = file.split('.')[0]!
      expect(WEBHOOK[event], `a schema for ${event}`).toBeDefined()
      const validate = ajv.getSchema(`wh#/bodies/${WEBHOOK[event]}`)!
      const payload = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/fixtures/events', file), 'utf8'))
      const ok = validate(payload)
      expect(
        (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`),
        file,
      ).toEqual([])
      expect(ok).toBe(true)
    })

    it('a fixture trimmed to what our code reads fails (the schema check can fail)', () => {
      const validate = ajv.getSchema('wh#/bodies/issue-comment-created')!
      const payload = JSON.parse(
        readFileSync(join(PROJECT_ROOT, 'test/fixtures/events/issue_comment.state.json'), 'utf8'),
      )
      delete payload.comment.created_at
      payload.action = 'made'
      expect(validate(payload)).toBe(false)
    })
  })
