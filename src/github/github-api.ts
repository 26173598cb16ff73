import type { PermissionLookup } from './check-permission.ts'
import type { PullRef } from './read-event.ts'

/**
 * The few REST calls the GitHub surfaces make, behind one small interface: routing and tests talk to
 * this, and both the Action's Octokit (@actions/github) and the App's (Probot) fit under it.
 */
export interface GithubApi {
  getPull(number: number): Promise<PullRef>
  /** Never throws: a failed lookup is a value, so the caller cannot forget to refuse on it. */
  permission(login: string): Promise<PermissionLookup>
  createCheckRun(run: CheckRunRequest): Promise<{ id: number | null; url: string | null }>
  /** Complete a check run created `in_progress` (the App's answer to GitHub's 10 s delivery limit). */
  updateCheckRun(id: number, run: CheckRunUpdate): Promise<void>
  /** `+1` for success, `confused` for failure: the App's acknowledgement on the comment. */
  addReaction(commentId: number, content: '+1' | 'confused' | 'eyes'): Promise<void>
  createComment(issueNumber: number, body: string): Promise<void>
  removeLabel(issueNumber: number, label: string): Promise<void>
  /** merge.via: pull_request (src/github/open-staging-pull.ts); absent where a surface cannot open pull requests. */
  pulls?: PullsApi
}

export interface PullSummary {
  number: number
  url: string | null
  /** The GraphQL node id auto-merge needs. */
  nodeId: string | null
}

export interface PullsApi {
  /** The open pull request from `head` (`owner:branch`) into `base`, if any (`pulls.list`). */
  findOpen(head: string, base: string): Promise<PullSummary | null>
  create(pull: { head: string; base: string; title: string; body: string }): Promise<PullSummary>
  update(number: number, pull: { title: string; body: string }): Promise<PullSummary>
  /** GraphQL `enablePullRequestAutoMerge`: required checks or the merge queue then land it. */
  enableAutoMerge(nodeId: string, method: 'merge' | 'squash' | 'rebase'): Promise<void>
}

function pullSummary(data: unknown): PullSummary {
  const d = data as { number?: unknown; html_url?: unknown; node_id?: unknown }
  if (typeof d.number !== 'number') throw new Error('the answer named no pull request number')
  return {
    number: d.number,
    url: typeof d.html_url === 'string' ? d.html_url : null,
    nodeId: typeof d.node_id === 'string' ? d.node_id : null,
  }
}

export type CheckRunRequest =
  | {
      name: string
      head_sha: string
      status: 'completed'
      conclusion: 'success' | 'failure'
      output: { title: string; summary: string; text: string }
      /** The App's key for finding its own check run again (a retried delivery). */
      external_id?: string
    }
  | {
      name: string
      head_sha: string
      status: 'in_progress'
      output: { title: string; summary: string; text?: string }
      external_id?: string
    }

/** A check run's later state: the fields of CheckRunRequest other than its name and commit. */
export type CheckRunUpdate = CheckRunRequest extends infer R
  ? R extends CheckRunRequest
    ? Omit<R, 'name' | 'head_sha' | 'external_id'>
    : never
  : never

/** The one method of Octokit we use; `octokit.request` has this shape in every Octokit flavour. */
export interface OctokitLike {
  request(
    route: string,
    params?: Record<string, unknown>,
  ): Promise<{ status: number; data: unknown; headers?: Record<string, unknown> }>
}

export interface RepoName {
  owner: string
  repo: string
}

interface ApiError {
  status?: number
  message?: string
  response?: { headers?: Record<string, string | number | undefined> }
}

/**
 * GitHub's rate limits as its REST docs describe them: 429, or 403 with `x-ratelimit-remaining: 0`
 * (primary), or 403 with `retry-after` or a "secondary rate limit" message. Null when not limited;
 * else when to try again, from `retry-after` (seconds) or `x-ratelimit-reset` (epoch seconds).
 */
export function rateLimitOf(err: unknown): { retryAt: string | null } | null {
  const e = (err ?? {}) as ApiError
  const h = e.response?.headers ?? {}
  const limited =
    e.status === 429 ||
    (e.status === 403 &&
      (String(h['x-ratelimit-remaining']) === '0' ||
        h['retry-after'] !== undefined ||
        /rate limit/i.test(e.message ?? '')))
  if (!limited) return null
  const after = Number(h['retry-after'])
  if (h['retry-after'] !== undefined && Number.isFinite(after)) return { retryAt: `in ${after} s` }
  const reset = Number(h['x-ratelimit-reset'])
  if (h['x-ratelimit-reset'] !== undefined && Number.isFinite(reset))
    return { retryAt: `at ${new Date(reset * 1000).toISOString()}` }
  return { retryAt: null }
}

/** Error text without anything secret: Octokit errors carry the request, headers included. */
function describe(err: unknown): string {
  const e = err as ApiError
  const first = (e.message ?? String(err)).split('\n')[0]!.slice(0, 200)
  const limited = rateLimitOf(err)
  const limit = limited ? ` (GitHub's rate limit${limited.retryAt ? `: try again ${limited.retryAt}` : ''})` : ''
  return e.status ? `HTTP ${e.status}: ${first}${limit}` : first
}

/**
 * GitHub Enterprise Server serves GraphQL at /api/graphql, beside the REST API's /api/v3 (the mapping
 * @octokit/graphql makes); github.com's REST base already ends where /graphql goes.
 */
function graphqlBase(octokit: OctokitLike): { baseUrl?: string } {
  const rest = (octokit.request as { endpoint?: { DEFAULTS?: { baseUrl?: unknown } } }).endpoint?.DEFAULTS?.baseUrl
  const ghes = /\/api\/v3\/?$/
  return typeof rest === 'string' && ghes.test(rest) ? { baseUrl: rest.replace(ghes, '/api') } : {}
}

export function octokitApi(octokit: OctokitLike, where: RepoName): GithubApi {
  return {
    async getPull(number) {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        ...where,
        pull_number: number,
      })
      const head = (data as { head?: { ref?: unknown; sha?: unknown; repo?: { full_name?: unknown } | null } }).head
      return {
        number,
        headRef: typeof head?.ref === 'string' ? head.ref : null,
        headSha: typeof head?.sha === 'string' ? head.sha : null,
        // null for a fork that was deleted: GitHub keeps the pull request and answers `repo: null`.
        headRepo: typeof head?.repo?.full_name === 'string' ? head.repo.full_name : null,
      }
    },
    async permission(login) {
      try {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
          ...where,
          username: login,
        })
        const d = data as { permission?: unknown; role_name?: unknown }
        if (typeof d.permission !== 'string' && typeof d.role_name !== 'string')
          return { ok: false, error: 'the answer named no permission' }
        return {
          ok: true,
          permission: typeof d.permission === 'string' ? d.permission : null,
          roleName: typeof d.role_name === 'string' ? d.role_name : null,
        }
      } catch (err) {
        return { ok: false, error: describe(err) }
      }
    },
    async createCheckRun(run) {
      const { data } = await octokit.request('POST /repos/{owner}/{repo}/check-runs', { ...where, ...run })
      const d = data as { id?: unknown; html_url?: unknown }
      return { id: typeof d.id === 'number' ? d.id : null, url: typeof d.html_url === 'string' ? d.html_url : null }
    },
    async updateCheckRun(id, run) {
      await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        ...where,
        check_run_id: id,
        ...run,
      })
    },
    async addReaction(commentId, content) {
      await octokit.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', {
        ...where,
        comment_id: commentId,
        content,
      })
    },
    async createComment(issueNumber, body) {
      await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...where,
        issue_number: issueNumber,
        body,
      })
    },
    pulls: {
      async findOpen(head, base) {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/pulls', {
          ...where,
          head,
          base,
          state: 'open',
          per_page: 10,
        })
        const first = Array.isArray(data) ? data[0] : undefined
        return first ? pullSummary(first) : null
      },
      async create(pull) {
        const { data } = await octokit.request('POST /repos/{owner}/{repo}/pulls', { ...where, ...pull })
        return pullSummary(data)
      },
      async update(number, pull) {
        const { data } = await octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
          ...where,
          pull_number: number,
          ...pull,
        })
        return pullSummary(data)
      },
      async enableAutoMerge(nodeId, method) {
        const query =
          'mutation($id: ID!, $method: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: ' +
          '{pullRequestId: $id, mergeMethod: $method}) { pullRequest { number } } }'
        const { data } = await octokit.request('POST /graphql', {
          ...graphqlBase(octokit),
          query,
          variables: { id: nodeId, method: method.toUpperCase() },
        })
        const errors = (data as { errors?: Array<{ message?: unknown }> }).errors
        if (errors?.length) throw new Error(String(errors[0]?.message ?? 'GraphQL error'))
      },
    },
    async removeLabel(issueNumber, label) {
      await octokit.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', {
        ...where,
        issue_number: issueNumber,
        name: label,
      })
    },
  }
}

export { describe as describeApiError }
