import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { readAppYml } from './build-manifest.ts'
import type { SetupServer } from './serve-setup.ts'
import { isLoopback, startSetupServer } from './serve-setup.ts'

/**
 * `npm start` without APP_ID: the setup server instead of the App. app.yml comes from the working
 * directory (where `npm start` runs, as Probot looks for it), else from the package beside dist/.
 */
export async function startSetup(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<SetupServer> {
  const { values } = parseArgs({ args: argv, options: { url: { type: 'string' } }, strict: false })
  const inCwd = join(cwd, 'app.yml')
  const appYmlPath = existsSync(inCwd) ? inCwd : fileURLToPath(new URL('../app.yml', import.meta.url))
  // LOG_FORMAT=json: the same one-object-per-line shape as the App's pino lines, for the same log shipper.
  const log = (message: string) =>
    process.stdout.write(
      env['LOG_FORMAT'] === 'json'
        ? `${JSON.stringify({ level: 30, time: Date.now(), name: 'kitty-github-setup', msg: message })}\n`
        : `${message}\n`,
    )
  const setup = await startSetupServer({
    env,
    cwd,
    appYml: readAppYml(appYmlPath),
    webhookUrl: typeof values['url'] === 'string' ? values['url'] : undefined,
    log,
  })
  const host = env['HOST'] || 'localhost'
  if (!isLoopback(host))
    log(
      `WARNING: HOST=${host}: the setup page is reachable beyond this machine. Whoever reaches it can register ` +
        'an App this server then trusts. Set HOST=127.0.0.1 unless you mean it.',
    )
  log(`kitty-github has no APP_ID: setup page listening on ${setup.url} (manifest from ${appYmlPath})`)
  log(`Open ${setup.url}/ and press "Register GitHub App".`)
  return setup
}
