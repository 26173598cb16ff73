import { cpSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, git, makeRepo, POLICY_JSON, tempDir } from '../helpers/git-repo.ts'

/**
 * Repositories arranged against kitty (issue 9, "Hardening"): symbolic links that would lead writes
 * outside the checkout, and git settings and states kitty must agree with. Every refusal is one
 * envelope and leaves refs, index and files exactly as they were.
 */

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const TASKS = `kitty-specs/${M}/tasks`
const start = (repo: string, wp = 'WP01', extra: Record<string, string> = {}) =>
  api(repo, 'start-implementation', { mission: M, wp, actor: 'claude', policy: POLICY_JSON, ...extra })

/** Everything a refusal must leave alone: refs, index and working tree as git sees them, and a folder outside. */
function state(repo: string, outside?: string): string {
  const files = outside
    ? readdirSync(outside, { recursive: true })
        .map(String)
        .sort()
        .map((f) => `${f}:${safeRead(join(outside, f))}`)
    : []
  return [
    git(repo, 'for-each-ref'),
    git(repo, 'status', '--porcelain', '--untracked-files=all'),
    git(repo, 'worktree', 'list'),
    ...files,
  ].join('\n')
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return '<dir>'
  }
}

describe('symbolic links never lead writes outside the repository', () => {
  it('a committed .worktrees link to a folder outside: LANE_ALLOCATION_FAILED naming it, no worktree, no commit', async () => {
    const repo = makeRepo()
    const outside = tempDir('kitty-outside-')
    symlinkSync(outside, join(repo, '.worktrees'))
    git(repo, 'add', '.worktrees')
    git(repo, 'commit', '-q', '-m', 'worktrees link')
    const before = state(repo, outside)

    const run = await start(repo)
    expect(run.code).toBe(1)
    expect(run.envelope.error_code).toBe('LANE_ALLOCATION_FAILED')
    expect(run.envelope.data.message).toContain('.worktrees is a symbolic link')
    expect(run.envelope.data.message).toContain(outside)
    expect(state(repo, outside)).toBe(before)
    expect(readdirSync(outside)).toEqual([])
  })

  it('a working-tree tasks folder replaced by a link outside: WORKTREE_DIRTY naming the link, nothing written anywhere', async () => {
    const repo = makeRepo()
    const outside = join(tempDir('kitty-outside-'), 'tasks')
    cpSync(join(repo, TASKS), outside, { recursive: true })
    rmSync(join(repo, TASKS), { recursive: true })
    symlinkSync(outside, join(repo, TASKS))
    const before = state(repo, outside)

    const run = await start(repo)
    expect(run.code).toBe(1)
    expect(run.envelope.error_code).toBe('WORKTREE_DIRTY')
    expect(run.envelope.data.symlinks).toEqual([TASKS])
    expect(run.envelope.data.message).toContain(`${TASKS} -> ${outside}`)
    expect(state(repo, outside)).toBe(before)

    // Once the link gives way to the real folder, the same command works: nothing was left half done.
    rmSync(join(repo, TASKS))
    git(repo, 'checkout', '--', TASKS)
    const again = await start(repo)
    expect(again.envelope.success).toBe(true)
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })

  it('a committed tasks link to a folder outside: WP_FILE_INVALID naming the link, not an empty mission', async () => {
    const repo = makeRepo()
    const outside = join(tempDir('kitty-outside-'), 'tasks')
    cpSync(join(repo, TASKS), outside, { recursive: true })
    git(repo, 'rm', '-rq', TASKS)
    symlinkSync(outside, join(repo, TASKS))
    git(repo, 'add', TASKS)
    git(repo, 'commit', '-q', '-m', 'tasks link')
    expect(git(repo, 'ls-tree', 'HEAD', `${TASKS}`)).toMatch(/^120000 /)
    const before = state(repo, outside)

    const read = await api(repo, 'mission-state', { mission: M })
    expect(read.envelope.success).toBe(false)
    expect(read.envelope.error_code).toBe('WP_FILE_INVALID')
    expect(read.envelope.data.path).toBe(TASKS)
    expect(read.envelope.data.message).toContain(`symbolic link (to "${outside}")`)
    const write = await start(repo)
    expect(write.envelope.error_code).toBe('WP_FILE_INVALID')
    expect(state(repo, outside)).toBe(before)
  })

  it('a committed WP file that is a link: WP_FILE_INVALID naming the file', async () => {
    const repo = makeRepo()
    const outside = join(tempDir('kitty-outside-'), 'WP01.md')
    cpSync(join(repo, TASKS, 'WP01.md'), outside)
    rmSync(join(repo, TASKS, 'WP01.md'))
    symlinkSync(outside, join(repo, TASKS, 'WP01.md'))
    git(repo, 'add', '-A')
    git(repo, 'commit', '-q', '-m', 'WP01 link')
    const before = state(repo)

    const read = await api(repo, 'mission-state', { mission: M })
    expect(read.envelope.error_code).toBe('WP_FILE_INVALID')
    expect(read.envelope.data.path).toBe(`${TASKS}/WP01.md`)
    expect(read.envelope.data.message).toContain('symbolic link')
    const write = await start(repo)
    expect(write.envelope.error_code).toBe('WP_FILE_INVALID')
    expect(state(repo)).toBe(before)
  })
})

describe("git's own settings and states", () => {
  it('--branch naming a branch checked out in another worktree: refused naming that worktree, the branch not moved', async () => {
    const repo = makeRepo()
    git(repo, 'branch', 'side')
    const other = join(tempDir('kitty-other-'), 'side')
    git(repo, 'worktree', 'add', '-q', other, 'side')
    const before = state(repo)

    const run = await start(repo, 'WP01', { branch: 'side' })
    expect(run.envelope.success).toBe(false)
    expect(run.envelope.error_code).toBe('USAGE_ERROR')
    expect(run.envelope.data.message).toContain(`side is checked out in the worktree ${other}`)
    expect(run.envelope.data.worktrees).toEqual([other])
    expect(state(repo)).toBe(before)
    expect(git(other, 'status', '--porcelain')).toBe('')
    // Reading that branch is fine: only moving it is refused.
    expect((await api(repo, 'mission-state', { mission: M, branch: 'side' })).envelope.success).toBe(true)
  })

  it.each([
    ['HEAD', 'is HEAD'],
    ['refs/heads/main', 'full ref name'],
    ['feature..x', "contains '..'"],
    ['main', 'names the state branch'],
  ])("a WP's branch: %s is WP_FILE_INVALID naming the file and the key; no ref is made", async (branch, why) => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'planned', extra: `branch: ${branch}` }] }])
    const before = state(repo)
    const run = await start(repo)
    expect(run.envelope.success).toBe(false)
    expect(run.envelope.error_code).toBe('WP_FILE_INVALID')
    expect(run.envelope.data.path).toBe(`${TASKS}/WP01.md`)
    expect(run.envelope.data.message).toContain(`branch: key "${branch}"`)
    expect(run.envelope.data.message).toContain(why)
    expect(state(repo)).toBe(before)
    expect(git(repo, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main')
  })

  it('--branch naming a branch that does not exist: says so and lists the branches, not MISSION_NOT_FOUND', async () => {
    const repo = makeRepo()
    git(repo, 'branch', 'side')
    const before = state(repo)
    for (const run of [
      await api(repo, 'mission-state', { mission: M, branch: 'nope' }),
      await start(repo, 'WP01', { branch: 'nope' }),
    ]) {
      expect(run.envelope.success).toBe(false)
      expect(run.envelope.error_code).toBe('USAGE_ERROR')
      expect(run.envelope.data.message).toContain("Branch 'nope' does not exist; existing branches: main, side")
      expect(run.envelope.data.message).toContain('git branch nope')
    }
    expect(state(repo)).toBe(before)
  })
})

describe('line endings: the dirty check and the sync agree with git', () => {
  /** A clone checked out the way git does it under the given settings: `git status` is clean. */
  function cloneWith(config: string[], attributes?: string): string {
    const origin = makeRepo()
    if (attributes !== undefined) {
      writeFileSync(join(origin, '.gitattributes'), attributes)
      git(origin, 'add', '.gitattributes')
      git(origin, 'commit', '-q', '-m', 'attributes')
    }
    const repo = join(tempDir('kitty-eol-'), 'clone')
    git(origin, 'clone', '-q', ...config.flatMap((c) => ['-c', c]), origin, repo)
    expect(git(repo, 'status', '--porcelain')).toBe('')
    return repo
  }

  const wpOnDisk = (repo: string) => readFileSync(join(repo, TASKS, 'WP01.md'))

  it.each([
    ['core.autocrlf=true', ['core.autocrlf=true'], undefined],
    ['text eol=crlf attributes', [], '*.md text eol=crlf\n'],
    ['core.eol=crlf with text=auto', ['core.eol=crlf'], '* text=auto\n'],
  ])(
    '%s: a CRLF checkout is clean, mutations succeed, and the files kitty writes keep git status clean',
    async (_name, config, attributes) => {
      const repo = cloneWith(config, attributes)
      expect(wpOnDisk(repo).includes('\r\n')).toBe(true)

      const started = await start(repo)
      expect(started.envelope.success).toBe(true)
      expect(git(repo, 'status', '--porcelain')).toBe('')
      expect(wpOnDisk(repo).toString('utf8')).toMatch(/^lane: in_progress\r$/m)
      // The blob is LF, as git would have stored it.
      expect(git(repo, 'show', `HEAD:${TASKS}/WP01.md`)).not.toContain('\r')

      const noted = await api(repo, 'append-history', { mission: M, wp: 'WP01', actor: 'claude', note: 'second write' })
      expect(noted.envelope.success).toBe(true)
      expect(git(repo, 'status', '--porcelain')).toBe('')
      expect(git(repo, 'fsck', '--no-dangling')).toBe('')
    },
  )

  it('core.autocrlf=true: a real edit is still WORKTREE_DIRTY, and nothing is written', async () => {
    const repo = cloneWith(['core.autocrlf=true'])
    writeFileSync(join(repo, TASKS, 'WP01.md'), `${wpOnDisk(repo).toString('utf8')}edited\r\n`)
    const before = state(repo)
    const run = await start(repo)
    expect(run.envelope.error_code).toBe('WORKTREE_DIRTY')
    expect(state(repo)).toBe(before)
  })

  it('a WP file replaced by a link with the same content is a change, as git status says (T), and is refused', async () => {
    const repo = makeRepo()
    const outside = join(tempDir('kitty-outside-'), 'WP01.md')
    cpSync(join(repo, TASKS, 'WP01.md'), outside)
    rmSync(join(repo, TASKS, 'WP01.md'))
    symlinkSync(outside, join(repo, TASKS, 'WP01.md'))
    const before = state(repo, join(outside, '..'))
    const run = await start(repo)
    expect(run.envelope.error_code).toBe('WORKTREE_DIRTY')
    expect(state(repo, join(outside, '..'))).toBe(before)
  })
})
