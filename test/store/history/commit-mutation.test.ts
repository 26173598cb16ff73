import { afterAll, describe, expect, it } from 'vitest'
import { commitMutation, resolveIdentity, writeCommitOnSnapshot } from '../../../src/store/history/commit-mutation.ts'
import { locateRepository, resolveStateBranch } from '../../../src/store/repository.ts'
import { Snapshot } from '../../../src/store/objects/snapshot.ts'
import { cleanupTempDirs, git, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const WP01 = 'kitty-specs/099-test-mission/tasks/WP01.md'
const who = { name: 'Kitty Test', email: 'kitty@example.com' }
const WHEN = new Date('2026-11-29T10:00:00Z')
const bytes = (s: string) => new TextEncoder().encode(s)

/** A repository whose local config names `name` and `email` (unset when undefined). */
function repoWithConfig(name: string | undefined, email: string | undefined) {
  const dir = makeRepo()
  if (name === undefined) git(dir, 'config', '--unset', 'user.name')
  else git(dir, 'config', 'user.name', name)
  if (email === undefined) git(dir, 'config', '--unset', 'user.email')
  else git(dir, 'config', 'user.email', email)
  return locateRepository(dir)
}

describe('resolveIdentity', () => {
  it('takes the committer variables first, then the author variables, then git config', async () => {
    const repo = repoWithConfig('Config Name', 'config@example.com')
    const all = {
      GIT_COMMITTER_NAME: 'Committer',
      GIT_COMMITTER_EMAIL: 'committer@example.com',
      GIT_AUTHOR_NAME: 'Author',
      GIT_AUTHOR_EMAIL: 'author@example.com',
    }
    expect(await resolveIdentity(repo, all)).toEqual({ name: 'Committer', email: 'committer@example.com' })
    expect(await resolveIdentity(repo, { GIT_AUTHOR_NAME: 'Author', GIT_AUTHOR_EMAIL: 'author@example.com' })).toEqual({
      name: 'Author',
      email: 'author@example.com',
    })
    expect(await resolveIdentity(repo, {})).toEqual({ name: 'Config Name', email: 'config@example.com' })
    // Name and email are resolved separately.
    expect(
      await resolveIdentity(repo, { GIT_COMMITTER_NAME: 'Committer', GIT_AUTHOR_EMAIL: 'author@example.com' }),
    ).toEqual({
      name: 'Committer',
      email: 'author@example.com',
    })
    expect(await resolveIdentity(repo, { GIT_AUTHOR_NAME: 'Author' })).toEqual({
      name: 'Author',
      email: 'config@example.com',
    })
    expect(await resolveIdentity(repo, { GIT_COMMITTER_EMAIL: 'committer@example.com' })).toEqual({
      name: 'Config Name',
      email: 'committer@example.com',
    })
  })

  it('falls back to the bot identity when neither the environment nor git config names one', async () => {
    const repo = repoWithConfig(undefined, undefined)
    expect(await resolveIdentity(repo, {})).toEqual({
      name: 'kitty-github',
      email: 'kitty-github@users.noreply.github.com',
    })
    // A blank config value counts as none.
    const blank = repoWithConfig('   ', ' ')
    expect(await resolveIdentity(blank, {})).toEqual({
      name: 'kitty-github',
      email: 'kitty-github@users.noreply.github.com',
    })
    // So does a value that is nothing but characters a header cannot hold.
    expect(await resolveIdentity(repo, { GIT_COMMITTER_NAME: '<\n>', GIT_COMMITTER_EMAIL: '\t<>\x7f' })).toEqual({
      name: 'kitty-github',
      email: 'kitty-github@users.noreply.github.com',
    })
  })

  it('takes one of the two from config when only that one is set there', async () => {
    expect(await resolveIdentity(repoWithConfig('Only Name', undefined), {})).toEqual({
      name: 'Only Name',
      email: 'kitty-github@users.noreply.github.com',
    })
    expect(await resolveIdentity(repoWithConfig(undefined, 'only@example.com'), {})).toEqual({
      name: 'kitty-github',
      email: 'only@example.com',
    })
  })

  it('strips control characters and angle brackets (they would forge commit header fields) and trims', async () => {
    const repo = repoWithConfig('Config Name', 'config@example.com')
    const env = {
      GIT_COMMITTER_NAME: '  Eve\nauthor Mallory <m@example.com> 0 +0000\x00\x1f\x7f  ',
      GIT_COMMITTER_EMAIL: ' <eve@example.com>\r\n ',
    }
    expect(await resolveIdentity(repo, env)).toEqual({
      name: 'Eveauthor Mallory m@example.com 0 +0000',
      email: 'eve@example.com',
    })
    // Every occurrence goes, not just the first; printable characters around them stay.
    expect(await resolveIdentity(repo, { GIT_COMMITTER_NAME: 'a<b>c<d>e\x01f\x02g' })).toEqual({
      name: 'abcdefg',
      email: 'config@example.com',
    })
    expect(await resolveIdentity(repo, { GIT_COMMITTER_NAME: ' !~é ' })).toEqual({
      name: '!~é',
      email: 'config@example.com',
    })
  })

  it('reads config values with the same cleaning', async () => {
    const repo = repoWithConfig('  <Spaced>  ', 'x@example.com>')
    expect(await resolveIdentity(repo, {})).toEqual({ name: 'Spaced', email: 'x@example.com' })
  })
})

describe('commitMutation', () => {
  it('gives up after five attempts by default', async () => {
    const dir = makeRepo()
    git(dir, 'branch', 'state')
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo, 'state')
    let plans = 0
    await expect(
      commitMutation(repo, { branch, author: who, now: () => WHEN }, async () => {
        plans++
        git(
          dir,
          'update-ref',
          'refs/heads/state',
          git(dir, 'commit-tree', '-p', 'state', '-m', `other ${plans}`, 'state^{tree}'),
        )
        return {
          kind: 'commit',
          message: { subject: 'kitty: never', trailers: {} },
          changes: new Map([[WP01, bytes('never\n')]]),
          result: null,
        }
      }),
    ).rejects.toMatchObject({ code: 'STATE_CONFLICT', data: { attempts: 5 } })
    expect(plans).toBe(5)
  })
})

describe('writeCommitOnSnapshot', () => {
  it('on the empty snapshot (a branch that does not exist yet): a root commit, no parent', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const commit = await writeCommitOnSnapshot(
      repo,
      await Snapshot.at(repo, null),
      { subject: 'kitty: first', trailers: {} },
      new Map([['a.md', bytes('a\n')]]),
      who,
      WHEN,
    )
    expect(
      git(dir, 'cat-file', '-p', commit)
        .split('\n')
        .filter((l) => l.startsWith('parent')),
    ).toEqual([])
    expect(git(dir, 'log', '--format=%P|%s', commit)).toBe('|kitty: first')
    expect(git(dir, 'ls-tree', '-r', '--name-only', commit)).toBe('a.md')
    git(dir, 'fsck', '--strict', '--no-dangling', commit)
  })
})
