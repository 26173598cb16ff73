import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { mergeTrees } from '../../../src/store/objects/merge-trees.ts'
import { locateRepository } from '../../../src/store/repository.ts'
import { mergeBases } from '../../../src/store/objects/walk-commits.ts'
import { cleanupTempDirs, git, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

type Files = Record<string, string | Buffer | null>

function apply(repo: string, files: Files): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(repo, path)
    if (content === null) rmSync(full, { recursive: true })
    else {
      mkdirSync(dirname(full), { recursive: true })
      writeFileSync(full, content)
    }
  }
}

/** base on main, then `ours` and `theirs` branches from it; returns the three commits. */
function threeWay(base: Files, ours: Files, theirs: Files, tweak?: (repo: string, side: 'ours' | 'theirs') => void) {
  const repo = makeRepo([])
  apply(repo, base)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '-m', 'base')
  for (const [side, files] of [
    ['ours', ours],
    ['theirs', theirs],
  ] as const) {
    git(repo, 'checkout', '-q', '-b', side, 'main')
    apply(repo, files)
    tweak?.(repo, side)
    git(repo, 'add', '-A')
    git(repo, 'commit', '-q', '--allow-empty', '-m', side)
  }
  git(repo, 'checkout', '-q', 'main')
  return { repo, tree: (rev: string) => git(repo, 'rev-parse', `${rev}^{tree}`) }
}

/** git's own answer: `git merge-tree --write-tree` (tree oid, and the conflicted paths). */
function gitMergeTree(repo: string): { tree: string; conflicted: string[] } {
  const run = spawnSync('git', ['merge-tree', '--write-tree', '--name-only', '--no-messages', 'ours', 'theirs'], {
    cwd: repo,
    encoding: 'utf8',
  })
  const [tree, ...rest] = run.stdout.trim().split('\n')
  return { tree: tree!, conflicted: [...new Set(rest.filter(Boolean))].sort() }
}

async function ourMerge(repo: string, tree: (rev: string) => string, oursWins?: (p: string) => boolean) {
  return mergeTrees(locateRepository(repo), {
    base: tree('main'),
    ours: tree('ours'),
    theirs: tree('theirs'),
    ...(oursWins ? { oursWins } : {}),
  })
}

const TEXT = Array.from({ length: 10 }, (_, i) => `row ${i}`).join('\n') + '\n'

describe('mergeTrees', () => {
  it('a clean merge gives exactly the tree git merge-tree writes (edits, adds, deletes, a mode change, nested dirs)', async () => {
    const { repo, tree } = threeWay(
      { 'a.txt': TEXT, 'dir/sub/b.txt': 'b\n', 'gone.txt': 'x\n', 'same-add/keep.txt': 'k\n', 'run.sh': 'echo\n' },
      { 'a.txt': TEXT.replace('row 1', 'ROW 1'), 'dir/sub/new.txt': 'n\n', 'both.txt': 'same\n' },
      { 'a.txt': TEXT.replace('row 8', 'ROW 8'), 'gone.txt': null, 'dir/sub/b.txt': 'B\n', 'both.txt': 'same\n' },
      (repo, side) => {
        if (side === 'theirs') chmodSync(join(repo, 'run.sh'), 0o755)
      },
    )
    const ours = await ourMerge(repo, tree)
    const theirs = gitMergeTree(repo)
    expect(ours.conflicts).toEqual([])
    expect(ours.tree).toBe(theirs.tree)
  })

  it('names every kind of conflict by path, the same paths git reports', async () => {
    const bin = (n: number) => Buffer.from([0, 1, 2, n, 0, 9])
    const { repo, tree } = threeWay(
      { 'text.txt': TEXT, 'md.txt': 'keep\n', 'bin.dat': bin(1), 'clean.txt': 'c\n' },
      {
        'text.txt': TEXT.replace('row 4', 'ours 4'),
        'md.txt': 'changed\n',
        'bin.dat': bin(2),
        'added.txt': 'ours\n',
        fd: 'a file\n',
      },
      {
        'text.txt': TEXT.replace('row 4', 'theirs 4'),
        'md.txt': null,
        'bin.dat': bin(3),
        'added.txt': 'theirs\n',
        'fd/x.txt': 'a dir\n',
        'clean.txt': 'C\n',
      },
    )
    const result = await ourMerge(repo, tree)
    expect(result.conflicts).toEqual(
      expect.arrayContaining([
        { path: 'text.txt', kind: 'content' },
        { path: 'md.txt', kind: 'modify/delete' },
        { path: 'bin.dat', kind: 'binary' },
        { path: 'added.txt', kind: 'add/add' },
        { path: 'fd', kind: 'file/directory' },
      ]),
    )
    const ourPaths = result.conflicts.map((c) => c.path).sort()
    // git parks the file of a file/directory clash as fd~ours beside fd/x.txt; we name the clash once, as fd.
    const gitPaths = gitMergeTree(repo)
      .conflicted.filter((p) => p !== 'fd/x.txt')
      .map((p) => p.replace(/~ours$/, ''))
    expect(gitPaths.sort()).toEqual(ourPaths)
  })

  it('settles conflicts on paths it is told belong to our side, and says which', async () => {
    const { repo, tree } = threeWay(
      { 'state/wp.md': 'lane: planned\n', 'code.txt': 'x\n' },
      { 'state/wp.md': 'lane: approved\n' },
      { 'state/wp.md': 'lane: for_review\n', 'code.txt': 'y\n' },
    )
    const result = await ourMerge(repo, tree, (p) => p.startsWith('state/'))
    expect(result.conflicts).toEqual([])
    expect(result.keptOurs).toEqual(['state/wp.md'])
    expect(git(repo, 'show', `${result.tree}:state/wp.md`)).toBe('lane: approved')
    expect(git(repo, 'show', `${result.tree}:code.txt`)).toBe('y')
  })

  it('mergeBases agrees with git merge-base --all, criss-cross included', async () => {
    const { repo } = threeWay({ 'f.txt': 'f\n' }, { 'o.txt': 'o\n' }, { 't.txt': 't\n' })
    const r = locateRepository(repo)
    expect(await mergeBases(r, git(repo, 'rev-parse', 'ours'), git(repo, 'rev-parse', 'theirs'))).toEqual([
      git(repo, 'rev-parse', 'main'),
    ])
    // Criss-cross: each side merges the other's tip.
    git(repo, 'checkout', '-q', '-b', 'x', 'ours')
    git(repo, 'merge', '-q', '--no-edit', 'theirs')
    git(repo, 'checkout', '-q', '-b', 'y', 'theirs')
    git(repo, 'merge', '-q', '--no-edit', 'ours')
    git(repo, 'checkout', '-q', 'main')
    const expected = git(repo, 'merge-base', '--all', 'x', 'y').split('\n').sort()
    expect(expected).toHaveLength(2)
    expect((await mergeBases(r, git(repo, 'rev-parse', 'x'), git(repo, 'rev-parse', 'y'))).sort()).toEqual(expected)
  })
})
