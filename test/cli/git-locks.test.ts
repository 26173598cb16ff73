import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, git, makeRepo, POLICY_JSON, readWp, tempDir } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const WP01 = `kitty-specs/${M}/tasks/WP01.md`

/**
 * `git commit --allow-empty` n times in the background, as a user would, paced so the loop spans the
 * kitty commands it races; resolves with how many landed (git refuses some while kitty holds the index).
 */
function userCommits(repo: string, n: number): Promise<number> {
  const script = `ok=0; for i in $(seq ${n}); do git commit -q --allow-empty -m "user-empty $i" 2>/dev/null && ok=$((ok+1)); sleep 0.03; done; echo $ok`
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], {
      cwd: repo,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'User',
        GIT_AUTHOR_EMAIL: 'u@example.com',
        GIT_COMMITTER_NAME: 'User',
        GIT_COMMITTER_EMAIL: 'u@example.com',
      },
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', () => resolve(Number(out.trim())))
  })
}

/** A `git` on PATH that fails `update-index` and passes everything else to the real one. */
function gitFailingUpdateIndex(): string {
  const dir = tempDir('kitty-gitwrap-')
  const real = ['/usr/bin/git', '/usr/local/bin/git', '/bin/git'].find((p) => existsSync(p)) ?? 'git'
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = update-index ] && { echo "fatal: injected update-index failure" >&2; exit 128; }; done\nexec ${real} "$@"\n`,
  )
  chmodSync(join(dir, 'git'), 0o755)
  return `${dir}:${process.env['PATH']}`
}

describe("git's index lock (issue 9 §3)", () => {
  it('a concurrent user `git commit` loop never reverts a kitty commit that answered success', async () => {
    const repo = makeRepo()
    const users = userCommits(repo, 100)
    const succeeded: string[] = []
    for (let i = 0; i < 20; i++) {
      const note = `note-${i}`
      const { envelope } = await api(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'a', note })
      if (envelope.success) succeeded.push(note)
      // A refusal is honest: STATE_CONFLICT (git held the index) and nothing of it in the history.
      else expect(envelope.error_code, JSON.stringify(envelope.data)).toBe('STATE_CONFLICT')
    }
    const userLanded = await users
    if (process.env['KITTY_FUZZ_REPORT'])
      console.error(`kitty successes ${succeeded.length}/20, user commits ${userLanded}/100`)
    expect(succeeded.length).toBeGreaterThan(0)
    expect(userLanded).toBeGreaterThan(0)
    // Every success is in the final file, and the file is changed only by kitty's own commits.
    const final = git(repo, 'show', `HEAD:${WP01}`)
    for (const note of succeeded) expect(final).toContain(`a: ${note}`)
    const touching = git(repo, 'log', '--format=%s', '--', WP01).split('\n')
    expect(touching.filter((s) => !s.startsWith('kitty(') && s !== 'initial')).toEqual([])
    expect(git(repo, 'log', '--format=%s', '--grep=append-history').split('\n')).toHaveLength(succeeded.length)
    expect(git(repo, 'status', '--porcelain', '--untracked-files=no')).toBe('')
    git(repo, 'fsck', '--strict', '--no-dangling')
  }, 300_000)

  it('refuses before committing when another process holds index.lock, and works once it is gone', async () => {
    const repo = makeRepo()
    const head = git(repo, 'rev-parse', 'HEAD')
    writeFileSync(join(repo, '.git', 'index.lock'), '')
    const started = Date.now()
    const claim = await api(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'a', policy: POLICY_JSON })
    expect(claim.envelope.error_code).toBe('STATE_CONFLICT')
    expect(claim.envelope.data.message).toMatch(/index\.lock/)
    expect(Date.now() - started).toBeLessThan(15_000)
    const note = await api(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'a', note: 'locked' })
    expect(note.envelope.error_code).toBe('STATE_CONFLICT')
    // Nothing moved, nothing was left behind: no commit, no WP branch, no worktree, git's lock untouched.
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head)
    expect(git(repo, 'branch', '--list', `${M}-WP01`)).toBe('')
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1)
    expect(readFileSync(join(repo, '.git', 'index.lock'), 'utf8')).toBe('')

    rmSync(join(repo, '.git', 'index.lock'))
    const retry = await api(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'a', policy: POLICY_JSON })
    expect(retry.envelope.success, JSON.stringify(retry.envelope.data)).toBe(true)
    expect(git(repo, 'rev-list', '--count', `${head}..HEAD`)).toBe('1')
  }, 120_000)
})

describe('success or failure is true (issue 9 §4)', () => {
  it('a failure after the branch moved is a warning on a success, and the next command finishes the sync', async () => {
    const repo = makeRepo()
    const head = git(repo, 'rev-parse', 'HEAD')
    const broken = await api(
      repo,
      'append-history',
      { mission: M, wp: 'WP01', actor: 'a', note: 'landed' },
      { PATH: gitFailingUpdateIndex() },
    )
    expect(broken.code).toBe(0)
    expect(broken.envelope.success).toBe(true)
    expect(broken.envelope.data.history_entry_id).toMatch(/^hist-[0-9a-f]{32}$/)
    const warnings = broken.envelope.data.warnings as unknown[]
    expect(warnings.length).toBeGreaterThan(0)
    for (const w of warnings) expect(typeof w).toBe('string')
    expect(String(warnings[0])).toMatch(
      /^The commit landed.*injected update-index failure.*git checkout HEAD -- 'kitty-specs/,
    )
    // The commit is there: a retry would duplicate it, which is why the answer must be success.
    expect(git(repo, 'rev-list', '--count', `${head}..HEAD`)).toBe('1')
    expect(git(repo, 'show', `HEAD:${WP01}`)).toContain('a: landed')

    const next = await api(repo, 'append-history', { mission: M, wp: 'WP02', actor: 'a', note: 'after' })
    expect(next.envelope.success, JSON.stringify(next.envelope.data)).toBe(true)
    expect(next.envelope.data.warnings).toBeUndefined()
    expect(git(repo, 'status', '--porcelain')).toBe('')
    expect(readWp(repo, 'WP01')).toContain('a: landed')
  }, 120_000)

  it('start-implementation whose claim landed answers success even when the index cannot be written', async () => {
    const repo = makeRepo()
    const { envelope } = await api(
      repo,
      'start-implementation',
      { mission: M, wp: 'WP01', actor: 'a', policy: POLICY_JSON },
      { PATH: gitFailingUpdateIndex() },
    )
    expect(envelope.success, JSON.stringify(envelope.data)).toBe(true)
    expect(envelope.data.to_lane).toBe('in_progress')
    expect((envelope.data.warnings as string[]).every((w) => typeof w === 'string' && w.length > 0)).toBe(true)
    const again = await api(repo, 'start-implementation', { mission: M, wp: 'WP01', actor: 'b', policy: POLICY_JSON })
    expect(again.envelope.error_code).toBe('WP_ALREADY_CLAIMED')
  }, 120_000)

  it('append-history reports a dirty file as WORKTREE_DIRTY, like every other mutation', async () => {
    const repo = makeRepo()
    writeFileSync(join(repo, WP01), `${readFileSync(join(repo, WP01), 'utf8')}edit\n`)
    const { code, envelope } = await api(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'a', note: 'n' })
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('WORKTREE_DIRTY')
  })
})

describe('litter from a killed process (issue 9 §8)', () => {
  it('the next command removes temporary files whose process is gone, and only those', async () => {
    const repo = makeRepo()
    const { createHash, randomUUID } = await import('node:crypto')
    const { hostname } = await import('node:os')
    const tag = createHash('sha1').update(hostname()).digest('hex').slice(0, 8)
    const dead = await new Promise<number>((resolve) => {
      const child = spawn('true')
      child.on('exit', () => resolve(child.pid!))
    })
    const owned = (pid: number) => `kitty-${tag}-${pid}-${randomUUID()}`
    mkdirSync(join(repo, '.git', 'kitty'), { recursive: true })
    const stale = [
      join(repo, '.git', `kitty-ref.${owned(dead)}.tmp`),
      join(repo, '.git', 'kitty', `worktree-add.${owned(dead)}.lock`),
      join(repo, '.git', 'refs', 'heads', `main.${owned(dead)}.lock`),
      join(repo, '.git', `index.${owned(dead)}.tmp`),
    ]
    const live = join(repo, '.git', `kitty-ref.${owned(process.pid)}.tmp`)
    for (const path of [...stale, live]) writeFileSync(path, 'x')
    const { envelope } = await api(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'a', note: 'n' })
    expect(envelope.success, JSON.stringify(envelope.data)).toBe(true)
    for (const path of stale) expect(existsSync(path), path).toBe(false)
    expect(existsSync(live)).toBe(true)
  })
})

describe('a WP branch made for a claim that never landed (issue 9 §8)', () => {
  async function deadPid(): Promise<number> {
    return new Promise<number>((resolve) => {
      const child = spawn('true')
      child.on('exit', () => resolve(child.pid!))
    })
  }

  /** What a start-implementation killed before its claim commit leaves: branch, worktree, record. */
  async function orphan(repo: string): Promise<{ branch: string; workspace: string; record: string }> {
    const { createHash, randomUUID } = await import('node:crypto')
    const { hostname } = await import('node:os')
    const tag = createHash('sha1').update(hostname()).digest('hex').slice(0, 8)
    const branch = `${M}-WP01`
    const workspace = join(repo, '.worktrees', branch)
    git(repo, 'branch', branch)
    git(repo, 'worktree', 'add', '-q', workspace, branch)
    const dir = join(repo, '.git', 'kitty', 'provisional-claims')
    mkdirSync(dir, { recursive: true })
    const record = join(dir, `kitty-${tag}-${await deadPid()}-${randomUUID()}.json`)
    const start = git(repo, 'rev-parse', 'HEAD')
    writeFileSync(
      record,
      JSON.stringify({ missionDir: M, wpId: 'WP01', branch, start, workspace, branchWasAbsent: true }),
    )
    return { branch, workspace, record }
  }

  it('is removed, with its worktree, by the next command', async () => {
    const repo = makeRepo()
    const left = await orphan(repo)
    const { envelope } = await api(repo, 'append-history', { mission: M, wp: 'WP02', actor: 'a', note: 'n' })
    expect(envelope.success, JSON.stringify(envelope.data)).toBe(true)
    expect(git(repo, 'branch', '--list', left.branch)).toBe('')
    expect(existsSync(left.workspace)).toBe(false)
    expect(existsSync(left.record)).toBe(false)
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1)
  })

  it('is kept when someone committed on it, or when the claim had landed', async () => {
    const repo = makeRepo()
    const left = await orphan(repo)
    writeFileSync(join(left.workspace, 'work.txt'), 'work\n')
    git(left.workspace, 'add', 'work.txt')
    git(left.workspace, 'commit', '-q', '-m', 'agent work')
    await api(repo, 'append-history', { mission: M, wp: 'WP02', actor: 'a', note: 'n' })
    expect(git(repo, 'branch', '--list', left.branch)).toContain(left.branch)
    expect(existsSync(join(left.workspace, 'work.txt'))).toBe(true)
    expect(existsSync(left.record)).toBe(false)

    const landed = makeRepo()
    const claim = await api(landed, 'start-implementation', { mission: M, wp: 'WP01', actor: 'a', policy: POLICY_JSON })
    expect(claim.envelope.success).toBe(true)
    const { createHash, randomUUID } = await import('node:crypto')
    const { hostname } = await import('node:os')
    const tag = createHash('sha1').update(hostname()).digest('hex').slice(0, 8)
    const branch = `${M}-WP01`
    const start = git(landed, 'rev-parse', branch)
    const record = join(
      landed,
      '.git',
      'kitty',
      'provisional-claims',
      `kitty-${tag}-${await deadPid()}-${randomUUID()}.json`,
    )
    writeFileSync(
      record,
      JSON.stringify({
        missionDir: M,
        wpId: 'WP01',
        branch,
        start,
        workspace: join(landed, '.worktrees', branch),
        branchWasAbsent: true,
      }),
    )
    await api(landed, 'append-history', { mission: M, wp: 'WP02', actor: 'a', note: 'n' })
    expect(git(landed, 'branch', '--list', branch)).toContain(branch)
    expect(existsSync(join(landed, '.worktrees', branch))).toBe(true)
  })
})
