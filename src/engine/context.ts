import type { KittyConfig } from './config.ts'
import type { Identity } from '../store/commit-mutation.ts'
import type { Repository, StateBranch } from '../store/repository.ts'

/**
 * Everything a command needs besides its request: where the state lives and who is writing. Surfaces
 * build it; commands never read the environment or the clock directly, so tests can pin both.
 */
export interface EngineContext {
  repo: Repository
  branch: StateBranch
  config: KittyConfig
  author: Identity
  correlationId: string
  now: () => Date
  /** Token for pushing to an http(s) remote (KITTY_TOKEN or GITHUB_TOKEN for the CLI). */
  remoteToken?: string | undefined
  /** Whether `git` can be run for the things isomorphic-git cannot do (worktrees). */
  gitBinary: () => Promise<boolean>
}
