import { Ajv } from 'ajv'
import type { ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROJECT_ROOT } from './git-repo.ts'

/**
 * GitHub's own REST description (@octokit/openapi) as a contract for every request the Action and the
 * App make in tests, and for every answer a stand-in or nock gives them. Our stand-ins were written by
 * the same hands as the code they answer; this checks both against what GitHub publishes.
 *
 * Every request is checked against api.github.com AND the oldest GitHub Enterprise Server description
 * the package ships (ghes-3.17, the oldest GHES we claim to support, docs/github-contract.md): the same
 * code talks to both. A request is refused when its method and path match no described operation, when
 * it matches one that is not in OPERATIONS (a new call must be added to the contract table first), when
 * a path or query parameter or the body breaks the operation's schema, or when the body carries a field
 * the operation does not describe (GitHub ignores those silently, so a misspelt field would go unseen).
 *
 * The descriptions are large (11-13 MB each, hundreds of MB dereferenced): each is parsed once per
 * machine and package version, and only the operations below are kept, in a small cache file.
 */

export const DESCRIPTIONS = ['api.github.com', 'ghes-3.17'] as const
export type Description = (typeof DESCRIPTIONS)[number]

/** Every REST operation kitty calls: src/github/github-api.ts, src/app/installation-token.ts, src/app/setup/. */
export const OPERATIONS = [
  { id: 'pulls/get', method: 'GET', path: '/repos/{owner}/{repo}/pulls/{pull_number}' },
  {
    id: 'repos/get-collaborator-permission-level',
    method: 'GET',
    path: '/repos/{owner}/{repo}/collaborators/{username}/permission',
  },
  { id: 'checks/create', method: 'POST', path: '/repos/{owner}/{repo}/check-runs' },
  { id: 'checks/update', method: 'PATCH', path: '/repos/{owner}/{repo}/check-runs/{check_run_id}' },
  // A retried delivery finds the check run an earlier attempt opened (by external_id) before creating one.
  { id: 'checks/list-for-ref', method: 'GET', path: '/repos/{owner}/{repo}/commits/{ref}/check-runs' },
  // The recovery sweep reads the status of a run a job from before it saved without saying it was left open.
  { id: 'checks/get', method: 'GET', path: '/repos/{owner}/{repo}/check-runs/{check_run_id}' },
  {
    id: 'reactions/create-for-issue-comment',
    method: 'POST',
    path: '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
  },
  { id: 'issues/create-comment', method: 'POST', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
  // A retried delivery looks for the reply an earlier attempt posted (its hidden marker) before posting one.
  { id: 'issues/list-comments', method: 'GET', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
  { id: 'issues/remove-label', method: 'DELETE', path: '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}' },
  {
    id: 'apps/create-installation-access-token',
    method: 'POST',
    path: '/app/installations/{installation_id}/access_tokens',
  },
  // The App's set-up page (src/app/setup/serve-setup.ts): the one-time code is the credential.
  { id: 'apps/create-from-manifest', method: 'POST', path: '/app-manifests/{code}/conversions' },
  // merge.via: pull_request (src/github/open-staging-pull.ts): one staging pull request, found, opened or updated.
  { id: 'pulls/list', method: 'GET', path: '/repos/{owner}/{repo}/pulls' },
  { id: 'pulls/create', method: 'POST', path: '/repos/{owner}/{repo}/pulls' },
  { id: 'pulls/update', method: 'PATCH', path: '/repos/{owner}/{repo}/pulls/{pull_number}' },
] as const

/**
 * Calls outside the REST description: GraphQL has its own schema, not an OpenAPI operation. The stand-in
 * answers them before the REST check; docs/github-contract.md lists them in their own table.
 */
export const GRAPHQL_CALLS = ['POST /graphql'] as const

export type OperationId = (typeof OPERATIONS)[number]['id']

type Json = Record<string, unknown>

interface ExtractedOperation {
  id: string
  method: string
  path: string
  parameters: { name: string; in: string; required: boolean; schema: unknown }[]
  body: { required: boolean; schema: unknown } | null
  /** By status: the schema of the JSON answer (null when it has none) and the documented example. */
  responses: Record<string, { schema: unknown; example: unknown }>
  xGithub: unknown
}

interface Extracted {
  /** Every described `METHOD /template`, to tell an undescribed request from one we have not listed. */
  routes: string[]
  operations: ExtractedOperation[]
  /** The component schemas the operations reach, keyed as in the description. */
  schemas: Json
}

const PACKAGE = join(PROJECT_ROOT, 'node_modules/@octokit/openapi')

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { version: string }).version
}

function pointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`)
  let at: unknown = doc
  for (const part of ref.slice(2).split('/')) at = (at as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')]
  if (at === undefined) throw new Error(`dangling $ref ${ref}`)
  return at
}

/** Resolves a $ref to parameters, responses, examples; schema refs stay, collected into `schemas`. */
function extract(doc: Json): Extracted {
  const paths = doc['paths'] as Record<string, Record<string, Json>>
  const routes: string[] = []
  for (const [path, item] of Object.entries(paths))
    for (const method of Object.keys(item))
      if (['get', 'put', 'post', 'patch', 'delete', 'head'].includes(method))
        routes.push(`${method.toUpperCase()} ${path}`)
  const schemas: Json = {}
  const components = (doc['components'] as Json)['schemas'] as Json
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(collect)
    if (node === null || typeof node !== 'object') return
    const ref = (node as Json)['$ref']
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length)
      if (!(name in schemas)) {
        schemas[name] = components[name]
        collect(components[name])
      }
      return
    }
    for (const v of Object.values(node as Json)) collect(v)
  }
  const deref = (node: unknown): Json => {
    let n = node as Json
    while (typeof n['$ref'] === 'string') n = pointer(doc, n['$ref']) as Json
    return n
  }
  const operations = OPERATIONS.map(({ id, method, path }) => {
    const op = paths[path]?.[method.toLowerCase()]
    if (!op) return null
    const parameters = ((op['parameters'] as unknown[] | undefined) ?? []).map((p) => {
      const d = deref(p)
      return { name: d['name'] as string, in: d['in'] as string, required: d['required'] === true, schema: d['schema'] }
    })
    const rb = op['requestBody'] ? deref(op['requestBody']) : null
    const bodySchema = (rb?.['content'] as Json | undefined)?.['application/json'] as Json | undefined
    const responses: ExtractedOperation['responses'] = {}
    for (const [status, r] of Object.entries(op['responses'] as Json)) {
      const content = (deref(r)['content'] as Json | undefined)?.['application/json'] as Json | undefined
      const examples = content?.['examples'] as Json | undefined
      const first = examples ? deref(Object.values(examples)[0]) : undefined
      responses[status] = { schema: content?.['schema'] ?? null, example: first?.['value'] ?? null }
    }
    const extracted: ExtractedOperation = {
      id,
      method,
      path,
      parameters,
      body: bodySchema ? { required: rb?.['required'] === true, schema: bodySchema['schema'] } : null,
      responses,
      xGithub: op['x-github'] ?? null,
    }
    collect(extracted)
    return extracted
  }).filter((o) => o !== null)
  return { routes, operations, schemas }
}

const loaded = new Map<Description, Extracted>()

/** The operations of one description, from the cache file when a test file on this machine made it. */
export function loadDescription(description: Description): Extracted {
  const held = loaded.get(description)
  if (held) return held
  const cacheDir = join(tmpdir(), 'kitty-github-openapi')
  const cacheFile = join(cacheDir, `${description}-${packageVersion()}-${hashOperations()}.json`)
  let extracted: Extracted
  try {
    extracted = JSON.parse(readFileSync(cacheFile, 'utf8')) as Extracted
  } catch {
    extracted = extract(JSON.parse(readFileSync(join(PACKAGE, 'generated', `${description}.json`), 'utf8')) as Json)
    mkdirSync(cacheDir, { recursive: true })
    // Renamed into place: test files running in parallel never read half a cache file.
    const temporary = `${cacheFile}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(extracted))
    renameSync(temporary, cacheFile)
  }
  loaded.set(description, extracted)
  return extracted
}

function hashOperations(): string {
  let h = 0
  for (const ch of JSON.stringify(OPERATIONS)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0
  return (h >>> 0).toString(16)
}

interface Compiled {
  extracted: Extracted
  ajv: Ajv
  validators: Map<string, ValidateFunction>
}

const compiled = new Map<Description, Compiled>()

function compiledFor(description: Description): Compiled {
  const held = compiled.get(description)
  if (held) return held
  const extracted = loadDescription(description)
  // OpenAPI 3.0 schemas: `nullable` is Ajv's own keyword; `example`, `x-*` and friends are annotations.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv
  addFormats(ajv)
  for (const f of ['int32', 'int64', 'repo.nwo', 'binary', 'ssh-key', 'ssh-key fingerprint', 'ip/cidr', 'timestamp'])
    ajv.addFormat(f, true)
  ajv.addSchema({ $id: 'gh', components: { schemas: extracted.schemas }, operations: extracted.operations })
  const c = { extracted, ajv, validators: new Map<string, ValidateFunction>() }
  compiled.set(description, c)
  return c
}

function validator(c: Compiled, pointerInDoc: string): ValidateFunction {
  let v = c.validators.get(pointerInDoc)
  if (!v) {
    v = c.ajv.compile({ $ref: `gh#${pointerInDoc}` })
    c.validators.set(pointerInDoc, v)
  }
  return v
}

function errorsOf(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ')
}

function templateRegex(template: string): RegExp {
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')
  return new RegExp(`^${source}$`)
}

export interface RestCall {
  method: string
  /** The request path as sent, `/api/v3` prefix (GitHub Enterprise Server) included, query excluded. */
  path: string
  query?: URLSearchParams
  body: unknown
}

/** The operation a call is, or why it is none: the path as GitHub sees it (after any `/api/v3`). */
export function matchOperation(
  description: Description,
  method: string,
  rawPath: string,
): { op: ExtractedOperation; index: number; params: Record<string, string> } | { problem: string } {
  const path = rawPath.replace(/^\/api\/v3(?=\/)/, '')
  const { extracted } = compiledFor(description)
  const described = extracted.routes.some((r) => {
    const [m, t] = r.split(' ') as [string, string]
    return m === method.toUpperCase() && templateRegex(t).test(path)
  })
  const index = extracted.operations.findIndex(
    (o) => o.method === method.toUpperCase() && templateRegex(o.path).test(path),
  )
  if (index < 0)
    return {
      problem: described
        ? `${method} ${path} is described by GitHub but not in the contract (OPERATIONS, docs/github-contract.md)`
        : `${method} ${path} is not an operation of GitHub's ${description} REST description`,
    }
  const op = extracted.operations[index]!
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!)
  const values = templateRegex(op.path).exec(path)!.slice(1)
  return { op, index, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i]!)])) }
}

/** A parameter's string value as its schema types it (paths and queries arrive as text). */
function typed(value: string, schema: unknown): unknown {
  const type = (schema as { type?: unknown } | null)?.type
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true'
  return value
}

/** The problems with one request, against one description; empty when GitHub would accept it. */
export function requestProblems(description: Description, call: RestCall): string[] {
  const matched = matchOperation(description, call.method, call.path)
  if ('problem' in matched) return [matched.problem]
  const { op, index, params } = matched
  const c = compiledFor(description)
  const problems: string[] = []
  const where = `${op.id} (${description})`
  op.parameters.forEach((p, i) => {
    const raw = p.in === 'path' ? params[p.name] : p.in === 'query' ? call.query?.get(p.name) : undefined
    if (p.in !== 'path' && p.in !== 'query') return
    if (raw === undefined || raw === null) {
      if (p.required) problems.push(`${where}: the ${p.in} parameter ${p.name} is missing`)
      return
    }
    const v = validator(c, `/operations/${index}/parameters/${i}/schema`)
    if (!v(typed(raw, p.schema))) problems.push(`${where}: ${p.in} parameter ${p.name}=${raw}: ${errorsOf(v)}`)
  })
  for (const key of call.query?.keys() ?? [])
    if (!op.parameters.some((p) => p.in === 'query' && p.name === key))
      problems.push(`${where}: the query parameter ${key} is not described`)
  if (!op.body) {
    if (call.body !== null && call.body !== undefined && call.body !== '')
      problems.push(`${where}: a body was sent, but the operation takes none`)
  } else if (call.body === null || call.body === undefined) {
    if (op.body.required) problems.push(`${where}: the operation requires a body`)
  } else {
    const v = validator(c, `/operations/${index}/body/schema`)
    if (!v(call.body)) problems.push(`${where}: the body breaks the schema: ${errorsOf(v)}`)
    const known = Object.keys(((op.body.schema as Json)['properties'] as Json | undefined) ?? {})
    if (call.body !== null && typeof call.body === 'object' && !Array.isArray(call.body))
      for (const key of Object.keys(call.body))
        if (!known.includes(key)) problems.push(`${where}: the body field ${key} is not described`)
  }
  return problems
}

/**
 * Statuses GitHub may answer to any operation though an operation's description does not list them:
 * rate limits (403, 429) and server trouble (5xx), each with a `basic-error` body, as its docs say.
 */
const ANY_OPERATION = new Set([403, 429, 500, 502, 503, 504])

/** The problems with one answer to a request (a stand-in's or nock's), against one description. */
export function responseProblems(description: Description, call: RestCall, status: number, body: unknown): string[] {
  const matched = matchOperation(description, call.method, call.path)
  if ('problem' in matched) return []
  const { op, index } = matched
  const c = compiledFor(description)
  const where = `${op.id} (${description}) answered ${status}`
  const response = op.responses[String(status)]
  if (!response) {
    if (!ANY_OPERATION.has(status)) return [`${where}: the status is not described`]
    const v = c.ajv.getSchema('gh#/components/schemas/basic-error') ?? null
    if (body === null || body === undefined || body === '') return []
    if (v && !v(body)) return [`${where}: not a basic-error body: ${errorsOf(v)}`]
    return []
  }
  if (response.schema === null) return []
  const v = validator(c, `/operations/${index}/responses/${status}/schema`)
  return v(body) ? [] : [`${where}: the body breaks the schema: ${errorsOf(v)}`]
}

/**
 * Compile every validator now: the first pull request answer alone takes a second to compile, and a
 * stand-in that stalls while the App waits on it would fail timing tests for the wrong reason.
 */
export function warmUp(): void {
  for (const d of DESCRIPTIONS) {
    const c = compiledFor(d)
    c.extracted.operations.forEach((op, index) => {
      op.parameters.forEach((_, i) => validator(c, `/operations/${index}/parameters/${i}/schema`))
      if (op.body) validator(c, `/operations/${index}/body/schema`)
      for (const [status, r] of Object.entries(op.responses))
        if (r.schema !== null) validator(c, `/operations/${index}/responses/${status}/schema`)
    })
    c.ajv.getSchema('gh#/components/schemas/basic-error')
  }
}

/** Both descriptions at once: what every test uses. */
export function checkRequest(call: RestCall): string[] {
  return DESCRIPTIONS.flatMap((d) => requestProblems(d, call))
}

export function checkResponse(call: RestCall, status: number, body: unknown): string[] {
  return DESCRIPTIONS.flatMap((d) => responseProblems(d, call, status, body))
}

/**
 * The documented example answer of an operation (api.github.com's), with `overrides` merged in deep:
 * what a stand-in or a nock reply sends, so answers look like GitHub's and not like our guess.
 */
export function exampleResponse(id: OperationId, status: number, overrides: Json = {}): Json {
  const op = loadDescription('api.github.com').operations.find((o) => o.id === id)
  const example = op?.responses[String(status)]?.example
  if (example === null || example === undefined || typeof example !== 'object' || Array.isArray(example))
    throw new Error(`${id} documents no example object for ${status}`)
  return merge(merge(structuredClone(example) as Json, EXAMPLE_FIXES[id] ?? {}), overrides)
}

/**
 * Where GitHub's own example breaks GitHub's own schema (github-openapi.test.ts finds these): the pull
 * request's requested team has no `type`, and the collaborator's `user` no `role_name`, both required.
 */
const EXAMPLE_FIXES: Partial<Record<OperationId, Json>> = {
  'pulls/get': { requested_teams: [] },
  'pulls/create': { requested_teams: [] },
  'pulls/update': { requested_teams: [] },
  'pulls/list': { requested_teams: [] },
  'repos/get-collaborator-permission-level': { user: { role_name: 'write' } },
}

export function exampleArray(id: OperationId, status: number): unknown[] {
  const op = loadDescription('api.github.com').operations.find((o) => o.id === id)
  const example = op?.responses[String(status)]?.example
  if (!Array.isArray(example)) throw new Error(`${id} documents no example array for ${status}`)
  const fix = EXAMPLE_FIXES[id] ?? {}
  return (structuredClone(example) as Json[]).map((item) => merge(item, structuredClone(fix)))
}

function merge(base: Json, overrides: Json): Json {
  for (const [k, v] of Object.entries(overrides)) {
    const b = base[k]
    base[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object'
        ? merge(b as Json, v as Json)
        : v
  }
  return base
}

/** GitHub's error body, as every error answer carries it. */
export function basicError(message: string, status: number): Json {
  return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) }
}

/**
 * A fetch for Octokit that checks each request and its answer (from nock, in-process tests) against
 * the contract; `violations` collects what was wrong, for an afterEach to assert empty.
 */
export function contractFetch(inner: typeof fetch = globalThis.fetch): { fetch: typeof fetch; violations: string[] } {
  const violations: string[] = []
  const checked: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const text = request.body ? await request.clone().text() : ''
    let body: unknown = null
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      body = text
    }
    const call: RestCall = { method: request.method, path: url.pathname, query: url.searchParams, body }
    violations.push(...checkRequest(call))
    const response = await inner(input, init)
    const answer = await response.clone().text()
    let answerBody: unknown = null
    try {
      answerBody = answer ? JSON.parse(answer) : null
    } catch {
      answerBody = answer
    }
    violations.push(...checkResponse(call, response.status, answerBody))
    return response
  }
  return { fetch: checked, violations }
}
