import type { ProgressSink } from '../../store/progress.ts'
import type { KittyConfig } from '../config/config.ts'
import type { Identity } from '../../store/history/commit-mutation.ts'
import type { RemoteOptions } from '../../store/remote/remote.ts'
import type { Repository, StateBranch } from '../../store/repository.ts'

/** Where the state lives when there is no checkout: a remote, mirrored into a local bare cache. */
export interface RemoteState {
  options: RemoteOptions
  /** The tip fetched while the context was opened, used once by the first read. */
  prefetched?: { tip: string | null } | undefined
}

/**
 * Everything a command needs besides its request: where the state lives and who is writing. Surfaces
 * build it; commands never read the environment or the clock directly, so tests can pin both.
 */
export interface EngineContext {
  /** The main checkout's repository, or the remote's cache when `remote` is set. */
  repo: Repository
  branch: StateBranch
  config: KittyConfig
  author: Identity
  correlationId: string
  now: () => Date
  remote?: RemoteState | undefined
  /** An idempotency key (a webhook delivery id): recorded as Kitty-Delivery; a repeat is a no-op. */
  idempotencyKey?: string | undefined
  /** Token for pushing to an http(s) remote (KITTY_TOKEN or GITHUB_TOKEN for the CLI). */
  remoteToken?: string | undefined
  /** Deadline of each remote call, in ms (default 30 s). */
  remoteTimeoutMs?: number | undefined
  /** Things that went wrong after a command's commit landed; runCommand adds them to the payload. */
  warnings?: string[] | undefined
  /** Told how many times a mutation lost the compare-and-swap and retried (the App's metrics). */
  onStateRetries?: ((retries: number) => void) | undefined
  /** Told how long steps are going (the CLI shows it on a terminal's stderr). */
  progress?: ProgressSink | undefined
  /** Whether `git` can be run for the things isomorphic-git cannot do (worktrees). */
  gitBinary: () => Promise<boolean>
}
