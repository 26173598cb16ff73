import { readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireLock } from '../../../src/store/safe-fs/file-lock.ts'
import { currentIdentity, formatIdentity } from '../../../src/store/safe-fs/process-identity.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/git-repo.ts'

/**
 * F7 of issue 25: a process restarted with the dead holder's pid (PID 1 in a container, on the same
 * host name and cache) must not take the dead holder's lock for its own live one.
 */

afterAll(() => cleanupTempDirs())

const me = currentIdentity()

function plant(target: string, identityLine: string | null): void {
  const first = `kitty-lock pid=${process.pid} host=${hostname()} token=theirs\n`
  writeFileSync(`${target}.lock`, identityLine === null ? first : `${first}kitty-process ${identityLine}\n`)
}

describe('acquireLock and a reused pid', () => {
  it('takes over at once a lock naming this pid but another process start time', async () => {
    const target = join(tempDir('kitty-lock-'), 'kitty-cache')
    plant(target, formatIdentity({ ...me, startTime: String(Number(me.startTime) + 1) }))
    const t0 = Date.now()
    const lock = await acquireLock(target, { timeoutMs: 5_000 })
    expect(Date.now() - t0).toBeLessThan(2_000)
    const content = readFileSync(lock.path, 'utf8')
    expect(content).toMatch(/^kitty-lock pid=\d+ host=\S+ token=\S+\nkitty-process \S+\n$/)
    expect(content).toContain(`kitty-process ${formatIdentity(me)}\n`)
    await lock.release()
  })

  it('takes over a lock from another boot of this host', async () => {
    const target = join(tempDir('kitty-lock-'), 'kitty-cache')
    plant(target, formatIdentity({ ...me, bootId: '00000000-0000-0000-0000-000000000000' }))
    const lock = await acquireLock(target, { timeoutMs: 5_000 })
    await lock.release()
  })

  it('waits for a holder that is this very process, and for an old-format lock naming a live pid', async () => {
    for (const line of [formatIdentity(me), null]) {
      const target = join(tempDir('kitty-lock-'), 'kitty-cache')
      plant(target, line)
      await expect(acquireLock(target, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'STATE_CONFLICT' })
      expect(readFileSync(`${target}.lock`, 'utf8')).toContain('token=theirs')
    }
  })
})
