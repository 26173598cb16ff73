import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A small stand-in for the GitHub REST API on 127.0.0.1: the handful of routes the Action and the App
 * call, answering from tables a test fills in, and recording every request (body included) so a test
 * can check what was sent. Anything else answers 404, as GitHub would.
 */

export interface RecordedRequest {
  method: string
  path: string
  authorization: string | undefined
  body: unknown
  /** performance.now() when the request had been read (benches time deliveries against it). */
  at: number
}

/** A check run as the stand-in keeps it (GET …/commits/{ref}/check-runs lists them). */
export interface StoredCheckRun {
  id: number
  name: string
  head_sha: string
  external_id: string | null
  status: string
}

export interface RestStandIn {
  url: string
  requests: RecordedRequest[]
  /** Check runs created so far, with their latest status. */
  checkRuns: StoredCheckRun[]
  /**
   * Pull requests by number: what GET /pulls/{n} answers. The head lives in the repository asked
   * about unless `repo` says otherwise (a fork's `{ full_name }`, or null for a deleted one).
   */
  pulls: Map<number, { head: { ref: string; sha: string; repo?: { full_name: string } | null } }>
  /** Collaborator permission by login; 'error' answers 500, 'forbidden' 403, a missing login 404. */
  permissions: Map<string, { permission: string; role_name: string } | 'error' | 'forbidden'>
  /** Writes (POST, PATCH, DELETE) whose path matches are refused 422 (not retried), to fail an answer. */
  refuseWrites: RegExp | null
  /** What POST /app/installations/{id}/access_tokens hands out (the App's installation token). */
  installationToken: string
  /** Clear the tables and the recorded requests (one stand-in serving several tests). */
  reset(): void
  close(): Promise<void>
}

export async function startRestStandIn(): Promise<RestStandIn> {
  const requests: RecordedRequest[] = []
  const pulls: RestStandIn['pulls'] = new Map()
  const permissions: RestStandIn['permissions'] = new Map()
  const checkRuns: StoredCheckRun[] = []
  let ids = 1
  const state = {
    installationToken: 'ghs_StandInInstallationToken0123456789',
    refuseWrites: null as RegExp | null,
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
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
        authorization: req.headers.authorization,
        body,
        at: performance.now(),
      })
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify(json))
      }
      let m: RegExpExecArray | null
      if (req.method !== 'GET' && state.refuseWrites?.test(path)) return answer(422, { message: 'Refused (stand-in)' })
      if (req.method === 'GET' && (m = /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)$/.exec(path))) {
        const pull = pulls.get(Number(m[2]))
        if (!pull) return answer(404, { message: 'Not Found' })
        const repo = { full_name: m[1] }
        return answer(200, {
          number: Number(m[2]),
          head: { ...pull.head, repo: pull.head.repo === undefined ? repo : pull.head.repo },
          base: { ref: 'main', repo },
        })
      }
      if (req.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/.exec(path))) {
        const p = permissions.get(m[1]!)
        if (p === 'error') return answer(500, { message: 'Server Error' })
        if (p === 'forbidden') return answer(403, { message: 'Resource not accessible by integration' })
        return p ? answer(200, { ...p, user: { login: m[1] } }) : answer(404, { message: 'Not Found' })
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
        return answer(201, { id, html_url: `http://127.0.0.1/checks/${id}` })
      }
      if (req.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/check-runs$/.exec(path))) {
        const name = new URL(req.url ?? '/', 'http://x').searchParams.get('check_name')
        const runs = checkRuns.filter((r) => r.head_sha === m![1] && (name === null || r.name === name))
        return answer(200, {
          total_count: runs.length,
          check_runs: runs.map((r) => ({ ...r, html_url: `http://127.0.0.1/checks/${r.id}` })),
        })
      }
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path))
        return answer(201, { id: ids++ })
      if (req.method === 'PATCH' && (m = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path))) {
        const run = checkRuns.find((r) => r.id === Number(m![1]))
        const status = (body as { status?: unknown } | null)?.status
        if (run && typeof status === 'string') run.status = status
        return answer(200, { id: Number(m[1]) })
      }
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+\/reactions$/.test(path))
        return answer(201, { id: ids++ })
      if (req.method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
        return answer(201, {
          token: state.installationToken,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          permissions: {},
        })
      }
      if (req.method === 'DELETE' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/labels\/[^/]+$/.test(path))
        return answer(200, [])
      return answer(404, { message: 'Not Found' })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    checkRuns,
    pulls,
    permissions,
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
      checkRuns.length = 0
      pulls.clear()
      permissions.clear()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
