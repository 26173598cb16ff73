import { isKittyError } from '../core/errors.ts'
import { startAppServer } from './server.ts'
import { loadEnvFile } from './setup/load-env-file.ts'
import { startSetup } from './setup/start-setup.ts'

/**
 * `npm start`: the App as a process. SIGTERM (a rolling deploy, a scale-down) stops accepting,
 * lets queued and running deliveries finish within KITTY_DRAIN_TIMEOUT_MS, then exits: 0 when all
 * finished, 1 when the bound cut some short (their pushes either landed whole or not at all).
 */

const DEFAULT_DRAIN_MS = 25_000

async function main(): Promise<void> {
  loadEnvFile(process.env, process.cwd())
  // No App yet: serve GitHub's registration flow instead (docs/app.md, "Registering the App").
  if (!process.env['APP_ID']) {
    await startSetup(process.argv.slice(2), process.env, process.cwd())
    return
  }
  const app = await startAppServer(process.env)
  const log = app.probot.log
  log.info({ url: app.url }, `kitty-github App listening on ${app.url}`)
  const drainMs = Number(process.env['KITTY_DRAIN_TIMEOUT_MS'] ?? DEFAULT_DRAIN_MS)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal, in_flight: app.queue.depth }, `${signal}: draining`)
    void app.drain(Number.isFinite(drainMs) && drainMs >= 0 ? drainMs : DEFAULT_DRAIN_MS).then((drained) => {
      if (drained) log.info({}, 'drained; exiting')
      else log.error({ in_flight: app.queue.depth }, 'drain bound reached with deliveries still running; exiting')
      // pino writes through a stream; give it a tick to flush.
      setTimeout(() => process.exit(drained ? 0 : 1), 50)
    })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main().catch((err: unknown) => {
  const message = isKittyError(err) ? err.message : `kitty-github App failed to start: ${(err as Error).message}`
  process.stderr.write(`${message}\n`)
  process.exit(isKittyError(err) ? 2 : 1)
})
