import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Planned } from '../../../src/store/history/commit-mutation.ts'
import { commitMutation, writeCommitOnSnapshot } from '../../../src/store/history/commit-mutation.ts'
import { moveBranch } from '../../../src/store/history/move-branch.ts'
import { locateRepository, resolveStateBranch } from '../../../src/store/repository.ts'
import { Snapshot } from '../../../src/store/objects/snapshot.ts'
import { treeOrder, writeChangedTree } from '../../../src/store/objects/write-tree.ts'
import { cleanupTempDirs, git, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const WP01 = `kitty-specs/${M}/tasks/WP01.md`
const who = { name: 'Kitty Test', email: 'kitty@example.com' }
const bytes = (s: string) => new TextEncoder().encode(s)
const WHEN = new Date('2026-11-29T10:00:00Z')

/** The tree git itself makes from `base` with the same changes, through a scratch index. */
function gitTree(
  repo: string,
  base: string,
  changes: Record<string, string | null>,
  modes: Record<string, string> = {},
): string {
  const run = (...args: string[]) => git(repo, ...args)
  // The git helper passes process.env on: a scratch index leaves the repository's own alone.
  process.env['GIT_INDEX_FILE'] = join(repo, '.git', 'scratch-index')
  try {
    run('read-tree', base)
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) run('update-index', '--force-remove', path)
      else {
        writeFileSync(join(repo, '.git', 'scratch-blob'), content)
        const oid = git(repo, 'hash-object', '-w', join(repo, '.git', 'scratch-blob'))
        run('update-index', '--add', '--cacheinfo', `${modes[path] ?? '100644'},${oid},${path}`)
      }
    }
    return run('write-tree')
  } finally {
    delete process.env['GIT_INDEX_FILE']
  }
}

describe('writeChangedTree', () => {
  it('writes the same tree git writes: changed, added (new directories), deleted (emptied directories go), modes kept', async () => {
    const dir = makeRepo()
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n')
    chmodSync(join(dir, 'run.sh'), 0o755)
    writeFileSync(join(dir, 'a-b'), 'sorts after a/ in git order\n')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-q', '-m', 'more files')
    const repo = locateRepository(dir)
    const head = git(dir, 'rev-parse', 'HEAD')
    const changes: Record<string, string | null> = {
      [WP01]: 'changed\n',
      'run.sh': '#!/bin/sh\necho hi\n',
      'new/deep/dir/file.md': 'new\n',
      'a/x': 'a directory named a beside a-b\n',
      [`kitty-specs/${M}/tasks/WP02.md`]: null,
      'README.md': null,
    }
    const tree = await writeChangedTree(
      await Snapshot.at(repo, head),
      new Map(Object.entries(changes).map(([p, c]) => [p, c === null ? null : bytes(c)])),
    )
    expect(tree).toBe(gitTree(dir, head, changes, { 'run.sh': '100755' }))
    // Deleting every file of a directory removes the directory; deleting everything gives the empty tree.
    const gone = await writeChangedTree(
      await Snapshot.at(repo, head),
      new Map([
        [`kitty-specs/${M}/tasks/WP01.md`, null],
        [`kitty-specs/${M}/tasks/WP02.md`, null],
      ]),
    )
    expect(git(dir, 'ls-tree', '-r', '--name-only', gone, `kitty-specs/${M}`)).toBe(`kitty-specs/${M}/meta.json`)
    const all = git(dir, 'ls-tree', '-r', '--name-only', head).split('\n')
    expect(await writeChangedTree(await Snapshot.at(repo, head), new Map(all.map((p) => [p, null])))).toBe(
      '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    )
    git(dir, 'fsck', '--strict', '--no-dangling')
  })

  it('orders entries as git does (a directory sorts as if its name ended in /)', () => {
    const e = (path: string, type: 'tree' | 'blob') =>
      ({ path, type, mode: type === 'tree' ? '040000' : '100644', oid: '' }) as const
    expect(
      [e('a-b', 'blob'), e('a', 'tree'), e('a.c', 'blob'), e('a', 'blob')]
        .sort(treeOrder)
        .map((x) => `${x.path}${x.type === 'tree' ? '/' : ''}`),
    ).toEqual(['a', 'a-b', 'a.c', 'a/'])
    expect(treeOrder(e('x', 'blob'), e('x', 'blob'))).toBe(0)
    expect(treeOrder(e('b', 'blob'), e('a', 'blob'))).toBe(1)
    expect(treeOrder(e('a', 'blob'), e('b', 'blob'))).toBe(-1)
    expect(treeOrder(e('a', 'tree'), e('a-b', 'blob'))).toBe(1)
  })
})

describe('writeCommitOnSnapshot and moveBranch', () => {
  it('writes a commit on the snapshot with the message, author, time and parent, and moves the branch only from the expected tip', async () => {
    const dir = makeRepo()
    git(dir, 'branch', 'state')
    const repo = locateRepository(dir)
    const tip = git(dir, 'rev-parse', 'state')
    const commit = await writeCommitOnSnapshot(
      repo,
      await Snapshot.at(repo, tip),
      { subject: 'kitty: test', trailers: { 'Kitty-Command': 'test' } },
      new Map([[WP01, bytes('x\n')]]),
      who,
      WHEN,
    )
    expect(
      git(dir, 'log', '-1', '--format=%P|%an <%ae>|%cn|%at|%s|%(trailers:key=Kitty-Command,valueonly)', commit),
    ).toBe(`${tip}|Kitty Test <kitty@example.com>|Kitty Test|${WHEN.getTime() / 1000}|kitty: test|test`)
    const branch = await resolveStateBranch(repo, 'state')
    expect(
      await moveBranch(repo, branch, { expected: commit, next: tip, paths: [WP01], who, subject: 'stale' }),
    ).toEqual({ moved: false, warnings: [] })
    expect(
      await moveBranch(repo, branch, { expected: tip, next: commit, paths: [WP01], who, subject: 'kitty: test' }),
    ).toEqual({ moved: true, warnings: [] })
    expect(git(dir, 'rev-parse', 'state')).toBe(commit)
    expect(git(dir, 'rev-parse', 'main')).toBe(tip)
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it('refuses to move a branch another worktree has checked out', async () => {
    const dir = makeRepo()
    git(dir, 'worktree', 'add', '-q', '-b', 'side', join(dir, '.worktrees', 'side'))
    const repo = locateRepository(dir)
    const tip = git(dir, 'rev-parse', 'side')
    const branch = await resolveStateBranch(repo, 'side')
    await expect(
      moveBranch(repo, branch, { expected: tip, next: tip, paths: [], who, subject: 's' }),
    ).rejects.toMatchObject({ code: 'USAGE_ERROR' })
  })
})

describe('commitMutation', () => {
  const edit = (text: string): Planned<string> => ({
    kind: 'commit',
    message: { subject: `kitty: ${text}`, trailers: {} },
    changes: new Map([[WP01, bytes(text)]]),
    result: text,
  })

  it('on the checked-out branch: one commit, and the working tree and index follow it', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const branch = await resolveStateBranch(repo)
    expect(branch.checkedOut).toBe(true)
    const before = git(dir, 'rev-parse', 'HEAD')
    const out = await commitMutation(repo, { branch, author: who, now: () => WHEN }, async () => edit('new content\n'))
    expect(out).toMatchObject({ result: 'new content\n', attempts: 1, warnings: [] })
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(out.commit)
    expect(git(dir, 'rev-parse', 'HEAD~1')).toBe(before)
    expect(readFileSync(join(dir, WP01), 'utf8')).toBe('new content\n')
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it('a no-op commits nothing', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    const before = git(dir, 'rev-parse', 'HEAD')
    const out = await commitMutation(
      repo,
      { branch: await resolveStateBranch(repo), author: who, now: () => WHEN },
      async () => ({ kind: 'noop', result: 'same' }),
    )
    expect(out).toEqual({ result: 'same', commit: null, attempts: 1, warnings: [] })
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(before)
  })

  it('an uncommitted edit of a path it would change: WORKTREE_DIRTY, nothing written', async () => {
    const dir = makeRepo()
    writeFileSync(join(dir, WP01), 'my edit\n')
    const repo = locateRepository(dir)
    const before = git(dir, 'rev-parse', 'HEAD')
    await expect(
      commitMutation(repo, { branch: await resolveStateBranch(repo), author: who, now: () => WHEN }, async () =>
        edit('kitty\n'),
      ),
    ).rejects.toMatchObject({ code: 'WORKTREE_DIRTY' })
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(before)
    expect(readFileSync(join(dir, WP01), 'utf8')).toBe('my edit\n')
  })

  it.each([false, true])(
    'when the branch moves under it, re-plans on the new tip (checked out: %s); gives up with STATE_CONFLICT',
    async (checkedOut) => {
      const dir = makeRepo()
      if (!checkedOut) git(dir, 'branch', 'state')
      const repo = locateRepository(dir)
      const branch = await resolveStateBranch(repo, checkedOut ? undefined : 'state')
      const name = checkedOut ? 'main' : 'state'
      let plans = 0
      const seen: (string | null)[] = []
      const out = await commitMutation(repo, { branch, author: who, now: () => WHEN }, async (snapshot) => {
        seen.push(snapshot.commit)
        // Another writer lands between this plan and its swap, twice.
        if (plans++ < 2)
          git(
            dir,
            'update-ref',
            `refs/heads/${name}`,
            git(dir, 'commit-tree', '-p', name, '-m', `other ${plans}`, `${name}^{tree}`),
          )
        return edit(`attempt ${plans}\n`)
      })
      expect(out.attempts).toBe(3)
      expect(new Set(seen).size).toBe(3)
      expect(git(dir, 'log', '--format=%s', '-4', name).split('\n')).toEqual([
        'kitty: attempt 3\n'.trim(),
        'other 2',
        'other 1',
        'initial',
      ])
      if (checkedOut) expect(readFileSync(join(dir, WP01), 'utf8')).toBe('attempt 3\n')
      let more = 0
      await expect(
        commitMutation(repo, { branch, author: who, now: () => WHEN, maxAttempts: 2 }, async () => {
          git(
            dir,
            'update-ref',
            `refs/heads/${name}`,
            git(dir, 'commit-tree', '-p', name, '-m', `again ${++more}`, `${name}^{tree}`),
          )
          return edit('never\n')
        }),
      ).rejects.toMatchObject({ code: 'STATE_CONFLICT', data: { attempts: 2 } })
      expect(git(dir, 'log', '-1', '--format=%s', name)).toBe('again 2')
      git(dir, 'fsck', '--strict', '--no-dangling')
    },
  )
})
