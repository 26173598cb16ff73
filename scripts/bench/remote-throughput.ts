// Commands per second sustained by concurrent clients on one mission, against a real smart-HTTP
// remote on 127.0.0.1 (test/helpers/git-http-server.ts), and the push retries the races cost.
//   npm run bench:remote [-- --clients 4 --commands 10]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startGitHttpServer } from '../../test/helpers/git-http-server.ts'
import { cleanupTempDirs } from '../../test/helpers/git-repo.ts'
import { writersRepo } from './writers-repo.ts'

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'kitty.js')
const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '4' },
    commands: { type: 'string', default: '10' },
    attempts: { type: 'string' },
  },
})
const CLIENTS = Number(values.clients)
const COMMANDS = Number(values.commands)
const M = '099-test-mission'
const TOKEN = 'bench-token'

function run(args: string[], env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', fail)
    child.on('close', () => done(JSON.parse(out) as Record<string, unknown>))
  })
}

const server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
try {
  // The retry bound is a repository setting (.github/kitty.yml `max_attempts`, default 5).
  const { wps, path } = writersRepo(CLIENTS, values.attempts ? Number(values.attempts) : undefined)
  server.createBareRepo('project', { from: path })
  const caches = wps.map(() => mkdtempSync(join(tmpdir(), 'kitty-bench-cache-')))
  const started = performance.now()
  const outcomes = await Promise.all(
    wps.map(async (wp, c) => {
      const codes: string[] = []
      for (let i = 0; i < COMMANDS; i++) {
        // Each client works on its own WP of the one mission, so every command must land.
        const args = [
          'orchestrator-api',
          'append-history',
          '--mission',
          M,
          '--wp',
          wp,
          '--actor',
          `client-${c}`,
          '--note',
          `note ${i}`,
        ]
        const envelope = await run([...args, '--remote', server.repoUrl('project')], {
          KITTY_TOKEN: TOKEN,
          KITTY_CACHE_DIR: caches[c]!,
        })
        const data = envelope['data'] as Record<string, unknown> | undefined
        // A wrapped failure (HISTORY_COMMIT_FAILED) names its cause: say which.
        codes.push(
          String(envelope['error_code'] ?? 'ok') + (data?.['cause_code'] ? `(${String(data['cause_code'])})` : ''),
        )
      }
      return codes
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const codes = outcomes.flat()
  const ok = codes.filter((c) => c === 'ok').length
  // Every push attempt starts with a receive-pack discovery (GET); a lost race ends there
  // (non-fast-forward, seen by the client) or at the POST (the server's ref lock).
  const pushes = server.requests.filter((r) => r.service === 'receive-pack' && r.method === 'GET').length
  console.log(`max_attempts ${values.attempts ?? '5 (default)'}`)
  console.log(
    `clients ${CLIENTS} × commands ${COMMANDS}: ${codes.length} commands in ${seconds.toFixed(2)} s = ${(codes.length / seconds).toFixed(2)} commands/s`,
  )
  console.log(
    `succeeded ${ok}, failed ${codes.length - ok} (${[...new Set(codes.filter((c) => c !== 'ok'))].join(', ') || 'none'})`,
  )
  console.log(
    `push attempts ${pushes} for ${ok} commits: ${pushes - ok} lost races retried (${((pushes - ok) / Math.max(ok, 1)).toFixed(2)} per commit)`,
  )
  for (const dir of caches) rmSync(dir, { recursive: true, force: true })
} finally {
  await server.close()
  cleanupTempDirs()
}
