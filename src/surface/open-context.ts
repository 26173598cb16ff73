import fs from 'node:fs'
import { resolve } from 'node:path'
import { UsageError, KittyError } from '../core/errors.ts'
import { loadConfig } from '../engine/config/load-config.ts'
import type { EngineContext } from '../engine/framework/context.ts'
import type { Identity } from '../store/history/commit-mutation.ts'
import type { Repository } from '../store/repository.ts'
import { hasGitBinary } from '../store/worktree/git-worktree.ts'
import { parseRemoteUrl } from '../store/remote/remote-url.ts'
import {
  assertBranchName,
  assertStateBranchExists,
  locateRepository,
  readRef,
  resolveStateBranch,
} from '../store/repository.ts'
import { Snapshot } from '../store/objects/snapshot.ts'
import type { ProgressSink } from '../store/progress.ts'

/**
 * The one way every surface (CLI, Action, App) gets an engine context: a checkout, or a locked cache
 * of an http(s) remote; plus identity and the repository's settings. A surface only says *where*.
 */

// For executeCommandForCommit, which imports this module on use (and the store with it).
export { readRef }

/** What the process around the surface provides: environment, working directory, clock. */
export interface SurfaceEnvironment {
  env: NodeJS.ProcessEnv
  cwd: string
  now?: () => Date
  /** Told how long steps are going; unset: nothing is reported. */
  progress?: ProgressSink | undefined
  /** Told of lost compare-and-swaps that were retried (a long-running surface counts them). */
  onStateRetries?: (retries: number) => void
}

/** Where the state lives and how to reach it; unset fields fall back to the environment. */
export interface ContextLocation {
  /** Checkout root (CLI `--repo`); default $SPECIFY_REPO_ROOT, else the working directory. */
  repo?: string | undefined
  /** State branch; default $KITTY_STATE_BRANCH, else the checked-out (or remote default) branch. */
  branch?: string | undefined
  /** An http(s) git remote to work on instead of a checkout. */
  remote?: string | undefined
  /** Token for the remote; default $KITTY_TOKEN, else $GITHUB_TOKEN. Surfaces with their own pass it. */
  token?: string | undefined
  /** Recorded as Kitty-Delivery; a repeat is a no-op. */
  idempotencyKey?: string | undefined
}

export interface OpenedContext {
  ctx: EngineContext
  release: () => Promise<void>
}

const CONTROL = /[\x00-\x1f\x7f]/

function checkedIdempotencyKey(key: string | undefined): string | undefined {
  if (key !== undefined && (key.trim() === '' || key.length > 200 || CONTROL.test(key))) {
    throw new UsageError("Option '--idempotency-key' must be one printable line of at most 200 characters.")
  }
  return key
}

export function remoteTimeout(env: NodeJS.ProcessEnv): number {
  const ms = Number(env['KITTY_REMOTE_TIMEOUT_MS'] ?? 30_000)
  return Number.isFinite(ms) && ms > 0 ? ms : 30_000
}

/** The location a command's own flags name (`--repo`, `--branch`, `--remote`, `--idempotency-key`). */
export function locationFromFlags(flags: Record<string, unknown>): ContextLocation {
  const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined)
  return { repo: text('repo'), branch: text('branch'), remote: text('remote'), idempotencyKey: text('idempotency-key') }
}

/** A root that is not there is a typo to name, not a reason to tell the caller to pass --repo. */
function assertRootExists(root: string, source: string, cwd: string): void {
  const path = resolve(cwd, root)
  let stat: fs.Stats | undefined
  try {
    stat = fs.statSync(path)
  } catch {
    stat = undefined
  }
  if (stat?.isDirectory()) return
  const problem = stat ? 'is not a directory' : 'does not exist'
  throw new KittyError(
    'REPOSITORY_NOT_FOUND',
    `${source} names ${path}, which ${problem}; give the path of a git checkout (or of a directory inside one).`,
    { path },
  )
}

/**
 * Who commits: from the environment or git config. Only commands that write need it, and the lookup
 * (with the commit machinery it lives beside) is imported on use.
 */
async function identityFor(repo: Repository, env: NodeJS.ProcessEnv, writes: boolean): Promise<Identity> {
  if (!writes) return UNUSED_IDENTITY
  const { resolveIdentity } = await import('../engine/mission/write-path.ts')
  return resolveIdentity(repo, env)
}

/** A read's context has no commit identity; using it anyway is a bug to report, not a commit by nobody. */
const UNUSED_IDENTITY: Identity = Object.defineProperties({} as Identity, {
  name: { get: noIdentity, enumerable: true },
  email: { get: noIdentity, enumerable: true },
})
function noIdentity(): never {
  throw new KittyError('INTERNAL_ERROR', 'a context opened for a read command has no commit identity')
}

/**
 * Open the engine context for one command; the caller must `release()` it (the remote cache is locked).
 * `writes: false` (a read command's context) skips looking up the commit identity.
 */
export async function openContext(
  where: ContextLocation,
  io: SurfaceEnvironment,
  correlationId: string,
  { writes = true }: { writes?: boolean } = {},
): Promise<OpenedContext> {
  const base = {
    correlationId,
    now: io.now ?? (() => new Date()),
    gitBinary: hasGitBinary,
    idempotencyKey: checkedIdempotencyKey(where.idempotencyKey),
    onStateRetries: io.onStateRetries,
    progress: io.progress,
  }
  if (where.remote !== undefined) return openRemoteContext(where.remote, where, io, base, writes)
  const root = where.repo ?? io.env['SPECIFY_REPO_ROOT'] ?? io.cwd
  assertRootExists(
    root,
    where.repo !== undefined
      ? '--repo'
      : io.env['SPECIFY_REPO_ROOT'] !== undefined
        ? '$SPECIFY_REPO_ROOT'
        : 'the working directory',
    io.cwd,
  )
  const repo = locateRepository(root)
  const explicit = where.branch ?? io.env['KITTY_STATE_BRANCH']
  const branch = await resolveStateBranch(repo, explicit)
  if (explicit !== undefined) await assertStateBranchExists(repo, branch)
  const config = await loadConfig(await Snapshot.at(repo, await readRef(repo, branch.ref)))
  const remote = {
    remoteToken: where.token ?? (io.env['KITTY_TOKEN'] || io.env['GITHUB_TOKEN'] || undefined),
    remoteTimeoutMs: remoteTimeout(io.env),
  }
  return {
    ctx: { ...base, repo, branch, config, author: await identityFor(repo, io.env, writes), ...remote },
    release: async () => undefined,
  }
}

async function openRemoteContext(
  url: string,
  where: ContextLocation,
  io: SurfaceEnvironment,
  base: Pick<EngineContext, 'correlationId' | 'now' | 'gitBinary' | 'idempotencyKey' | 'onStateRetries' | 'progress'>,
  writes: boolean,
): Promise<OpenedContext> {
  parseRemoteUrl(url)
  const { fetchBranch, openRemoteCache, STATE_FETCH_DEPTH } = await import('../engine/mission/write-path.ts')
  const options = {
    url,
    token: where.token ?? io.env['KITTY_TOKEN'] ?? io.env['GITHUB_TOKEN'],
    timeoutMs: remoteTimeout(io.env),
    onProgress: io.progress,
  }
  const cache = await openRemoteCache(options, io.env)
  try {
    const explicit = where.branch ?? io.env['KITTY_STATE_BRANCH']
    if (explicit) assertBranchName(explicit)
    const fetched = await fetchBranch(cache.repo, options, explicit ?? null, STATE_FETCH_DEPTH)
    const branch = { ref: `refs/heads/${fetched.branch}`, branch: fetched.branch, checkedOut: false }
    const config = await loadConfig(await Snapshot.at(cache.repo, fetched.tip))
    const ctx: EngineContext = {
      ...base,
      repo: cache.repo,
      branch,
      config,
      author: await identityFor(cache.repo, io.env, writes),
      remote: { options, prefetched: { tip: fetched.tip } },
    }
    return { ctx, release: () => cache.lock.release() }
  } catch (err) {
    await cache.lock.release()
    throw err
  }
}
