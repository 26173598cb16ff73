#!/usr/bin/env node
// What the test suite needs besides npm packages, made present before `vitest run` (npm test runs this
// first; .ci/run calls npm test): Chromium for the board's browser tests, redis-server for the App's
// Redis queue tests. Installed with apt-get where missing and possible (root, or sudo without a
// password prompt); otherwise it says exactly what to install and exits 1, before any test runs.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const NEEDS = [
  {
    what: 'Chromium (board browser tests)',
    pkg: 'chromium',
    env: 'CHROMIUM_PATH',
    paths: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'],
  },
  {
    what: 'redis-server (App Redis queue tests)',
    pkg: 'redis-server',
    env: 'REDIS_SERVER',
    paths: ['/usr/bin/redis-server'],
  },
]

function present(need) {
  const explicit = process.env[need.env]
  return explicit ? existsSync(explicit) : need.paths.some((p) => existsSync(p))
}

function works(command, args) {
  try {
    execFileSync(command, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** The prefix that runs apt-get as root without a prompt, or null when there is none. */
function asRoot() {
  if (!works('/bin/sh', ['-c', 'command -v apt-get'])) return null
  if (process.getuid?.() === 0) return []
  return works('sudo', ['-n', 'true']) ? ['sudo', '-n'] : null
}

function apt(prefix, args) {
  const [command, ...rest] = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]
  execFileSync(command, rest, { stdio: 'inherit' })
}

const missing = NEEDS.filter((n) => !present(n))
if (missing.length === 0) process.exit(0)

const prefix = asRoot()
if (prefix) {
  const pkgs = missing.map((n) => n.pkg)
  console.error(`ensure-test-deps: installing ${pkgs.join(', ')} with apt-get`)
  try {
    apt(prefix, ['update', '-qq'])
    apt(prefix, ['install', '-y', '-qq', '--no-install-recommends', ...pkgs])
  } catch (err) {
    console.error(`ensure-test-deps: apt-get failed: ${err.message}`)
  }
}

const still = NEEDS.filter((n) => !present(n))
if (still.length > 0) {
  console.error('The test suite needs system packages that are missing and could not be installed here:')
  for (const n of still)
    console.error(`  - ${n.what}: install the Debian/Ubuntu package '${n.pkg}', or set ${n.env} to its binary`)
  console.error(
    `On Debian/Ubuntu: sudo apt-get install -y --no-install-recommends ${still.map((n) => n.pkg).join(' ')}`,
  )
  process.exit(1)
}
