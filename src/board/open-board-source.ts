import fs from 'node:fs'
import { dirname, join } from 'node:path'
import type { EngineContext } from '../engine/framework/context.ts'
import { listRemoteBranches } from '../store/remote/remote.ts'
import type { RemoteOptions } from '../store/remote/remote.ts'
import { redactUrl } from '../store/remote/remote-url.ts'
import { readRef } from '../store/repository.ts'
import { Snapshot } from '../store/objects/snapshot.ts'
import type { ContextLocation, SurfaceEnvironment } from '../surface/open-context.ts'
import { openContext } from '../surface/open-context.ts'
import { newCorrelationId } from '../core/envelope.ts'

/**
 * Where the live board's state comes from: the local checkout's state branch, or an http(s) remote.
 * `tip` is cheap (a ref file; one ref discovery), so the board can ask often; `read` opens the state
 * at a commit only when the tip moved.
 */
export interface BoardSource {
  /** The state branch's tip now (null: the branch has no commits). */
  tip(): Promise<string | null>
  /** Run `fn` on the state at `tip`, with a context whose object cache is fresh. */
  read<T>(fn: (ctx: EngineContext, snapshot: Snapshot) => Promise<T>): Promise<T>
  /** Call `moved` soon after the tip may have moved; returns the function that stops watching. */
  watch(moved: () => void, pollMs: number): () => void
  describe: string
}

/** The local state branch: its ref file and packed-refs are watched, with a poll behind them. */
export async function openLocalSource(where: ContextLocation, io: SurfaceEnvironment): Promise<BoardSource> {
  const opened = await openContext(where, io, newCorrelationId())
  const base = opened.ctx
  const fresh = (): EngineContext => ({ ...base, repo: { ...base.repo, cache: {} } })
  return {
    describe: `${base.repo.workdir ?? base.repo.gitdir} (${base.branch.branch})`,
    tip: () => readRef(base.repo, base.branch.ref),
    async read(fn) {
      const ctx = fresh()
      return fn(ctx, await Snapshot.at(ctx.repo, await readRef(ctx.repo, ctx.branch.ref)))
    },
    watch(moved, pollMs) {
      const refFile = join(base.repo.gitdir, base.branch.ref)
      // git replaces the ref file by renaming a lock over it: watch the folders, not the file.
      const watchers: fs.FSWatcher[] = []
      for (const dir of [dirname(refFile), base.repo.gitdir]) {
        try {
          const w = fs.watch(dir, { persistent: false }, () => moved())
          w.on('error', () => undefined)
          watchers.push(w)
        } catch {
          // No inotify (a full watch table, some network filesystems): the poll below still sees it.
        }
      }
      const timer = setInterval(moved, pollMs)
      timer.unref()
      return () => {
        clearInterval(timer)
        for (const w of watchers) w.close()
      }
    },
  }
}

/**
 * An http(s) remote: polled with one ref discovery (no objects move unless the tip did); a moved tip
 * is fetched into the remote cache under its lock, as every command does.
 */
export async function openRemoteSource(where: ContextLocation, io: SurfaceEnvironment): Promise<BoardSource> {
  const first = await openContext(where, io, newCorrelationId())
  const branch = first.ctx.branch.branch
  const cacheRepo = first.ctx.repo
  const options: RemoteOptions = first.ctx.remote!.options
  await first.release()
  const pinned = { ...where, branch }
  return {
    // Printed in the startup envelope: the URL's userinfo (a password, a token) must never be.
    describe: `${redactUrl(where.remote ?? '')} (${branch})`,
    async tip() {
      const branches = await listRemoteBranches({ ...cacheRepo, cache: {} }, options)
      return branches.get(branch) ?? null
    },
    async read(fn) {
      const opened = await openContext(pinned, io, newCorrelationId())
      try {
        const tip = opened.ctx.remote?.prefetched?.tip ?? null
        return await fn(opened.ctx, await Snapshot.at(opened.ctx.repo, tip))
      } finally {
        await opened.release()
      }
    },
    watch(moved, pollMs) {
      const timer = setInterval(moved, pollMs)
      timer.unref()
      return () => clearInterval(timer)
    },
  }
}
