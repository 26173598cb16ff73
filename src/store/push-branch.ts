import git from 'isomorphic-git'
import type { Repository } from './repository.ts'

export interface PushRequest {
  remote: string
  branch: string
  /** GitHub token (installation or personal); sent as `x-access-token` when the server asks. */
  token?: string | undefined
  timeoutMs?: number
}

export type PushOutcome = { ok: true } | { ok: false; reason: string }

const DEFAULT_TIMEOUT_MS = 30_000

/** The URL of a configured remote, or null. */
export async function remoteUrl(repo: Repository, remote: string): Promise<string | null> {
  const url = await git.getConfig({ fs: repo.fs, gitdir: repo.gitdir, path: `remote.${remote}.url` }).catch(() => undefined)
  return typeof url === 'string' && url.trim() !== '' ? url : null
}

/** One line saying why a push failed, from whatever isomorphic-git or the network threw. */
function describePushError(err: unknown): string {
  const e = err as { code?: string; message?: string; data?: { reason?: string; statusCode?: number; statusMessage?: string } }
  if (e.code === 'PushRejectedError') return `the remote rejected the update (${e.data?.reason ?? 'rejected'}): fetch and merge first`
  if (e.code === 'HttpError') return `HTTP ${e.data?.statusCode ?? '?'} ${e.data?.statusMessage ?? ''}`.trim()
  if (e.code === 'UnknownTransportError') return 'only http(s) remotes can be pushed to (isomorphic-git has no file:// or ssh transport)'
  return (e.message ?? String(err)).split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown error'
}

/**
 * Push one branch, fast-forward only (the remote's own compare-and-swap), with a deadline: a hung
 * remote must not hold the merge hostage. The HTTP client is loaded only here, so commands that never
 * push do not pay for it at start-up.
 */
export async function pushBranch(repo: Repository, request: PushRequest): Promise<PushOutcome> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const { default: http } = await import('isomorphic-git/http/node')
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<PushOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort()
      resolve({ ok: false, reason: `no answer from ${request.remote} within ${Math.round(timeoutMs / 1000)} s` })
    }, timeoutMs)
  })
  const push = git
    .push({
      fs: repo.fs,
      http,
      gitdir: repo.gitdir,
      cache: repo.cache,
      remote: request.remote,
      ref: `refs/heads/${request.branch}`,
      remoteRef: `refs/heads/${request.branch}`,
      signal: controller.signal,
      ...(request.token ? { onAuth: () => ({ username: 'x-access-token', password: request.token! }) } : {}),
      onAuthFailure: () => ({ cancel: true }),
    })
    .then(
      (result): PushOutcome => (result.ok ? { ok: true } : { ok: false, reason: result.error ?? 'the remote refused the update' }),
      (err: unknown): PushOutcome => ({ ok: false, reason: describePushError(err) }),
    )
  try {
    return await Promise.race([push, deadline])
  } finally {
    clearTimeout(timer)
  }
}
