import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { isomorphicGit } from '../isomorphic-git.ts'
import type { AuthCallback, HttpClient } from 'isomorphic-git'
import { KittyError } from '../../core/errors.ts'
import { atomicFs } from '../safe-fs/atomic-fs.ts'
import { cacheIsEmpty, cloneNatively } from './clone-natively.ts'
import { acquireLock } from '../safe-fs/file-lock.ts'
import type { FileLock } from '../safe-fs/file-lock.ts'
import { objectReader } from '../objects/object-reader.ts'
import { objectsToSend, packObjects } from '../objects/pack-objects.ts'
import { timedHttpClient } from './remote-http.ts'
import { demuxSideBand, parseReportStatus, receivePackRequest } from './receive-pack-wire.ts'
import { isBranchProtection } from './branch-protection.ts'
import { redactUrl, remoteIdentity, splitRemoteUrl } from './remote-url.ts'
import type { Credentials } from './remote-url.ts'
import type { Repository } from '../repository.ts'
import type { ProgressSink } from '../progress.ts'

export { redactUrl } from './remote-url.ts'

/**
 * State on a remote the command has no checkout of (the Action, the App, `--remote`): a bare cache
 * repository per remote URL, fetched before every command and pushed once per mutation. A push the
 * remote refuses because the branch moved is the compare-and-swap failure; the caller re-reads.
 */
export interface RemoteOptions {
  url: string
  token?: string | undefined
  /** Per-operation deadline; no fetch or push may take longer. */
  timeoutMs: number
  /** Told how a fetch is going (the CLI shows it on a terminal's stderr). */
  onProgress?: ProgressSink | undefined
}

/** One cache per remote, whatever credentials (if any) its URL is given with. */
export function remoteCacheDir(url: string, env: NodeJS.ProcessEnv): string {
  const base =
    env['KITTY_CACHE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kitty-github', 'repos')
  const key = createHash('sha256').update(remoteIdentity(url)).digest('hex').slice(0, 24)
  return join(base, `${key}.git`)
}

export interface RemoteCache {
  repo: Repository
  /** Held for the whole command: isomorphic-git is not safe for concurrent use of one repository. */
  lock: FileLock
}

/** Open (creating on first use) the cache for a remote, locked for this process. */
export async function openRemoteCache(remote: RemoteOptions, env: NodeJS.ProcessEnv): Promise<RemoteCache> {
  const git = await isomorphicGit()
  const gitdir = remoteCacheDir(remote.url, env)
  fs.mkdirSync(gitdir, { recursive: true })
  const lock = await acquireLock(join(gitdir, 'kitty-cache'), {
    timeoutMs: Math.max(remote.timeoutMs * 2, 60_000),
    what: 'the remote cache',
  })
  try {
    if (!fs.existsSync(join(gitdir, 'HEAD'))) {
      await git.init({ fs: atomicFs, gitdir, bare: true })
      // No userinfo in the cache at all: commands pass the URL (and token) every time.
      await git.addRemote({ fs: atomicFs, gitdir, remote: 'origin', url: remoteIdentity(remote.url), force: true })
    }
  } catch (err) {
    await lock.release()
    throw err
  }
  return { repo: { fs: atomicFs, gitdir, workdir: null, cache: {} }, lock }
}

/**
 * The URL's own userinfo if it has any (as git uses it before asking a helper), else the token.
 * GitHub App and Actions tokens authenticate as x-access-token (isomorphic-git's onAuth documentation).
 */
function credentialsFor(remote: RemoteOptions, fromUrl: Credentials | null): Credentials | null {
  return fromUrl ?? (remote.token ? { username: 'x-access-token', password: remote.token } : null)
}

function authCallbacks(credentials: Credentials | null): {
  onAuth: AuthCallback
  onAuthFailure: AuthCallback
  headers: Record<string, string>
} {
  return {
    // Sent up front, saving the 401 round trip of every request; onAuth covers servers that ignore it.
    // The HTTP client drops it on the way to any origin but the named one (store/remote/remote-http.ts).
    headers: credentials
      ? { authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` }
      : {},
    onAuth: () => credentials ?? { cancel: true },
    onAuthFailure: () => ({ cancel: true }),
  }
}

/**
 * What every isomorphic-git call to the remote takes: the repository, the URL, auth and the client.
 * The URL goes without its userinfo: isomorphic-git would otherwise make its own Authorization header
 * from it, next to ours, and write the URL into what it returns (FETCH_HEAD's description).
 */
function remoteArgs(repo: Repository, remote: RemoteOptions, http: HttpClient) {
  const parts = splitRemoteUrl(remote.url)
  const auth = authCallbacks(credentialsFor(remote, parts?.credentials ?? null))
  return {
    fs: repo.fs,
    http,
    gitdir: repo.gitdir,
    cache: repo.cache,
    url: parts?.url ?? remote.url,
    remote: 'origin',
    ...auth,
  }
}

/** Run one remote operation under its deadline, with network and auth failures mapped to our codes. */
async function withRemote<T>(
  repo: Repository,
  remote: RemoteOptions,
  what: string,
  run: (args: ReturnType<typeof remoteArgs>) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new Error(`${what} timed out after ${remote.timeoutMs} ms`)),
    remote.timeoutMs,
  )
  try {
    return await run(
      remoteArgs(repo, remote, timedHttpClient({ idleMs: remote.timeoutMs, deadline: controller.signal })),
    )
  } catch (err) {
    throw remoteError(err, remote, what)
  } finally {
    clearTimeout(timer)
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ABORT_ERR',
  'EmptyServerResponseError',
  'ParseError',
  'SmartHttpError',
  'UnknownTransportError',
])

/** TLS failures (https to a plain http port is EPROTO; certificates have codes of their own): nothing reached git. */
const TLS_FAILURE =
  /^(EPROTO$|ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/

function unreachable(e: { code?: string; name?: string }): boolean {
  return (
    UNREACHABLE.has(e.code ?? '') ||
    UNREACHABLE.has(e.name ?? '') ||
    TLS_FAILURE.test(e.code ?? '') ||
    e.name === 'AbortError'
  )
}

/**
 * `text` with every form of the remote's credentials taken out: the raw URL, its userinfo raw and
 * decoded, the token, and their Basic headers. Error messages of Node and isomorphic-git may quote a
 * URL or a header; none of them reaches an envelope as it was.
 */
function hideCredentials(text: string, remote: RemoteOptions): string {
  const parts = splitRemoteUrl(remote.url)
  const secrets = [remote.token, parts?.credentials?.password, parts?.credentials?.username]
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^]*)@/i.exec(remote.url)?.[1]
  const basic = (c: Credentials | null | undefined) =>
    c ? Buffer.from(`${c.username}:${c.password}`).toString('base64') : undefined
  const forms = [
    userinfo,
    ...secrets,
    ...secrets.map((x) => (x === undefined ? x : encodeURIComponent(x))),
    basic(credentialsFor(remote, parts?.credentials ?? null)),
  ]
  let out = remote.url === '' ? text : text.split(remote.url).join(redactUrl(remote.url))
  // Longest first, so a shorter form inside a longer one does not leave the rest behind. Under 4
  // characters a "secret" would only mangle the message.
  for (const form of [...new Set(forms)]
    .filter((f): f is string => f !== undefined && f.length >= 4)
    .sort((a, b) => b.length - a.length)) {
    out = out.split(form).join('***')
  }
  return out
}

/** Network and auth failures as the two codes callers can act on; anything else passes through, its message cleaned. */
export function remoteError(err: unknown, remote: RemoteOptions, what: string): unknown {
  if (err instanceof KittyError) return err
  const e = err as { code?: string; name?: string; message?: string; data?: { statusCode?: number } }
  const where = redactUrl(remote.url)
  const status = e.data?.statusCode
  const detail = hideCredentials(e.message ?? e.code ?? '', remote)
  if ((e.code === 'HttpError' && (status === 401 || status === 403)) || e.code === 'UserCanceledError') {
    return new KittyError(
      'REMOTE_AUTH_FAILED',
      `${where} refused the credentials for ${what}${status ? ` (HTTP ${status})` : ''}. ` +
        'Set KITTY_TOKEN or GITHUB_TOKEN to a token with write access to the repository.',
      { remote: where, ...(status ? { status } : {}) },
    )
  }
  if (e.code === 'EREDIRECT') {
    return new KittyError('REMOTE_UNREACHABLE', `${what} failed: ${detail}. Nothing was changed.`, {
      remote: where,
      cause: 'redirect',
    })
  }
  if (e.code === 'HttpError' || unreachable(e)) {
    return new KittyError(
      'REMOTE_UNREACHABLE',
      `${what} failed: ${where} did not answer (${detail}). Nothing was changed.`,
      {
        remote: where,
        cause: e.code ?? e.name ?? 'unknown',
        ...(status ? { status } : {}),
      },
    )
  }
  if (err instanceof Error) err.message = hideCredentials(err.message, remote)
  return err
}

export interface FetchedBranch {
  branch: string
  /** The remote tip, or null when the branch does not exist there yet. */
  tip: string | null
}

/**
 * Fetch one branch (the remote's default when none is named) into `refs/remotes/origin/<branch>`.
 * `depth` keeps routine commands shallow; merge-mission asks for full history.
 */
export async function fetchBranch(
  cache: Repository,
  remote: RemoteOptions,
  branch: string | null,
  depth?: number,
): Promise<FetchedBranch> {
  const git = await isomorphicGit()
  const parts = splitRemoteUrl(remote.url)
  if (parts && depth !== undefined && (await cacheIsEmpty(cache))) {
    const request = {
      url: parts.url,
      credentials: credentialsFor(remote, parts.credentials),
      branch,
      depth,
      timeoutMs: remote.timeoutMs,
      onProgress: remote.onProgress,
    }
    const cloned = await cloneNatively(cache, request, process.env)
    if (cloned) return cloned
  }
  return withRemote(cache, remote, 'fetch', async (args) => {
    try {
      const result = await git.fetch({
        ...args,
        ...(branch ? { ref: branch } : {}),
        singleBranch: true,
        tags: false,
        ...(depth ? { depth } : {}),
        ...(remote.onProgress ? { onProgress: fetchProgress(remote.onProgress, branch) } : {}),
      })
      const name = branch ?? result.defaultBranch?.replace(/^refs\/heads\//, '') ?? 'main'
      const tip = result.fetchHead ?? null
      // isomorphic-git offers only the local branch as a "have": without it the remote sends the
      // whole history again on every fetch (2.3 MB and ~250 ms of pack indexing on the corpus).
      // A fetch of the default branch asks for HEAD, so HEAD must lead there too.
      if (tip)
        await git.writeRef({ fs: cache.fs, gitdir: cache.gitdir, ref: `refs/heads/${name}`, value: tip, force: true })
      if (tip && !branch)
        await git.writeRef({
          fs: cache.fs,
          gitdir: cache.gitdir,
          ref: 'HEAD',
          value: `refs/heads/${name}`,
          symbolic: true,
          force: true,
        })
      return { branch: name, tip }
    } catch (err) {
      // An empty remote, or a branch that does not exist yet: the state starts from nothing.
      if ((err as { code?: string }).code === 'NotFoundError' && branch) return { branch, tip: null }
      throw err
    }
  })
}

/** isomorphic-git's fetch phases ("Receiving objects", "Resolving deltas") as progress events. */
function fetchProgress(sink: ProgressSink, branch: string | null) {
  const what = `fetching ${branch ?? 'the default branch'}`
  return (e: { phase: string; loaded: number; total: number }) =>
    sink({ task: `${what}: ${e.phase}`, loaded: e.loaded, total: e.total || undefined })
}

/** The remote's branches and their tips, in one ref discovery (protocol v1: every smart-HTTP server speaks it). */
export async function listRemoteBranches(cache: Repository, remote: RemoteOptions): Promise<Map<string, string>> {
  const git = await isomorphicGit()
  return withRemote(cache, remote, 'list branches', async (args) => {
    const refs = await git.listServerRefs({ ...args, protocolVersion: 1, prefix: 'refs/heads/' })
    return new Map(
      refs.filter((r) => r.ref.startsWith('refs/heads/')).map((r) => [r.ref.slice('refs/heads/'.length), r.oid]),
    )
  })
}

/** Deep enough to reach every root: git's own --unshallow asks for the same. */
export const FULL_DEPTH = 2_147_483_647

/**
 * A final refusal carries the remote's reason and what it printed (`remote: …` lines), which is
 * where GitHub names the protection rule; `protected` says it was one (store/remote/branch-protection.ts).
 */
export type PushOutcome =
  | { ok: true }
  | { ok: false; moved: true }
  | { ok: false; moved: false; reason: string; messages: string[]; protected: boolean }

const MOVED =
  /non-fast-forward|fetch first|failed to lock|cannot lock ref|stale info|reference already exists|incorrect old value|failed to update ref/i

/** A refused update: the branch moved (retry after re-reading), or a final refusal with its reason. */
function refused(reason: string, messages: string[] = []): PushOutcome {
  // A protection refusal is final even if its wording happened to look like a race.
  const isProtected = isBranchProtection(reason, messages)
  if (!isProtected && MOVED.test(reason)) return { ok: false, moved: true }
  return { ok: false, moved: false, reason, messages, protected: isProtected }
}

/** The URL of a configured remote of a repository, or null. */
export async function remoteUrl(repo: Repository, remote: string): Promise<string | null> {
  const git = await isomorphicGit()
  const url = await git
    .getConfig({ fs: repo.fs, gitdir: repo.gitdir, path: `remote.${remote}.url` })
    .catch(() => undefined)
  return typeof url === 'string' && url.trim() !== '' ? url : null
}

/**
 * Push the local branch `branch` as it stands to the same branch on the remote, fast-forward only:
 * the remote's own compare-and-swap. Non-fast-forward and lost lock races are "moved" (re-read and
 * retry); any other refusal is final, with the remote's reason.
 */
export async function pushRef(repo: Repository, remote: RemoteOptions, branch: string): Promise<PushOutcome> {
  const git = await isomorphicGit()
  const ref = `refs/heads/${branch}`
  const messages: string[] = []
  return withRemote(repo, remote, 'push', async (args) => {
    try {
      const onMessage = (text: string) => void messages.push(...text.split(/\r\n|\r|\n/).filter((l) => l.trim()))
      const result = await git.push({ ...args, ref, remoteRef: ref, force: false, onMessage })
      const status = result.refs[ref]
      if (result.ok && (!status || status.ok)) {
        const next = await git.resolveRef({ fs: repo.fs, gitdir: repo.gitdir, ref })
        await git.writeRef({
          fs: repo.fs,
          gitdir: repo.gitdir,
          ref: `refs/remotes/origin/${branch}`,
          value: next,
          force: true,
        })
        return { ok: true }
      }
      return refused(status?.error ?? result.error ?? 'rejected', messages)
    } catch (err) {
      const e = err as {
        code?: string
        data?: { reason?: string; result?: { refs?: Record<string, { error?: string }> } }
      }
      if (e.code === 'PushRejectedError') return { ok: false, moved: true }
      if (e.code === 'NotFoundError') return { ok: false, moved: true }
      if (e.code === 'GitPushError') return refused(e.data?.result?.refs?.[ref]?.error ?? 'rejected', messages)
      throw err
    }
  })
}

async function readBody(body: AsyncIterableIterator<Uint8Array> | undefined): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  if (body) for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/**
 * The cache's push: a true compare-and-swap of `branch` from `expected` (null: the branch must not
 * exist yet) to `next`. One ref discovery; if the remote is not at `expected`, "moved" without sending
 * anything. Otherwise one receive-pack request carrying only the objects the change introduces
 * (store/objects/pack-objects.ts), so the cost follows the change, not the repository; isomorphic-git's push
 * walks every tree of the commits it sends.
 */
export async function pushCommit(
  cache: Repository,
  remote: RemoteOptions,
  branch: string,
  next: string,
  expected: string | null,
): Promise<PushOutcome> {
  const git = await isomorphicGit()
  const ref = `refs/heads/${branch}`
  const sent = await withRemote(cache, remote, 'push', async (args) => {
    const info = await git.getRemoteInfo2({ ...args, forPush: true, protocolVersion: 1 })
    const advertised = new Map((info.refs ?? []).map((r) => [r.ref, r.oid]))
    const current = advertised.get(ref) ?? null
    if (current !== expected)
      return current === next ? { ok: true as const } : { ok: false as const, moved: true as const }
    const objects = await objectsToSend(cache, next, advertised.values())
    if (objects === null) return null
    const caps: unknown = info.capabilities
    const sideBand = Array.isArray(caps)
      ? caps.includes('side-band-64k')
      : typeof caps === 'object' && caps !== null && 'side-band-64k' in caps
    const pack = await packObjects(objectReader(cache), objects.oids)
    const body = receivePackRequest(ref, expected, next, pack, sideBand)
    const res = await args.http.request({
      url: `${args.url.replace(/\/$/, '')}/git-receive-pack`,
      method: 'POST',
      headers: {
        ...args.headers,
        'content-type': 'application/x-git-receive-pack-request',
        accept: 'application/x-git-receive-pack-result',
      },
      body: (async function* () {
        yield body
      })(),
    })
    const answer = await readBody(res.body)
    if (res.statusCode !== 200) {
      throw Object.assign(new Error(`HTTP ${res.statusCode} ${res.statusMessage}`), {
        code: 'HttpError',
        data: { statusCode: res.statusCode },
      })
    }
    const { data, messages } = sideBand ? demuxSideBand(answer) : { data: answer, messages: [] }
    const report = parseReportStatus(data, ref)
    return report.ok ? { ok: true as const } : refused(report.reason, messages)
  })
  if (sent === null) return pushBranch(cache, remote, branch, next)
  if (sent.ok) {
    for (const name of [ref, `refs/remotes/origin/${branch}`])
      await git.writeRef({ fs: cache.fs, gitdir: cache.gitdir, ref: name, value: next, force: true })
  }
  return sent
}

/** In a remote cache: point the local branch at `next`, then push it (see pushRef). */
export async function pushBranch(
  cache: Repository,
  remote: RemoteOptions,
  branch: string,
  next: string,
): Promise<PushOutcome> {
  const git = await isomorphicGit()
  await git.writeRef({ fs: cache.fs, gitdir: cache.gitdir, ref: `refs/heads/${branch}`, value: next, force: true })
  return pushRef(cache, remote, branch)
}
