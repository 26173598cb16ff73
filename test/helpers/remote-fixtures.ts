import type { RemoteCache, RemoteOptions } from '../../src/store/remote/remote.ts'
import { openRemoteCache } from '../../src/store/remote/remote.ts'
import type { GitHttpServer, GitHttpServerOptions } from './git-http-server.ts'
import { startGitHttpServer } from './git-http-server.ts'
import { tempDir } from './git-repo.ts'

/**
 * The test git servers and remote caches one test file opens, so each test can end with `close()`:
 * every cache's lock released, then every server stopped. Caches live in their own temporary folder.
 */
export function remoteFixtures() {
  const servers: GitHttpServer[] = []
  const caches: RemoteCache[] = []
  return {
    async start(options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
      const server = await startGitHttpServer(options)
      servers.push(server)
      return server
    },
    async cache(opts: RemoteOptions): Promise<RemoteCache> {
      const c = await openRemoteCache(opts, { KITTY_CACHE_DIR: tempDir('kitty-cache-') })
      caches.push(c)
      return c
    },
    async close(): Promise<void> {
      for (const c of caches.splice(0)) await c.lock.release()
      await Promise.all(servers.splice(0).map((s) => s.close()))
    },
  }
}
