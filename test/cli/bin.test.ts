import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, cleanupTempDirs, makeRepo } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

// The machine's own Node (20 here), not the pinned Node 24 that runs the tests.
const SYSTEM_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p))

describe('bin/kitty.js', () => {
  it.skipIf(!SYSTEM_NODE)('runs under the machine Node too (enableCompileCache is optional, not a link error)', () => {
    const version = execFileSync(SYSTEM_NODE!, ['--version'], { encoding: 'utf8' }).trim()
    const out = execFileSync(
      SYSTEM_NODE!,
      [BIN, 'orchestrator-api', 'mission-state', '--mission', '099-test-mission'],
      {
        cwd: makeRepo(),
        encoding: 'utf8',
      },
    )
    const envelope = JSON.parse(out)
    expect(envelope.success, `${version}: ${out}`).toBe(true)
    expect(envelope.data.work_packages).toHaveLength(2)
  })
})
