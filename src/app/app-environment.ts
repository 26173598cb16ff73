import { homedir } from 'node:os'
import { join } from 'node:path'
import { UsageError } from '../core/errors.ts'
import { wholeNumberSetting } from './read-setting.ts'
import { sweepIntervalMs } from './sweep-abandoned.ts'

/**
 * The App's settings from its environment (docs/app.md, "Running the App"), read the same way by the
 * receiving thread and the worker thread: checked once at start, so a typo fails the start, not a job.
 */

/** GitHub's own cap on a delivery ("Payloads are capped at 25 MB"), read generously as MiB. */
export const DEFAULT_WEBHOOK_MAX_BYTES = 25 * 1024 * 1024

const DEFAULT_WORKERS = 4

/** Variables the engine must never see: it needs neither, and every child or log line is one less risk. */
const PRIVATE = ['PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET', 'GITHUB_TOKEN', 'KITTY_TOKEN']

/** KITTY_READY_MAX_BACKLOG_MS: above this oldest-pending age /readyz says 503, so a balancer sheds load. */
export function readyMaxBacklogMs(env: NodeJS.ProcessEnv): number {
  const raw = env['KITTY_READY_MAX_BACKLOG_MS']
  const ms = Number(raw)
  return raw === undefined || raw === '' || !Number.isFinite(ms) || ms < 0 ? 60_000 : ms
}

export function cacheRoot(env: NodeJS.ProcessEnv): string {
  return env['KITTY_CACHE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kitty-github', 'repos')
}

export function engineEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !PRIVATE.includes(k)))
  out['KITTY_CACHE_DIR'] = cacheRoot(env)
  // State commits show as the App's; GitHub links the noreply address to the bot account when it matches.
  out['GIT_COMMITTER_NAME'] ??= 'kitty-github[bot]'
  out['GIT_COMMITTER_EMAIL'] ??= 'kitty-github[bot]@users.noreply.github.com'
  out['GIT_AUTHOR_NAME'] ??= out['GIT_COMMITTER_NAME']
  out['GIT_AUTHOR_EMAIL'] ??= out['GIT_COMMITTER_EMAIL']
  return out
}

/** Refuse to start half-configured: Probot would otherwise accept webhooks signed with "development". */
export function checkAppEnvironment(env: NodeJS.ProcessEnv): void {
  const missing: string[] = []
  if (!env['APP_ID']) missing.push('APP_ID')
  if (!env['PRIVATE_KEY'] && !env['PRIVATE_KEY_PATH']) missing.push('PRIVATE_KEY or PRIVATE_KEY_PATH')
  if (!env['WEBHOOK_SECRET']) missing.push('WEBHOOK_SECRET')
  if (missing.length > 0)
    throw new UsageError(`The App needs ${missing.join(', ')} in its environment (see docs/app.md, "Running the App").`)
  webhookMaxBytes(env)
  workers(env)
  sweepIntervalMs(env)
  warmUpDeliveries(env)
  const port = Number(env['PORT'] ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`PORT must be a port number, not '${String(env['PORT']).slice(0, 20)}'.`)
}

/** WEBHOOK_MAX_BYTES: the largest delivery body accepted; GitHub's own cap by default. */
export function webhookMaxBytes(env: NodeJS.ProcessEnv): number {
  const range = { min: 1, max: Number.MAX_SAFE_INTEGER }
  return wholeNumberSetting(
    env,
    'WEBHOOK_MAX_BYTES',
    DEFAULT_WEBHOOK_MAX_BYTES,
    range,
    'a positive whole number of bytes',
  )
}

/** KITTY_WARM_UP_DELIVERIES: deliveries the receiver is sent at start (warm-up/warm-up-receiver.ts); 0: none. */
export function warmUpDeliveries(env: NodeJS.ProcessEnv): number {
  const range = { min: 0, max: 10_000 }
  return wholeNumberSetting(env, 'KITTY_WARM_UP_DELIVERIES', 1_000, range, 'a whole number from 0 to 10000')
}

/** KITTY_WORKERS: jobs (of different repositories) one process runs at once. */
export function workers(env: NodeJS.ProcessEnv): number {
  return wholeNumberSetting(env, 'KITTY_WORKERS', DEFAULT_WORKERS, { min: 1, max: 256 }, 'a whole number from 1 to 256')
}
