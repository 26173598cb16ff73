import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RestCall } from './github-openapi.ts'
import { basicError, checkRequest, checkResponse, exampleArray, exampleResponse, warmUp } from './github-openapi.ts'

/**
 * A small stand-in for the GitHub REST API on 127.0.0.1: the handful of routes the Action and the App
 * call, answering from tables a test fills in, and recording every request (body included) so a test
 * can check what was sent. Anything else answers 404, as GitHub would.
 *
 * Every request and every answer is checked against GitHub's REST description (./github-openapi.ts):
 * a request GitHub does not describe, or a body it would refuse, is answered 400 and recorded in
 * `violations`, and `close()` then rejects, so the test file that made it fails. Answers are GitHub's
 * documented examples with the test's values merged in, not shapes of our own.
 */

export interface RecordedRequest {
  method: string
  /** The path as GitHub sees it: percent-decoded, without the `/api/v3` of GitHub Enterprise Server. */
  path: string
  /** The path as sent, prefix and encoding kept (which API URL style the client used). */
  raw: string
  /** The query string's parameters (page, per_page, since…). */
  query: URLSearchParams
  authorization: string | undefined
  body: unknown
  /** performance.now() when the request had been read (benches time deliveries against it). */
  at: number
}

/** A scripted answer, e.g. a rate limit or a 502, shaped as GitHub documents it. */
export interface Fault {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

/** A check run as the stand-in keeps it (GET …/commits/{ref}/check-runs lists them). */
export interface StoredCheckRun {
  id: number
  name: string
  head_sha: string
  external_id: string | null
  status: string
}

/** An issue or pull request comment as the stand-in keeps it (GET …/issues/{n}/comments lists them). */
export interface StoredComment {
  id: number
  /** owner/name as in the path. */
  repository: string
  issue_number: number
  body: string
  /** ISO 8601; `since` filters on it (GitHub's on updated_at, the same for a comment never edited). */
  created_at: string
}

export interface RestStandIn {
  url: string
  requests: RecordedRequest[]
  /** Comments posted so far (and any a test plants), oldest first, as GitHub lists them. */
  comments: StoredComment[]
  /** Check runs created so far, with their latest status. */
  checkRuns: StoredCheckRun[]
  /**
   * Pull requests by number: what GET /pulls/{n} answers. The head lives in the repository asked
   * about unless `repo` says otherwise (a fork's `{ full_name }`, or null for a deleted one).
   */
  pulls: Map<number, { head: { ref: string; sha: string; repo?: { full_name: string } | null } }>
  /**
   * Pull requests opened through the API (POST /pulls), by number: GET /pulls lists them
   * (`head=owner:branch`, `base`, `state`), PATCH edits them. A second open one for the same head and
   * base is refused with GitHub's 422, as GitHub does.
   */
  opened: Map<number, OpenedPull>
  /** GraphQL requests answered (enablePullRequestAutoMerge): their variables. */
  graphql: Array<{ query: string; variables: Record<string, unknown> }>
  /** Collaborator permission by login; 'error' answers 500, 'forbidden' 403, a missing login 404. */
  permissions: Map<string, { permission: string; role_name: string } | 'error' | 'forbidden'>
  /**
   * The manifest flow's one-time codes: POST /app-manifests/{code}/conversions answers the App (201,
   * shaped as GitHub documents it) and forgets the code; an unknown or spent code answers 404.
   */
  manifestCodes: Map<string, ManifestConversion>
  /** Writes (POST, PATCH, DELETE) whose path matches are refused 422 (not retried), to fail an answer. */
  refuseWrites: RegExp | null
  /** What POST /app/installations/{id}/access_tokens hands out (the App's installation token). */
  installationToken: string
  /** Requests or answers that break GitHub's description; close() rejects when there are any. */
  violations: string[]
  /** Answer the next `times` requests whose `METHOD path` matches `route` with `fault` instead. */
  fail(route: RegExp, fault: Fault, times?: number): void
  /**
   * Run `action` when the next request whose `METHOD path` matches `route` has arrived, before it is
   * handled and answered: e.g. kill the client, so the write lands here and its caller never hears so.
   */
  beforeNext(route: RegExp, action: () => Promise<void> | void): void
  /** Clear the tables, the scripted faults and the recorded requests (one stand-in serving several tests). */
  reset(): void
  close(): Promise<void>
}

/** The fields of GitHub's "Create a GitHub App from a manifest" answer a test chooses. */
export interface ManifestConversion {
  id: number
  pem: string
  webhook_secret: string
  client_secret: string
}

export interface OpenedPull {
  number: number
  owner: string
  head: string
  base: string
  title: string
  body: string
  state: 'open' | 'closed'
}

export async function startRestStandIn(options: { contract?: boolean } = {}): Promise<RestStandIn> {
  // Benches turn the check off: it costs milliseconds per request they time.
  const contract = options.contract ?? true
  if (contract) warmUp()
  const violations: string[] = []
  const faults: { route: RegExp; fault: Fault; left: number }[] = []
  const holds: { route: RegExp; action: () => Promise<void> | void }[] = []
  const manifestCodes: RestStandIn['manifestCodes'] = new Map()
  const opened: RestStandIn['opened'] = new Map()
  const graphql: RestStandIn['graphql'] = []
  const requests: RecordedRequest[] = []
  const pulls: RestStandIn['pulls'] = new Map()
  const permissions: RestStandIn['permissions'] = new Map()
  const checkRuns: StoredCheckRun[] = []
  const comments: StoredComment[] = []
  let ids = 1
  const state = {
    installationToken: 'ghs_StandInInstallationToken0123456789',
    refuseWrites: null as RegExp | null,
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown = null
      try {
        body = text ? JSON.parse(text) : null
      } catch {
        body = text
      }
      // GitHub Enterprise Server serves the REST API under /api/v3 (the App's GHE_HOST points here).
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/api\/v3(?=\/)/, '')
      requests.push({
        method: req.method ?? 'GET',
        path,
        raw: (req.url ?? '/').split('?')[0]!,
        query: new URL(req.url ?? '/', 'http://stand-in').searchParams,
        authorization: req.headers.authorization,
        body,
        at: performance.now(),
      })
      const held = holds.findIndex((h) => h.route.test(`${req.method} ${path}`))
      if (held >= 0) await holds.splice(held, 1)[0]!.action()
      const raw = new URL(req.url ?? '/', 'http://stand-in')
      const call: RestCall = { method: req.method ?? 'GET', path: raw.pathname, query: raw.searchParams, body }
      const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        if (contract) violations.push(...checkResponse(call, status, json))
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
        res.end(json === undefined ? '' : JSON.stringify(json))
      }
      // GraphQL is not in the REST description (GRAPHQL_CALLS): recorded for the test to check, then answered.
      if (req.method === 'POST' && (path === '/graphql' || path === '/api/graphql')) {
        const b = body as { query?: string; variables?: Record<string, unknown> }
        graphql.push({ query: b?.query ?? '', variables: b?.variables ?? {} })
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
        return res.end(JSON.stringify({ data: { enablePullRequestAutoMerge: { pullRequest: { number: 0 } } } }))
      }
      const refused = contract ? checkRequest(call) : []
      if (refused.length > 0) {
        violations.push(...refused)
        res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' })
        return res.end(JSON.stringify(basicError(`kitty contract check: ${refused.join('; ')}`, 400)))
      }
      const scripted = faults.find((f) => f.left > 0 && f.route.test(`${call.method} ${path}`))
      if (scripted) {
        scripted.left--
        return answer(scripted.fault.status, scripted.fault.body, scripted.fault.headers)
      }
      const notFound = () => answer(404, basicError('Not Found', 404))
      let m: RegExpExecArray | null
      if (req.method !== 'GET' && state.refuseWrites?.test(path))
        return answer(422, basicError('Refused (stand-in)', 422))
      const query = new URL(req.url ?? '/', 'http://stand-in').searchParams
      // GitHub's documented pull request, with the fields the staging flow reads set from what was opened.
      const pullFields = (p: OpenedPull) => ({
        number: p.number,
        html_url: `http://127.0.0.1/pull/${p.number}`,
        node_id: `PR_node${p.number}`,
        state: p.state,
        title: p.title,
        body: p.body,
      })
      const pullJson = (p: OpenedPull, id: 'pulls/create' | 'pulls/update' = 'pulls/create', status = 201) => {
        const pull = exampleResponse(id, status, pullFields(p)) as { head: object; base: object }
        return {
          ...pull,
          head: { ...pull.head, ref: p.head, label: `${p.owner}:${p.head}` },
          base: { ...pull.base, ref: p.base },
        }
      }
      // A listed pull request is GitHub's shorter "pull-request-simple".
      const listedPull = (p: OpenedPull) => {
        const pull = { ...(exampleArray('pulls/list', 200)[0] as { head: object; base: object }), ...pullFields(p) }
        return {
          ...pull,
          head: { ...pull.head, ref: p.head, label: `${p.owner}:${p.head}` },
          base: { ...pull.base, ref: p.base },
        }
      }
      if (req.method === 'GET' && (m = /^\/repos\/([^/]+)\/[^/]+\/pulls$/.exec(path))) {
        const [owner, branch] = (query.get('head') ?? '').split(':')
        const state = query.get('state') ?? 'open'
        const base = query.get('base')
        return answer(
          200,
          [...opened.values()]
            .filter((p) => !query.get('head') || (p.owner === owner && p.head === branch))
            .filter((p) => (state === 'all' || p.state === state) && (!base || p.base === base))
            .map(listedPull),
        )
      }
      if (req.method === 'POST' && (m = /^\/repos\/([^/]+)\/[^/]+\/pulls$/.exec(path))) {
        const b = body as { head?: string; base?: string; title?: string; body?: string }
        if (!b?.head || !b.base || !b.title) return answer(422, { message: 'Validation Failed' })
        const owner = m[1]!
        if ([...opened.values()].some((p) => p.state === 'open' && p.head === b.head && p.base === b.base))
          return answer(422, {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${owner}:${b.head}.`,
              },
            ],
          })
        const number = 100 + opened.size
        const p: OpenedPull = {
          number,
          owner,
          head: b.head,
          base: b.base,
          title: b.title,
          body: b.body ?? '',
          state: 'open',
        }
        opened.set(number, p)
        return answer(201, pullJson(p))
      }
      if (req.method === 'PATCH' && (m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(path))) {
        const p = opened.get(Number(m[1]))
        if (!p) return answer(404, { message: 'Not Found' })
        const b = body as { title?: string; body?: string }
        if (b?.title) p.title = b.title
        if (typeof b?.body === 'string') p.body = b.body
        return answer(200, pullJson(p, 'pulls/update', 200))
      }
      if (req.method === 'GET' && (m = /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)$/.exec(path))) {
        const pull = pulls.get(Number(m[2]))
        if (!pull) return notFound()
        const repo = { full_name: m[1] }
        const answered = exampleResponse('pulls/get', 200, {
          number: Number(m[2]),
          head: { ...pull.head, repo: pull.head.repo === undefined ? repo : pull.head.repo },
          base: { ref: 'main', repo },
        })
        // GitHub answers `head.repo: null` once a fork is deleted, which its description does not allow
        // (docs/github-contract.md): that one answer is sent unchecked.
        if (pull.head.repo === null) {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
          return res.end(JSON.stringify(answered))
        }
        return answer(200, answered)
      }
      if (req.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/.exec(path))) {
        const p = permissions.get(m[1]!)
        if (p === 'error') return answer(500, basicError('Server Error', 500))
        if (p === 'forbidden') return answer(403, basicError('Resource not accessible by integration', 403))
        return p
          ? answer(
              200,
              exampleResponse('repos/get-collaborator-permission-level', 200, {
                ...p,
                user: { login: m[1], role_name: p.role_name },
              }),
            )
          : notFound()
      }
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/check-runs$/.test(path)) {
        const id = ids++
        const b = (body ?? {}) as Partial<StoredCheckRun>
        checkRuns.push({
          id,
          name: String(b.name),
          head_sha: String(b.head_sha),
          external_id: typeof b.external_id === 'string' ? b.external_id : null,
          status: String(b.status),
        })
        return answer(201, exampleResponse('checks/create', 201, { id, html_url: `http://127.0.0.1/checks/${id}` }))
      }
      if (req.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/check-runs$/.exec(path))) {
        const name = new URL(req.url ?? '/', 'http://x').searchParams.get('check_name')
        const runs = checkRuns.filter((r) => r.head_sha === m![1] && (name === null || r.name === name))
        // GitHub's documented check run, with what the stand-in kept of each one created.
        const documented = (exampleResponse('checks/list-for-ref', 200) as { check_runs: object[] }).check_runs[0]
        return answer(200, {
          total_count: runs.length,
          check_runs: runs.map((r) => ({ ...documented, ...r, html_url: `http://127.0.0.1/checks/${r.id}` })),
        })
      }
      if (req.method === 'POST' && (m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
        const b = (body ?? {}) as { body?: unknown }
        const stored: StoredComment = {
          id: ids++,
          repository: m[1]!,
          issue_number: Number(m[2]),
          body: String(b.body),
          created_at: new Date().toISOString(),
        }
        comments.push(stored)
        const { id, body: text, created_at } = stored
        return answer(
          201,
          exampleResponse('issues/create-comment', 201, { id, body: text, created_at, updated_at: created_at }),
        )
      }
      if (req.method === 'GET' && (m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
        // Oldest first, `since` on the time, pages of per_page (30 by default, 100 at most), as GitHub answers.
        const since = query.get('since')
        const perPage = Math.min(Number(query.get('per_page') ?? 30), 100)
        const page = Number(query.get('page') ?? 1)
        const all = comments.filter(
          (c) => c.repository === m![1] && c.issue_number === Number(m![2]) && (!since || c.created_at >= since),
        )
        const documented = exampleArray('issues/list-comments', 200)[0] as object
        const shown = all.slice((page - 1) * perPage, page * perPage).map(({ id, body: text, created_at }) => ({
          ...documented,
          id,
          body: text,
          created_at,
          updated_at: created_at,
        }))
        // GitHub's Link header: next and last on every page but the last.
        const pageUrl = (n: number) => {
          const url = new URL(`http://${req.headers.host}${req.url}`)
          url.searchParams.set('page', String(n))
          return url.href
        }
        const last = Math.max(1, Math.ceil(all.length / perPage))
        const link = page < last ? { link: `<${pageUrl(page + 1)}>; rel="next", <${pageUrl(last)}>; rel="last"` } : {}
        return answer(200, shown, link)
      }
      if (req.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path))) {
        const run = checkRuns.find((r) => r.id === Number(m![1]))
        // GitHub answers 404 for a run that is not there, as on every route, but describes only 200 for
        // this one (docs/github-contract.md): that one answer is sent unchecked.
        if (!run) {
          res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' })
          return res.end(JSON.stringify(basicError('Not Found', 404)))
        }
        const { id, name, head_sha, external_id, status } = run
        // An open run keeps the example's conclusion: the description's enum for it has no null.
        const completed = status === 'completed' ? { completed_at: new Date().toISOString() } : { completed_at: null }
        return answer(
          200,
          exampleResponse('checks/get', 200, {
            id,
            name,
            head_sha,
            external_id,
            status,
            ...completed,
            html_url: `http://127.0.0.1/checks/${id}`,
          }),
        )
      }
      if (req.method === 'PATCH' && (m = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path))) {
        const run = checkRuns.find((r) => r.id === Number(m![1]))
        const status = (body as { status?: unknown } | null)?.status
        if (run && typeof status === 'string') run.status = status
        return answer(200, exampleResponse('checks/update', 200, { id: Number(m[1]) }))
      }
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+\/reactions$/.test(path))
        return answer(201, exampleResponse('reactions/create-for-issue-comment', 201, { id: ids++ }))
      if (req.method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
        return answer(
          201,
          exampleResponse('apps/create-installation-access-token', 201, {
            token: state.installationToken,
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            permissions: { contents: 'write' },
          }),
        )
      }
      if (req.method === 'POST' && (m = /^\/app-manifests\/([^/]+)\/conversions$/.exec(path))) {
        const app = manifestCodes.get(m[1]!)
        if (!app) return notFound()
        manifestCodes.delete(m[1]!)
        const now = new Date().toISOString()
        return answer(
          201,
          exampleResponse('apps/create-from-manifest', 201, {
            id: app.id,
            slug: 'kitty-github',
            node_id: 'MDM6QXBwNTk=',
            owner: { login: 'octo-org', id: 1, type: 'Organization' },
            name: 'kitty-github',
            description: '',
            external_url: 'https://github.com/kitty-github/kitty-github',
            html_url: `https://github.com/apps/kitty-github`,
            created_at: now,
            updated_at: now,
            permissions: { contents: 'write', metadata: 'read' },
            events: ['issue_comment', 'pull_request', 'pull_request_review'],
            client_id: 'Iv1.8a61f9b3a7aba766',
            client_secret: app.client_secret,
            webhook_secret: app.webhook_secret,
            pem: app.pem,
          }),
        )
      }
      if (req.method === 'DELETE' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/labels\/[^/]+$/.test(path))
        return answer(200, exampleArray('issues/remove-label', 200))
      return notFound()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    comments,
    checkRuns,
    pulls,
    opened,
    graphql,
    permissions,
    violations,
    fail(route, fault, times = 1) {
      faults.push({ route, fault, left: times })
    },
    beforeNext(route, action) {
      holds.push({ route, action })
    },
    manifestCodes,
    get installationToken() {
      return state.installationToken
    },
    set installationToken(token: string) {
      state.installationToken = token
    },
    get refuseWrites() {
      return state.refuseWrites
    },
    set refuseWrites(pattern: RegExp | null) {
      state.refuseWrites = pattern
    },
    reset() {
      state.refuseWrites = null
      requests.length = 0
      faults.length = 0
      holds.length = 0
      checkRuns.length = 0
      comments.length = 0
      pulls.clear()
      opened.clear()
      graphql.length = 0
      permissions.clear()
      manifestCodes.clear()
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
      if (violations.length > 0)
        throw new Error(`REST calls GitHub's description does not allow:\n${[...new Set(violations)].join('\n')}`)
    },
  }
}
