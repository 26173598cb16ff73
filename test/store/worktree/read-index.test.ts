import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readIndexEntries } from '../../../src/store/worktree/read-index.ts'

/** path → staged blob; null for an unmerged path (what the dirty check compares first). */
function stagedOids(gitdir: string, paths: string[]): Map<string, string | null> {
  return new Map([...readIndexEntries(gitdir, paths).entries].map(([path, entry]) => [path, entry?.oid ?? null]))
}
import { cleanupTempDirs, git, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

/** A checkout with long, nested and non-ASCII paths, an intent-to-add entry and a merge conflict. */
function messyRepo(): string {
  const repo = makeRepo()
  const paths = [
    'a.txt',
    `deep/${'d'.repeat(40)}/x.md`,
    'ünïcode/naïve.md',
    `long/${'n'.repeat(4200)}`.slice(0, 250),
    'z/last.txt',
  ]
  for (const p of paths) {
    mkdirSync(join(repo, p, '..'), { recursive: true })
    writeFileSync(join(repo, p), `${p}\n`)
  }
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'files')
  writeFileSync(join(repo, 'intent.txt'), 'later\n')
  git(repo, 'add', '-N', 'intent.txt')
  return repo
}

function lsFiles(repo: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of git(repo, '-c', 'core.quotePath=false', 'ls-files', '-s').split('\n')) {
    const [meta, path] = line.split('\t')
    const [, oid, stage] = meta!.split(' ')
    if (stage === '0') out.set(path!, oid!)
  }
  return out
}

describe('stagedOids: reading .git/index without parsing all of it', () => {
  it.each([2, 3, 4])('agrees with git ls-files -s for index version %i', (version) => {
    const repo = messyRepo()
    git(repo, 'update-index', '--index-version', String(version))
    const expected = lsFiles(repo)
    const got = stagedOids(join(repo, '.git'), [...expected.keys(), 'missing.txt'])
    expect(got).toEqual(expected)
  })

  it('reports a conflicted path as unmerged (null)', () => {
    const repo = makeRepo()
    writeFileSync(join(repo, 'f.txt'), 'base\n')
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'base')
    git(repo, 'checkout', '-qb', 'other')
    writeFileSync(join(repo, 'f.txt'), 'theirs\n')
    git(repo, 'commit', '-qam', 'theirs')
    git(repo, 'checkout', '-q', 'main')
    writeFileSync(join(repo, 'f.txt'), 'ours\n')
    git(repo, 'commit', '-qam', 'ours')
    try {
      git(repo, 'merge', '-q', 'other')
    } catch {
      // the conflict is the point
    }
    expect(stagedOids(join(repo, '.git'), ['f.txt', 'README.md']).get('f.txt')).toBeNull()
    expect(stagedOids(join(repo, '.git'), ['README.md']).get('README.md')).toMatch(/^[0-9a-f]{40}$/)
  })
})
