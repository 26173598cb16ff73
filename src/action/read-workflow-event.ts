import { existsSync, readFileSync } from 'node:fs'
import type { WorkflowEvent } from './run-action.ts'

/**
 * The triggering event as the runner describes it, read the way `@actions/github`'s `context` reads
 * it (the same variables, the same tolerance of a missing event file). Read here because importing
 * `@actions/github` for its context would evaluate its HTTP stack (undici, ~40% of the bundle) on
 * every step, REST call or not.
 */
export function readWorkflowEvent(env: NodeJS.ProcessEnv): WorkflowEvent {
  const path = env['GITHUB_EVENT_PATH']
  let payload: unknown = {}
  if (path && existsSync(path)) {
    try {
      payload = JSON.parse(readFileSync(path, 'utf8'))
    } catch {
      // An unreadable event file is an event kitty cannot route; routing answers that, not a crash.
      payload = {}
    }
  }
  return {
    name: env['GITHUB_EVENT_NAME'] ?? '',
    payload,
    sha: env['GITHUB_SHA'] ?? '',
    actor: env['GITHUB_ACTOR'] ?? '',
  }
}
