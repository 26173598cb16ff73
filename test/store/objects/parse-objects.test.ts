import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import git2 from 'isomorphic-git'
import { afterAll, describe, expect, it } from 'vitest'
import { parseCommit, parseCommitObject, parseTree } from '../../../src/store/objects/parse-objects.ts'
import { locateRepository } from '../../../src/store/repository.ts'
import { cleanupTempDirs, git, makeRepo } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

/** An object's raw content as git stores it, header stripped. */
function catFile(repo: string, type: string, oid: string): Buffer {
  return execFileSync('git', ['cat-file', type, oid], { cwd: repo })
}

describe('parse objects', () => {
  it('parses trees and commits as isomorphic-git does (a merge commit; files, a folder, an executable)', async () => {
    const repo = makeRepo()
    git(repo, 'checkout', '-q', '-b', 'side')
    mkdirSync(join(repo, 'nested'))
    writeFileSync(join(repo, 'nested', 'ünïcode.txt'), 'side\n')
    writeFileSync(join(repo, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 })
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'side')
    git(repo, 'checkout', '-q', 'main')
    writeFileSync(join(repo, 'main.txt'), 'main\n')
    git(repo, 'add', '-A')
    git(repo, 'commit', '-qm', 'main')
    git(repo, 'merge', '-q', '--no-ff', '-m', 'merge side\n\nwith a body', 'side')
    const handle = locateRepository(repo)
    const head = git(repo, 'rev-parse', 'HEAD')

    const commit = parseCommit(catFile(repo, 'commit', head))
    const theirs = (await git2.readCommit({ fs: handle.fs, gitdir: handle.gitdir, oid: head })).commit
    expect(commit.parents).toHaveLength(2)
    expect(commit.tree).toBe(theirs.tree)
    expect(commit.parents).toEqual(theirs.parent)
    expect(commit.committerTimestamp).toBe(theirs.committer.timestamp)
    expect(commit.message).toBe(theirs.message)
    expect(parseCommitObject(catFile(repo, 'commit', head))).toMatchObject({
      author: theirs.author,
      committer: theirs.committer,
    })

    for (const oid of [commit.tree, git(repo, 'rev-parse', 'HEAD:nested')]) {
      const tree = parseTree(catFile(repo, 'tree', oid))
      expect(tree).toEqual((await git2.readTree({ fs: handle.fs, gitdir: handle.gitdir, oid })).tree)
    }
  })

  it('refuses a commit that does not start with a tree header', () => {
    expect(() => parseCommitObject(Buffer.from('parent abc\n\nmessage'))).toThrow(/tree header/)
  })
})
