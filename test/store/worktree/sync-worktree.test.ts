import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { locateRepository } from '../../../src/store/repository.ts'
import { recoverJournals } from '../../../src/store/worktree/sync-worktree.ts'
import { ownerTag } from '../../../src/store/safe-fs/temp-files.ts'
import { cleanupTempDirs, git, GIT_ENV, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const WP01 = 'kitty-specs/099-test-mission/tasks/WP01.md'

/** git with standard input or extra environment (a scratch index), which the shared helper does not pass. */
function gitWith(cwd: string, args: string[], opts: { input?: string; env?: Record<string, string> }): string {
  return execFileSync('git', args, {
    cwd,
    input: opts.input,
    env: { ...process.env, ...GIT_ENV, ...opts.env },
    encoding: 'utf8',
  }).trimEnd()
}

/** A pid that belonged to a process that has exited: what a SIGKILLed command leaves in its names. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  return child.pid!
}

/**
 * The state a command killed during its working-tree sync leaves: main moved to a commit that changes
 * WP01, the index and the file still as before (or the file gone), the journal written before the ref
 * moved, and the dead process's temporary beside the file.
 */
function killedMidSync(opts: { fileGone: boolean; tempLeft: boolean }) {
  const dir = makeRepo()
  const from = git(dir, 'rev-parse', 'main')
  const blob = gitWith(dir, ['hash-object', '-w', '--stdin'], {
    input: `${readFileSync(join(dir, WP01), 'utf8')}changed by the dead command\n`,
  })
  const scratchIndex = join(dir, '.git', 'scratch-index')
  const env = { GIT_INDEX_FILE: scratchIndex }
  gitWith(dir, ['read-tree', from], { env })
  gitWith(dir, ['update-index', '--cacheinfo', `100644,${blob},${WP01}`], { env })
  const tree = gitWith(dir, ['write-tree'], { env })
  rmSync(scratchIndex)
  const to = git(dir, 'commit-tree', tree, '-p', from, '-m', 'the dead command')
  git(dir, 'update-ref', 'refs/heads/main', to, from)
  const pid = deadPid()
  const journalDir = join(dir, '.git', 'kitty', 'pending-sync')
  mkdirSync(journalDir, { recursive: true })
  writeFileSync(
    join(journalDir, `${to}.json`),
    JSON.stringify({ ref: 'refs/heads/main', from, to, paths: [WP01], pid, host: hostname() }),
  )
  const temp = `${join(dir, WP01)}.${ownerTag().replace(`-${process.pid}-`, `-${pid}-`)}.tmp`
  if (opts.tempLeft) writeFileSync(temp, 'half of the new content')
  if (opts.fileGone) rmSync(join(dir, WP01))
  return { dir, blob, temp }
}

describe('recoverJournals: finishing a sync a killed command left half done', () => {
  it('writes a file that vanished between making way and renaming in, from its dead temporary', async () => {
    const { dir, blob, temp } = killedMidSync({ fileGone: true, tempLeft: true })
    expect(git(dir, 'status', '--porcelain', '--untracked-files=no')).toBe(`MD ${WP01}`)
    expect(await recoverJournals(locateRepository(dir))).toEqual([])
    expect(git(dir, 'status', '--porcelain')).toBe('')
    expect(git(dir, 'hash-object', WP01)).toBe(blob)
    expect(existsSync(temp)).toBe(false)
    expect(readdirSync(join(dir, '.git', 'kitty', 'pending-sync'))).toEqual([])
  })

  it('brings a file still holding the old content to the new commit, and its index entry', async () => {
    const { dir, blob } = killedMidSync({ fileGone: false, tempLeft: true })
    expect(await recoverJournals(locateRepository(dir))).toEqual([])
    expect(git(dir, 'status', '--porcelain')).toBe('')
    expect(git(dir, 'hash-object', WP01)).toBe(blob)
  })

  it('leaves alone a file someone deleted after the crash (no temporary of the dead process beside it)', async () => {
    const { dir } = killedMidSync({ fileGone: true, tempLeft: false })
    expect(await recoverJournals(locateRepository(dir))).toEqual([])
    expect(existsSync(join(dir, WP01))).toBe(false)
  })

  it('leaves alone a file someone edited after the crash', async () => {
    const { dir } = killedMidSync({ fileGone: false, tempLeft: true })
    writeFileSync(join(dir, WP01), 'my own edit\n')
    expect(await recoverJournals(locateRepository(dir))).toEqual([])
    expect(readFileSync(join(dir, WP01), 'utf8')).toBe('my own edit\n')
  })
})
