import { getOctokit } from '@actions/github'
import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { makeEnvelope, makeFailure } from '../../src/core/envelope.ts'
import { octokitApi } from '../../src/github/github-api.ts'
import { envelopeBlock, fitField, MAX_FIELD_CHARS, renderOutcome } from '../../src/github/render-outcome.ts'
import { contractFetch, exampleResponse } from '../helpers/github-openapi.ts'

const API = 'https://api.github.example'

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())

function bigMission(n: number) {
  const work_packages = Array.from({ length: n }, (_, i) => ({
    wp_id: `WP${String(i + 1).padStart(4, '0')}`,
    title: `A long title for work package ${i} `.repeat(4),
    lane: 'planned',
    dependencies: i > 0 ? [`WP${String(i).padStart(4, '0')}`] : [],
    assignee: null,
    last_actor: 'github:someone',
  }))
  return makeEnvelope('mission-state', true, {
    mission_slug: '099-big',
    summary: { planned: n, done: 0 },
    work_packages,
  })
}

describe('one renderer, three outputs', () => {
  it('a transition: title, what changed, the envelope as a fenced JSON block', () => {
    const envelope = makeEnvelope('transition', true, {
      mission_slug: '099-m',
      wp_id: 'WP01',
      from_lane: 'for_review',
      to_lane: 'approved',
    })
    const r = renderOutcome({ command: 'transition', envelope, label: '/kitty approve', commit: 'c'.repeat(40) })
    expect(r.checkRun).toMatchObject({
      name: 'kitty/transition',
      conclusion: 'success',
      title: 'WP01: for_review → approved',
    })
    expect(r.checkRun.summary).toContain('`' + 'c'.repeat(40) + '`')
    expect(r.checkRun.text.startsWith('```json\n')).toBe(true)
    expect(JSON.parse(r.checkRun.text.slice(8, -4))).toEqual(envelope)
    expect(r.jobSummary).toContain('<details><summary>Envelope (JSON)</summary>')
    expect(r.reply).toBe(r.jobSummary)
  })

  it('a failure names the error and its fix', () => {
    const envelope = makeFailure('transition', 'PERMISSION_DENIED', "@outsider has 'read' access")
    const r = renderOutcome({ command: 'transition', envelope })
    expect(r.checkRun.conclusion).toBe('failure')
    expect(r.checkRun.title).toBe("PERMISSION_DENIED: @outsider has 'read' access")
    expect(r.checkRun.summary).toMatch(/\*\*Fix:\*\* Ask a maintainer for write access/)
  })

  it('mission-state renders a WP table (id, title, lane, actor, dependencies), cells escaped', () => {
    const envelope = makeEnvelope('mission-state', true, {
      mission_slug: '099-m',
      summary: { planned: 1, done: 1 },
      work_packages: [
        { wp_id: 'WP01', title: 'a | b', lane: 'done', dependencies: [], assignee: null, last_actor: 'claude' },
        { wp_id: 'WP02', title: 'c', lane: 'planned', dependencies: ['WP01'], assignee: null, last_actor: null },
      ],
    })
    const { checkRun } = renderOutcome({ command: 'mission-state', envelope })
    expect(checkRun.summary).toContain('| WP01 | a \\| b | done | claude |')
    expect(checkRun.summary).toContain('| WP02 | c | planned |   | WP01 |')
  })

  it('a huge mission: every field within 65,535 characters, cut with a note, the fence still closed', () => {
    const envelope = bigMission(3000)
    expect(JSON.stringify(envelope).length).toBeGreaterThan(MAX_FIELD_CHARS * 4)
    const r = renderOutcome({ command: 'mission-state', envelope })
    for (const field of [r.checkRun.title, r.checkRun.summary, r.checkRun.text, r.reply, r.jobSummary])
      expect(field.length).toBeLessThanOrEqual(MAX_FIELD_CHARS)
    expect(r.checkRun.text).toMatch(/\n```\n\n… envelope truncated: [\d,]+ more characters not shown/)
    expect(r.checkRun.summary).toMatch(/… summary truncated/)
    expect(r.checkRun.text.length).toBeGreaterThan(MAX_FIELD_CHARS - 20)
  })

  it('fitField and envelopeBlock leave small things alone and never split a surrogate pair', () => {
    expect(fitField('short')).toBe('short')
    const cut = fitField('😀'.repeat(40_000), 1000)
    expect(cut.length).toBeLessThanOrEqual(1000)
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut)).toBe(false)
    const small = makeEnvelope('contract-version', true, { api_version: '1.3.0' })
    expect(envelopeBlock(small)).toBe('```json\n' + JSON.stringify(small, null, 2) + '\n```')
  })

  it('the check-run request carries the rendered output and the envelope (nock sees the body)', async () => {
    const envelope = makeEnvelope('transition', true, {
      mission_slug: '099-m',
      wp_id: 'WP01',
      from_lane: 'in_review',
      to_lane: 'approved',
    })
    const r = renderOutcome({ command: 'transition', envelope })
    let sent: Record<string, unknown> | null = null
    const scope = nock(API)
      .post('/repos/octo-org/project/check-runs', (body) => {
        sent = body
        return true
      })
      .reply(201, exampleResponse('checks/create', 201, { id: 42, html_url: 'https://github.example/checks/42' }))
    const contract = contractFetch()
    const api = octokitApi(getOctokit('t', { baseUrl: API, request: { fetch: contract.fetch } }), {
      owner: 'octo-org',
      repo: 'project',
    })
    const created = await api.createCheckRun({
      name: r.checkRun.name,
      head_sha: '1'.repeat(40),
      status: 'completed',
      conclusion: r.checkRun.conclusion,
      output: { title: r.checkRun.title, summary: r.checkRun.summary, text: r.checkRun.text },
    })
    expect(scope.isDone()).toBe(true)
    expect(contract.violations).toEqual([])
    expect(created).toEqual({ id: 42, url: 'https://github.example/checks/42' })
    expect(sent).toMatchObject({
      name: 'kitty/transition',
      head_sha: '1'.repeat(40),
      status: 'completed',
      conclusion: 'success',
    })
    const text = (sent!['output'] as { text: string }).text
    expect(JSON.parse(text.slice(8, -4))).toEqual(envelope)
  })
})
