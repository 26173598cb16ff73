// Bursts of simultaneous writers: N processes, each claiming its own WP of one mission at the same
// instant against a real smart-HTTP remote on 127.0.0.1, repeated; how many bursts leave a writer in
// STATE_CONFLICT with the configured tries. `--hogs K` runs K busy CPU loops meanwhile (a loaded runner).
//   node scripts/bench/remote-burst.ts [--writers 10 --bursts 10 --hogs 0 --attempts 5]
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startGitHttpServer } from '../../test/helpers/git-http-server.ts'
import { cleanupTempDirs, POLICY_JSON } from '../../test/helpers/git-repo.ts'
import { writersRepo } from './writers-repo.ts'

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'kitty.js')
const { values } = parseArgs({
  options: {
    writers: { type: 'string', default: '10' },
    bursts: { type: 'string', default: '10' },
    hogs: { type: 'string', default: '0' },
    attempts: { type: 'string' },
  },
})
const WRITERS = Number(values.writers)
const BURSTS = Number(values.bursts)
const M = '099-test-mission'

function claim(url: string, wp: string, actor: string, cache: string): Promise<string> {
  return new Promise((done, fail) => {
    const args = [
      CLI,
      'orchestrator-api',
      'start-implementation',
      '--mission',
      M,
      '--wp',
      wp,
      '--actor',
      actor,
      '--policy',
      POLICY_JSON,
      '--remote',
      url,
    ]
    const child = spawn(process.execPath, args, {
      env: { ...process.env, KITTY_CACHE_DIR: cache },
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', fail)
    child.on('close', () => done(String((JSON.parse(out) as { error_code: string | null }).error_code ?? 'ok')))
  })
}

const hogs: ChildProcess[] = Array.from({ length: Number(values.hogs) }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
)
let burstsWithConflict = 0
let failed = 0
const started = performance.now()
try {
  for (let b = 0; b < BURSTS; b++) {
    const server = await startGitHttpServer()
    const { wps, path } = writersRepo(WRITERS, values.attempts ? Number(values.attempts) : undefined)
    server.createBareRepo('project', { from: path })
    const caches = wps.map(() => mkdtempSync(join(tmpdir(), 'kitty-burst-cache-')))
    const codes = await Promise.all(wps.map((wp, i) => claim(server.repoUrl('project'), wp, `writer-${i}`, caches[i]!)))
    const bad = codes.filter((c) => c !== 'ok')
    if (bad.length > 0) burstsWithConflict++
    failed += bad.length
    process.stderr.write(`[burst ${b + 1}/${BURSTS}] ${bad.length === 0 ? 'all landed' : bad.join(', ')}\n`)
    for (const dir of caches) rmSync(dir, { recursive: true, force: true })
    await server.close()
    cleanupTempDirs()
  }
} finally {
  for (const hog of hogs) hog.kill('SIGKILL')
}
console.log(`max_attempts ${values.attempts ?? '5 (default)'}; ${values.hogs} CPU hog(s)`)
console.log(
  `${BURSTS} bursts of ${WRITERS} simultaneous writers in ${((performance.now() - started) / 1000).toFixed(1)} s:`,
)
console.log(
  `bursts with a writer left out ${burstsWithConflict}; commands that did not land ${failed} of ${BURSTS * WRITERS}`,
)
