import { describe, expect, it } from 'vitest'
import {
  basicError,
  checkRequest,
  checkResponse,
  DESCRIPTIONS,
  exampleArray,
  exampleResponse,
  loadDescription,
  OPERATIONS,
} from './github-openapi.ts'
import { startRestStandIn } from './rest-stand-in.ts'

/**
 * The contract checker itself, on right and deliberately wrong requests: a checker that passes
 * everything would make every test wired to it (the REST stand-in, nock suites) worthless.
 */

const REPO = '/repos/octo-org/project'
const run = { name: 'kitty/start-review', head_sha: 'a'.repeat(40), status: 'completed', conclusion: 'success' }

describe('every operation kitty calls is in both descriptions', () => {
  for (const d of DESCRIPTIONS)
    it(d, () => {
      const ids = loadDescription(d).operations.map((o) => o.id)
      expect(ids).toEqual(OPERATIONS.map((o) => o.id))
    })
})

describe('requests GitHub accepts pass', () => {
  it.each([
    ['GET', `${REPO}/pulls/7`, null],
    ['GET', `/api/v3${REPO}/pulls/7`, null],
    ['GET', `${REPO}/collaborators/some-one/permission`, null],
    ['POST', `${REPO}/check-runs`, { ...run, output: { title: 't', summary: 's', text: 'x' } }],
    ['PATCH', `${REPO}/check-runs/12`, { status: 'completed', conclusion: 'failure' }],
    ['POST', `${REPO}/issues/comments/5/reactions`, { content: '+1' }],
    ['POST', `${REPO}/issues/7/comments`, { body: 'hello' }],
    ['DELETE', `${REPO}/issues/7/labels/kitty%3Amerge`, null],
    [
      'POST',
      '/api/v3/app/installations/3/access_tokens',
      { repositories: ['project'], permissions: { contents: 'write' } },
    ],
  ])('%s %s', (method, path, body) => {
    expect(checkRequest({ method, path, body })).toEqual([])
  })
})

describe('requests GitHub would refuse or never serve fail (the checker can fail)', () => {
  const problems = (method: string, path: string, body: unknown = null, query?: string) =>
    checkRequest({ method, path, body, query: new URLSearchParams(query) }).join('\n')

  it('a path no description has', () => {
    expect(problems('GET', `${REPO}/pull/7`)).toMatch(/not an operation of GitHub's api\.github\.com/)
  })
  it('a method the path does not take', () => {
    expect(problems('PUT', `${REPO}/check-runs`, run)).toMatch(/not an operation/)
  })
  it('a described operation missing from our contract table', () => {
    expect(problems('GET', `${REPO}/issues/7`)).toMatch(/described by GitHub but not in the contract/)
  })
  it('a path parameter of the wrong type', () => {
    expect(problems('GET', `${REPO}/pulls/seven`)).toMatch(/path parameter pull_number=seven/)
  })
  it('a query parameter the operation does not take', () => {
    expect(problems('GET', `${REPO}/pulls/7`, null, 'per_page=3')).toMatch(/query parameter per_page/)
  })
  it('a check run completed without a conclusion', () => {
    expect(problems('PATCH', `${REPO}/check-runs/12`, { status: 'completed' })).toMatch(/checks\/update.*conclusion/)
  })
  it('a conclusion GitHub does not know', () => {
    expect(problems('POST', `${REPO}/check-runs`, { ...run, conclusion: 'ok' })).toMatch(/allowedValues/)
  })
  it('a summary over 65535 characters', () => {
    const body = { ...run, output: { title: 't', summary: 'x'.repeat(65_536) } }
    expect(problems('POST', `${REPO}/check-runs`, body)).toMatch(/summary must NOT have more than 65535/)
  })
  it('a misspelt body field GitHub would silently ignore', () => {
    expect(problems('POST', `${REPO}/issues/7/comments`, { body: 'x', bodyy: 'y' })).toMatch(/field bodyy/)
  })
  it('a reaction GitHub does not have', () => {
    expect(problems('POST', `${REPO}/issues/comments/5/reactions`, { content: 'thumbsup' })).toMatch(/content/)
  })
  it('a body on a call that takes none', () => {
    expect(problems('GET', `${REPO}/pulls/7`, { x: 1 })).toMatch(/takes none/)
  })
  it('each description is asked: a failure names the one that refuses', () => {
    expect(problems('GET', `${REPO}/pull/7`)).toMatch(/ghes-3\.17/)
  })
})

describe('answers', () => {
  const pulls = { method: 'GET', path: `${REPO}/pulls/7`, body: null }
  it.each(OPERATIONS.filter((o) => o.id !== 'issues/remove-label'))('the documented example of $id passes', (o) => {
    const path = o.path.replace(/\{[^}]+\}/g, '1')
    const status = o.method === 'POST' ? 201 : 200
    // A list operation documents an array of examples.
    const example =
      o.id === 'pulls/list' || o.id === 'issues/list-comments'
        ? exampleArray(o.id, status)
        : exampleResponse(o.id, status)
    expect(checkResponse({ method: o.method, path, body: null }, status, example)).toEqual([])
  })
  it("the documented example passes, and a stand-in's guess does not", () => {
    expect(checkResponse(pulls, 200, exampleResponse('pulls/get', 200, { number: 7 }))).toEqual([])
    expect(checkResponse(pulls, 200, { number: 7, head: { ref: 'x', sha: 'y' } }).join()).toMatch(/required/)
  })
  it('rate limits and server errors may answer any operation, with a basic-error body', () => {
    expect(checkResponse(pulls, 429, basicError('API rate limit exceeded', 429))).toEqual([])
    expect(checkResponse(pulls, 502, basicError('Server Error', 502))).toEqual([])
    expect(checkResponse(pulls, 418, basicError('teapot', 418)).join()).toMatch(/status is not described/)
    expect(checkResponse(pulls, 403, { message: 7 }).join()).toMatch(/basic-error/)
  })
})

describe('the REST stand-in of the child-process tests enforces the contract', () => {
  it('a wrong request is answered 400 and recorded, and close() rejects, failing the file', async () => {
    const rest = await startRestStandIn()
    const post = (path: string, body: unknown) =>
      fetch(`${rest.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.status)
    expect(await post(`/api/v3${REPO}/issues/7/comments`, { body: 'fine' })).toBe(201)
    expect(rest.violations).toEqual([])
    expect(await post(`${REPO}/check-runs`, { ...run, conclusion: 'green' })).toBe(400)
    expect(rest.violations.join()).toMatch(/checks\/create.*conclusion/)
    await expect(rest.close()).rejects.toThrow(/REST calls GitHub's description does not allow/)
  })
})
