import { execFile } from 'node:child_process'
import { appendFileSync, existsSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { KittyError, UsageError } from '../core/errors.ts'
import { COMMANDS } from '../engine/framework/registry.ts'

/**
 * `command: setup`: puts `kitty` and `spec-kitty` on the PATH of the job's later steps, so an
 * orchestrator there calls `spec-kitty orchestrator-api …` as it would anywhere. The launchers run this
 * Action's own bundled CLI (dist/cli.js beside dist/index.js) with the runner's Node, on the workflow's
 * repository: its remote, or the workspace when that is a checkout of it.
 *
 * The token is deliberately not handed over: every way from one step to the next (GITHUB_ENV,
 * GITHUB_OUTPUT, a file) writes it to the runner's disk. The CLI reads `$KITTY_TOKEN` (else
 * `$GITHUB_TOKEN`) from the later step's own `env:`, where the workflow passes `${{ github.token }}`.
 */

export interface SetupCliIo {
  env: NodeJS.ProcessEnv
  info(message: string): void
  setOutput(name: string, value: string): void
}

export interface SetupCliResult {
  dir: string
  /** The remote the launchers work on, or null when they work on the workspace's checkout. */
  remote: string | null
}

/**
 * execFile with a callback, not util.promisify: a bundle may wrap execFile to load child_process on its
 * first call (scripts/build.mjs on main), and a wrapper has no promisify.custom, so `stdout` would be lost.
 */
function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ok: boolean; stdout: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { env, encoding: 'utf8' }, (err, stdout) =>
      resolve({ ok: !err, stdout: String(stdout ?? '') }),
    ),
  )
}

/** Command words that accept --remote: the launcher adds the workflow's remote to these only. */
function remoteCommands(): string[] {
  const words = COMMANDS.filter((c) => c.params.some((p) => p.name === 'remote')).map((c) =>
    c.group === 'kitty' ? c.name : `${c.group} ${c.name}`,
  )
  return [...words, 'board']
}

/** A remote URL as a comparable key: no userinfo, no trailing `.git` or slash, host in lower case. */
function sameRepository(a: string, b: string): boolean {
  const key = (raw: string) => {
    try {
      const u = new URL(raw)
      return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '').replace(/\.git$/, '')}`
    } catch {
      return null
    }
  }
  const ka = key(a)
  return ka !== null && ka === key(b)
}

/** The workspace, when it is the top of a checkout whose origin is the workflow's repository. */
async function checkoutOf(workspace: string | undefined, remote: string): Promise<string | null> {
  if (!workspace || !existsSync(join(workspace, '.git'))) return null
  // Only the repository's own config: a runner's global or system config must not change the answer.
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' }
  const top = await run('git', ['-C', workspace, 'rev-parse', '--show-toplevel'], env)
  try {
    if (!top.ok || realpathSync(top.stdout.trim()) !== realpathSync(workspace)) return null
  } catch {
    return null
  }
  const origin = await run('git', ['-C', workspace, 'config', '--get', 'remote.origin.url'], env)
  return origin.ok && sameRepository(origin.stdout.trim(), remote) ? workspace : null
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/** The one file with logic: it rewrites argv and environment, then loads the CLI bundle in-process. */
function launcherModule(config: Record<string, unknown>): string {
  return `// Written by kitty-github's \`command: setup\`; runs the Action's bundled CLI (docs/action.md, "command: setup").
const config = ${JSON.stringify(config)}
const args = process.argv.slice(2)
for (const [key, value] of Object.entries(config.env)) if (process.env[key] === undefined) process.env[key] = value
if (config.remote !== null && !args.some((a) => /^--(remote|repo)(=|$)/.test(a))) {
  const words = config.commands.find((c) => c.split(' ').every((w, i) => args[i] === w))
  if (words !== undefined) args.splice(words.split(' ').length, 0, '--remote', config.remote)
}
process.argv = [process.argv[0], config.cli, ...args]
await import(config.cliUrl)
`
}

export async function setupCli(io: SetupCliIo, repository: { url: string }): Promise<SetupCliResult> {
  const githubPath = io.env['GITHUB_PATH']
  if (!githubPath || !existsSync(githubPath))
    throw new UsageError('command: setup adds to the PATH of later steps through GITHUB_PATH: run it in a workflow.')
  const cli = join(dirname(fileURLToPath(import.meta.url)), 'cli.js')
  if (!existsSync(cli))
    throw new KittyError('INTERNAL_ERROR', `The Action's CLI bundle is missing (${cli}); the Action is incomplete.`)
  const workspace = io.env['GITHUB_WORKSPACE']
  const checkout = await checkoutOf(workspace, repository.url)
  const runnerTemp = io.env['RUNNER_TEMP'] || tmpdir()
  // A fresh folder (0700) nobody else could have prepared: nothing is written through a planted link.
  const dir = mkdtempSync(join(runnerTemp, 'kitty-cli-'))
  const env: Record<string, string> = {
    KITTY_CACHE_DIR: join(runnerTemp, 'kitty-github'),
    GIT_COMMITTER_NAME: 'github-actions[bot]',
    GIT_COMMITTER_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
  }
  if (checkout) env['SPECIFY_REPO_ROOT'] = checkout
  const launcher = join(dir, 'kitty-launch.mjs')
  writeFileSync(
    launcher,
    launcherModule({
      cli,
      cliUrl: pathToFileURL(cli).href,
      remote: checkout ? null : repository.url,
      commands: remoteCommands(),
      env,
    }),
    { flag: 'wx', mode: 0o644 },
  )
  const node = process.execPath
  for (const name of ['kitty', 'spec-kitty']) {
    writeFileSync(join(dir, name), `#!/bin/sh\nexec ${shellQuote(node)} ${shellQuote(launcher)} "$@"\n`, {
      flag: 'wx',
      mode: 0o755,
    })
    // Windows runners: cmd.exe cannot quote a '"' or '%' in a path, so no .cmd launcher there.
    if (!/["%]/.test(node + launcher))
      writeFileSync(join(dir, `${name}.cmd`), `@"${node}" "${launcher}" %*\r\n`, { flag: 'wx', mode: 0o755 })
  }
  // A broken bundle layout fails here, in the setup step, not in the orchestrator's.
  const probe = await run(node, [launcher, 'orchestrator-api', 'contract-version'], { PATH: process.env['PATH'] ?? '' })
  if (!probe.ok || !probe.stdout.includes('"success":true'))
    throw new KittyError('INTERNAL_ERROR', `The CLI launcher does not run: ${probe.stdout.slice(0, 300)}`)
  appendFileSync(githubPath, `${dir}\n`)
  io.setOutput('cli-path', dir)
  io.setOutput('remote', checkout ? '' : repository.url)
  io.info(
    checkout
      ? `kitty and spec-kitty are on PATH (${dir}), working on the checkout in ${checkout}.`
      : `kitty and spec-kitty are on PATH (${dir}), working on ${repository.url}; pass the token as KITTY_TOKEN in each step's env.`,
  )
  return { dir, remote: checkout ? null : repository.url }
}
