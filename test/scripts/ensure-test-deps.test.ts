import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTempDirs, PROJECT_ROOT, tempDir } from '../helpers/git-repo.ts'

/** `npm test`'s first step. Never lets apt-get run here: PATH holds no apt-get, so no network is touched. */

const SCRIPT = join(PROJECT_ROOT, 'scripts', 'ensure-test-deps.mjs')
afterAll(() => cleanupTempDirs())

function run(env: Record<string, string>) {
  return spawnSync(process.execPath, [SCRIPT], { env: { PATH: tempDir('kitty-nopath-'), ...env }, encoding: 'utf8' })
}

describe('scripts/ensure-test-deps.mjs', () => {
  it('is silent and succeeds when Chromium and redis-server are present', () => {
    const r = run({ CHROMIUM_PATH: process.execPath, REDIS_SERVER: process.execPath })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('says exactly what to install and fails when it cannot install (no apt-get)', () => {
    const r = run({ CHROMIUM_PATH: process.execPath, REDIS_SERVER: '/nonexistent/redis-server' })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("redis-server (App Redis queue tests): install the Debian/Ubuntu package 'redis-server'")
    expect(r.stderr).toContain('sudo apt-get install -y --no-install-recommends redis-server\n')
    expect(r.stderr).not.toContain('chromium')
  })
})
