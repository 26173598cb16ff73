import {
  chmodSync,
  cpSync,
  existsSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, cleanupTempDirs, defaultMeta, git, laneOf, makeRepo, readWp, tempDir } from '../../helpers/git-repo.ts'
import {
  AGENT,
  branchOf,
  commit,
  diamondRepo,
  onBranch,
  replaceLine,
  setLanes,
  SHARED,
  write,
} from '../../helpers/merge-repo.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
function copyRepo(repo: string): string {
  const copy = tempDir('kitty-merge-copy-')
  cpSync(repo, copy, { recursive: true })
  return copy
}

const merge = (repo: string, flags: Record<string, string | boolean> = {}) =>
  api(repo, 'merge-mission', { mission: M, ...flags })
const parentsOf = (repo: string, rev: string) => git(repo, 'rev-list', '--parents', '-n', '1', rev).split(' ').slice(1)
const firstParentSubjects = (repo: string, range: string) =>
  git(repo, 'log', '--first-parent', '--format=%s', range).split('\n').reverse()

/** What git itself makes of merging the branches in order (`git merge --no-ff`, ort strategy). */
function gitMergeTree(repo: string, base: string, wps: string[]): string {
  git(repo, 'checkout', '-q', '-b', 'expected-by-git', base)
  for (const wp of wps) git(repo, 'merge', '-q', '--no-ff', '--no-edit', branchOf(wp))
  const tree = git(repo, 'rev-parse', 'HEAD^{tree}')
  git(repo, 'checkout', '-q', 'main')
  return tree
}

describe('merge-mission: the merge strategy on a diamond', () => {
  it('merges in dependency order, one merge commit per WP, then one state commit; git agrees on the tree', async () => {
    const repo = diamondRepo()
    const before = git(repo, 'rev-parse', 'main')
    const { code, envelope } = await merge(repo)
    expect(code, JSON.stringify(envelope)).toBe(0)
    const d = envelope.data
    expect(d).toMatchObject({
      mission_slug: M,
      mission_number: 42,
      merged: true,
      target_branch: 'main',
      strategy: 'merge',
      merge_order: ['WP01', 'WP02', 'WP03', 'WP04'],
      merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'],
      already_merged_wps: [],
      pushed: false,
      worktree_removed: true,
    })
    expect(d.state_commit).toBe(git(repo, 'rev-parse', 'main'))
    expect(parentsOf(repo, 'main')).toEqual([d.merge_commit])

    // Shape: state commit on top of four merge commits, each with the target and the WP branch as parents.
    expect(firstParentSubjects(repo, `${before}..main`)).toEqual([
      `merge: ${M}/WP01 into main`,
      `merge: ${M}/WP02 into main`,
      `merge: ${M}/WP03 into main`,
      `merge: ${M}/WP04 into main`,
      `kitty(${M}): merge-mission`,
    ])
    for (const [i, wp] of ['WP04', 'WP03', 'WP02', 'WP01'].entries()) {
      const rev = `main~${i + 1}`
      expect(parentsOf(repo, rev)).toEqual([
        git(repo, 'rev-parse', `main~${i + 2}`),
        git(repo, 'rev-parse', branchOf(wp)),
      ])
    }
    expect(git(repo, 'log', '--graph', '--oneline', 'main')).toContain(`merge: ${M}/WP04 into main`)

    // The merged tree is what git's own merge makes of the same branches.
    // WP04's branch merged WP03 itself, so it and main-with-WP03 share two merge bases (criss-cross).
    expect(git(repo, 'merge-base', '--all', 'main~2', branchOf('WP04')).split('\n')).toHaveLength(2)
    const expected = gitMergeTree(repo, before, ['WP01', 'WP02', 'WP03', 'WP04'])
    expect(git(repo, 'diff', '--stat', expected, d.merge_commit)).toBe('')
    expect(readFileSync(join(repo, 'shared.txt'), 'utf8')).toBe(
      replaceLine(replaceLine(SHARED, 2, 'line 2 (WP01)'), 10, 'line 10 (WP04)'),
    )

    // The state commit: every WP done, the merge recorded, a mission number assigned (max 41 + 1).
    for (const wp of ['WP01', 'WP02', 'WP03', 'WP04']) expect(laneOf(readWp(repo, wp))).toBe('done')
    const meta = JSON.parse(readFileSync(join(repo, 'kitty-specs', M, 'meta.json'), 'utf8'))
    expect(meta).toMatchObject({
      mission_number: 42,
      merged_by: 'Test Author',
      merge_commit: d.merge_commit,
      merge_strategy: 'merge',
      merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'],
    })
    expect(meta.merged_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/)
    expect(git(repo, 'diff', '--name-only', d.merge_commit, 'main').split('\n').sort()).toEqual([
      `kitty-specs/${M}/meta.json`,
      ...['WP01', 'WP02', 'WP03', 'WP04'].map((wp) => `kitty-specs/${M}/tasks/${wp}.md`),
    ])
    expect(
      git(
        repo,
        'log',
        '-1',
        '--format=%(trailers:key=Kitty-Command,valueonly)%(trailers:key=Kitty-Mission,valueonly)',
        'main',
      ),
    ).toBe(`merge-mission\n${M}`)

    // The checked-out working tree and index follow; the repository is sound.
    expect(git(repo, 'status', '--porcelain')).toBe('')
    expect(existsSync(join(repo, 'src', 'd.ts'))).toBe(true)
    git(repo, 'fsck', '--strict')
  })
})

describe('merge-mission: squash and rebase give the same tree as merge', () => {
  it('squash: one single-parent commit per WP holding that WP’s changes; same tree as merge', async () => {
    const a = diamondRepo()
    const b = copyRepo(a)
    const before = git(a, 'rev-parse', 'main')
    const merged = await merge(a, { strategy: 'merge' })
    const squashed = await merge(b, { strategy: 'squash' })
    expect(squashed.code, JSON.stringify(squashed.envelope)).toBe(0)
    expect(squashed.envelope.data).toMatchObject({ strategy: 'squash', merged_wps: ['WP01', 'WP02', 'WP03', 'WP04'] })
    const head = squashed.envelope.data.merge_commit
    expect(git(b, 'rev-parse', `${head}^{tree}`)).toBe(
      git(a, 'rev-parse', `${merged.envelope.data.merge_commit}^{tree}`),
    )
    expect(firstParentSubjects(b, `${before}..main`)).toEqual([
      `squash merge: ${M}/WP01 into main`,
      `squash merge: ${M}/WP02 into main`,
      `squash merge: ${M}/WP03 into main`,
      `squash merge: ${M}/WP04 into main`,
      `kitty(${M}): merge-mission`,
    ])
    expect(git(b, 'rev-list', '--merges', `${before}..main`)).toBe('')
    // Each squash commit holds exactly its WP's own files.
    const files = (rev: string) => git(b, 'diff', '--name-only', `${rev}^`, rev).split('\n').sort()
    expect(files('main~4')).toEqual(['shared.txt', 'src/core.ts'])
    expect(files('main~3')).toEqual(['src/a.ts'])
    expect(files('main~2')).toEqual(['src/b.ts'])
    expect(files('main~1')).toEqual(['shared.txt', 'src/d.ts'])
    expect(git(b, 'status', '--porcelain')).toBe('')
    git(b, 'fsck', '--strict')
  })

  it('rebase: the WP commits replayed in order with their subjects and authors; merges dropped; same tree', async () => {
    const a = diamondRepo()
    const b = copyRepo(a)
    const before = git(a, 'rev-parse', 'main')
    const merged = await merge(a)
    const rebased = await merge(b, { strategy: 'rebase' })
    expect(rebased.code, JSON.stringify(rebased.envelope)).toBe(0)
    const head = rebased.envelope.data.merge_commit
    expect(git(b, 'rev-parse', `${head}^{tree}`)).toBe(
      git(a, 'rev-parse', `${merged.envelope.data.merge_commit}^{tree}`),
    )
    expect(firstParentSubjects(b, `${before}..main`)).toEqual([
      'WP01: core module',
      'WP01: tune shared line 2',
      'WP02: module a',
      'WP02: module a, second pass',
      'WP03: module b',
      'WP04: tune shared line 10',
      'WP04: module d',
      `kitty(${M}): merge-mission`,
    ])
    expect(git(b, 'rev-list', '--merges', `${before}..main`)).toBe('')
    expect(git(b, 'log', '--format=%an <%ae>', `${before}..${head}`).split('\n')).toEqual(Array(7).fill(AGENT))
    expect(git(b, 'log', '--format=%cn', `${before}..${head}`).split('\n')).toEqual(Array(7).fill('Test Author'))
    // Each replayed commit carries the same change as its original.
    expect(git(b, 'diff', `${head}~1`, head)).toBe(git(b, 'diff', `${branchOf('WP04')}~1`, branchOf('WP04')))
    expect(git(b, 'status', '--porcelain')).toBe('')
    git(b, 'fsck', '--strict')
  })

  it('rebase keeps a branch already based on the target as it is (fast-forward)', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'approved' }] }])
    onBranch(repo, branchOf('WP01'), 'main', () => commit(repo, 'WP01: work', { 'w.txt': 'w\n' }))
    const tip = git(repo, 'rev-parse', branchOf('WP01'))
    const { code, envelope } = await merge(repo, { strategy: 'rebase' })
    expect(code).toBe(0)
    expect(envelope.data.merge_commit).toBe(tip)
    expect(git(repo, 'rev-parse', 'main~1')).toBe(tip)
  })
})

describe('merge-mission: order and clean merges', () => {
  it('independent WPs merge in WP-id order (numeric), and two WPs editing one file in different regions merge cleanly', async () => {
    const wps = ['WP10', 'WP02', 'WP01'].map((id) => ({ id, lane: 'approved' }))
    const repo = makeRepo([{ wps }])
    commit(repo, 'shared file', { 'shared.txt': SHARED })
    onBranch(repo, branchOf('WP10'), 'main', () =>
      commit(repo, 'WP10 edits the top', { 'shared.txt': replaceLine(SHARED, 1, 'top (WP10)') }),
    )
    onBranch(repo, branchOf('WP02'), 'main', () =>
      commit(repo, 'WP02 edits the bottom', { 'shared.txt': replaceLine(SHARED, 12, 'bottom (WP02)') }),
    )
    onBranch(repo, branchOf('WP01'), 'main', () =>
      commit(repo, 'WP01 edits the middle', { 'shared.txt': replaceLine(SHARED, 6, 'middle (WP01)') }),
    )
    const before = git(repo, 'rev-parse', 'main')
    const { code, envelope } = await merge(repo)
    expect(code, JSON.stringify(envelope)).toBe(0)
    expect(envelope.data.merge_order).toEqual(['WP01', 'WP02', 'WP10'])
    expect(readFileSync(join(repo, 'shared.txt'), 'utf8')).toBe(
      replaceLine(replaceLine(replaceLine(SHARED, 1, 'top (WP10)'), 6, 'middle (WP01)'), 12, 'bottom (WP02)'),
    )
    expect(
      git(repo, 'diff', '--stat', gitMergeTree(repo, before, ['WP01', 'WP02', 'WP10']), envelope.data.merge_commit),
    ).toBe('')
    git(repo, 'fsck', '--strict')
  })

  it('branch names come from a WP’s own branch: key, else the configured pattern; modes, symlinks and deletions reach the checkout', async () => {
    const wps = [
      { id: 'WP01', lane: 'approved' },
      { id: 'WP02', lane: 'approved', extra: 'branch: feature/wp-two' },
    ]
    const repo = makeRepo([{ wps }])
    commit(repo, 'settings and an old doc', {
      '.github/kitty.yml': 'merge:\n  branch_pattern: "wp/{mission_slug}/{wp_id}"\n',
      'docs/old.md': 'old\n',
    })
    onBranch(repo, `wp/${M}/WP01`, 'main', () => {
      write(repo, 'run.sh', '#!/bin/sh\necho hi\n')
      chmodSync(join(repo, 'run.sh'), 0o755)
      symlinkSync('README.md', join(repo, 'link-to-readme'))
      commit(repo, 'WP01: a script and a link', {})
    })
    onBranch(repo, 'feature/wp-two', 'main', () => commit(repo, 'WP02: drop the old doc', { 'docs/old.md': null }))
    const { code, envelope } = await merge(repo)
    expect(code, JSON.stringify(envelope)).toBe(0)
    expect(envelope.data.merged_wps).toEqual(['WP01', 'WP02'])
    expect(git(repo, 'ls-tree', 'main', 'run.sh').split(' ')[0]).toBe('100755')
    expect(statSync(join(repo, 'run.sh')).mode & 0o111).not.toBe(0)
    expect(readlinkSync(join(repo, 'link-to-readme'))).toBe('README.md')
    expect(existsSync(join(repo, 'docs'))).toBe(false)
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })

  it('a WP branch that edited its own WP file: the conflict goes to the target side and is reported', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'in_progress' }] }])
    onBranch(repo, branchOf('WP01'), 'main', () => {
      const path = `kitty-specs/${M}/tasks/WP01.md`
      commit(repo, 'WP01: work, and a note in my WP file', {
        'w.txt': 'w\n',
        [path]: readFileSync(join(repo, path), 'utf8').replace('lane: in_progress', 'lane: for_review'),
      })
    })
    setLanes(repo, 'approved', ['WP01'])
    const { code, envelope } = await merge(repo)
    expect(code, JSON.stringify(envelope)).toBe(0)
    expect(envelope.data.state_conflicts_resolved).toEqual([`kitty-specs/${M}/tasks/WP01.md`])
    expect(laneOf(readWp(repo, 'WP01'))).toBe('done')
    expect(readWp(repo, 'WP01')).toContain('merge-mission: approved -> done')
    expect(readFileSync(join(repo, 'w.txt'), 'utf8')).toBe('w\n')
  })

  it('running it again is a no-op: nothing new to merge, every WP already done (branch kept or deleted)', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'approved' }] }])
    onBranch(repo, branchOf('WP01'), 'main', () => commit(repo, 'WP01: work', { 'w.txt': 'w\n' }))
    const first = await merge(repo, { actor: 'release-bot' })
    expect(first.code).toBe(0)
    expect(JSON.parse(readFileSync(join(repo, 'kitty-specs', M, 'meta.json'), 'utf8')).merged_by).toBe('release-bot')
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Kitty-Actor,valueonly)', 'main')).toBe('release-bot')
    const after = git(repo, 'rev-parse', 'main')
    const again = await merge(repo, { strategy: 'squash' })
    expect(again.code, JSON.stringify(again.envelope)).toBe(0)
    const noOp = {
      no_op: true,
      merged_wps: [],
      already_merged_wps: ['WP01'],
      state_commit: null,
      merge_commit: first.envelope.data.merge_commit,
    }
    expect(again.envelope.data).toMatchObject(noOp)
    // A done WP whose branch was deleted after its merge is not an error either.
    git(repo, 'branch', '-D', branchOf('WP01'))
    const third = await merge(repo)
    expect(third.code, JSON.stringify(third.envelope)).toBe(0)
    expect(third.envelope.data).toMatchObject(noOp)
    expect(git(repo, 'rev-parse', 'main')).toBe(after)
  })
})

describe('merge-mission: preflight collects every failure and writes nothing', () => {
  it('a conflict, a missing branch and an unapproved WP in one answer, each with its fix; main unchanged', async () => {
    const wps = [
      { id: 'WP01', lane: 'approved' },
      { id: 'WP02', lane: 'approved' },
      { id: 'WP03', lane: 'in_progress' },
      { id: 'WP04', lane: 'approved', dependencies: ['WP02'] },
    ]
    const repo = makeRepo([{ wps }])
    commit(repo, 'shared file', { 'shared.txt': SHARED })
    onBranch(repo, branchOf('WP01'), 'main', () =>
      commit(repo, 'WP01', { 'shared.txt': replaceLine(SHARED, 5, 'five (WP01)') }),
    )
    onBranch(repo, branchOf('WP02'), 'main', () =>
      commit(repo, 'WP02', { 'shared.txt': replaceLine(SHARED, 5, 'five (WP02)') }),
    )
    onBranch(repo, branchOf('WP04'), branchOf('WP02'), () => commit(repo, 'WP04', { 'd.txt': 'd\n' }))
    write(repo, 'untracked.txt', 'mine\n')
    const before = {
      head: git(repo, 'rev-parse', 'main'),
      status: git(repo, 'status', '--porcelain'),
      refs: git(repo, 'for-each-ref'),
    }
    const { code, envelope } = await merge(repo)
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('PREFLIGHT_FAILED')
    const { errors, conflicts, not_checked } = envelope.data
    expect(errors).toHaveLength(3)
    expect(errors[0]).toBe(
      'WP03 is in_progress on main; finish it, get it reviewed and move it to approved before merging.',
    )
    expect(errors[1]).toMatch(
      new RegExp(`^Branch ${branchOf('WP03')} for WP03 does not exist; run start-implementation for WP03`),
    )
    expect(errors[2]).toMatch(
      new RegExp(
        `^WP02 \\(branch ${branchOf('WP02')}\\) conflicts with main \\(after merging WP01\\) in shared.txt; merge main into ${branchOf('WP02')}`,
      ),
    )
    expect(conflicts).toEqual([{ wp_id: 'WP02', paths: ['shared.txt'] }])
    expect(not_checked).toEqual(['WP04'])
    expect(envelope.data).toMatchObject({
      mission_slug: M,
      target_branch: 'main',
      merge_order: ['WP01', 'WP02', 'WP03', 'WP04'],
    })
    expect(envelope.data.message).toContain('nothing was changed')
    expect({
      head: git(repo, 'rev-parse', 'main'),
      status: git(repo, 'status', '--porcelain'),
      refs: git(repo, 'for-each-ref'),
    }).toEqual(before)
  })

  it('rebase: a conflict while replaying names the commit', async () => {
    const repo = makeRepo([{ wps: [{ id: 'WP01', lane: 'approved' }] }])
    commit(repo, 'shared file', { 'shared.txt': SHARED })
    onBranch(repo, branchOf('WP01'), 'main', () => {
      commit(repo, 'WP01: first try', { 'shared.txt': replaceLine(SHARED, 3, 'three (WP01)') })
      commit(repo, 'WP01: unrelated', { 'x.txt': 'x\n' })
    })
    commit(repo, 'main edits line 3 too', { 'shared.txt': replaceLine(SHARED, 3, 'three (main)') })
    const head = git(repo, 'rev-parse', 'main')
    const { envelope } = await merge(repo, { strategy: 'rebase' })
    expect(envelope.error_code).toBe('PREFLIGHT_FAILED')
    const first = git(repo, 'rev-parse', '--short=7', `${branchOf('WP01')}~1`)
    expect(envelope.data.errors).toEqual([
      `WP01's commit ${first} "WP01: first try" conflicts with main in shared.txt; merge main into ${branchOf('WP01')}, resolve the conflicts there and commit, then run merge-mission again.`,
    ])
    expect(envelope.data.conflicts).toEqual([
      { wp_id: 'WP01', paths: ['shared.txt'], commit: git(repo, 'rev-parse', `${branchOf('WP01')}~1`) },
    ])
    expect(git(repo, 'rev-parse', 'main')).toBe(head)
  })

  it('a cycle, an unknown dependency, a missing target-side remote sync and --push without origin, all at once', async () => {
    const wps = [
      { id: 'WP01', lane: 'approved', dependencies: ['WP02'] },
      { id: 'WP02', lane: 'approved', dependencies: ['WP01'] },
      { id: 'WP03', lane: 'approved', dependencies: ['WP09'] },
    ]
    const repo = makeRepo([{ wps }])
    for (const wp of ['WP01', 'WP02', 'WP03'])
      onBranch(repo, branchOf(wp), 'main', () => commit(repo, wp, { [`${wp}.txt`]: wp }))
    // origin/main is one commit ahead of main: main is behind its remote.
    const ahead = git(repo, 'commit-tree', '-p', 'main', '-m', 'someone else', git(repo, 'rev-parse', 'main^{tree}'))
    git(repo, 'update-ref', 'refs/remotes/origin/main', ahead)
    const head = git(repo, 'rev-parse', 'main')
    const { envelope } = await merge(repo, { push: true })
    expect(envelope.error_code).toBe('PREFLIGHT_FAILED')
    expect(envelope.data.errors).toEqual([
      'main is behind origin/main; pull first (git pull --ff-only), then run merge-mission again.',
      '--push needs a remote named origin; add it (git remote add origin <url>) or run without --push.',
      "WP03 depends on WP09, which is not a work package of this mission; remove it from WP03's dependencies or add WP09.",
      'Circular dependency: WP01 → WP02 → WP01; remove one of these dependencies from the WP frontmatter.',
    ])
    expect(envelope.data.merge_order).toEqual([])
    expect(git(repo, 'rev-parse', 'main')).toBe(head)
  })

  it('a missing target and an empty mission are preflight failures too', async () => {
    const repo = makeRepo([{ wps: [] }])
    const { envelope } = await merge(repo, { target: 'release' })
    expect(envelope.error_code).toBe('PREFLIGHT_FAILED')
    expect(envelope.data.errors).toEqual([
      `Mission ${M} has no work packages (kitty-specs/${M}/tasks/WP*.md); there is nothing to merge.`,
      'Target branch release does not exist; create it or pass --target <branch>.',
    ])
  })

  it('UNSUPPORTED_STRATEGY is checked before the mission is even resolved', async () => {
    const repo = makeRepo()
    const { code, envelope } = await api(repo, 'merge-mission', { mission: 'no-such-mission', strategy: 'octopus' })
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('UNSUPPORTED_STRATEGY')
    expect(envelope.data).toMatchObject({ strategy: 'octopus', supported: ['merge', 'rebase', 'squash'] })
  })
})

describe('merge-mission: nothing changes unless everything succeeds', () => {
  it('--dry-run reports the plan and the commits it would make, and moves nothing', async () => {
    const repo = diamondRepo()
    const before = {
      head: git(repo, 'rev-parse', 'main'),
      status: git(repo, 'status', '--porcelain'),
      refs: git(repo, 'for-each-ref'),
    }
    const { code, envelope } = await merge(repo, { 'dry-run': true, strategy: 'squash' })
    expect(code, JSON.stringify(envelope)).toBe(0)
    expect(envelope.data).toMatchObject({
      dry_run: true,
      strategy: 'squash',
      target_branch: 'main',
      merge_order: ['WP01', 'WP02', 'WP03', 'WP04'],
      commits: [
        `squash merge: ${M}/WP01 into main`,
        `squash merge: ${M}/WP02 into main`,
        `squash merge: ${M}/WP03 into main`,
        `squash merge: ${M}/WP04 into main`,
        `kitty(${M}): merge-mission`,
      ],
    })
    expect(
      envelope.data.would_merge.map((w: { branch: string; commits_ahead: number }) => [w.branch, w.commits_ahead]),
    ).toEqual([
      [branchOf('WP01'), 2],
      [branchOf('WP02'), 4],
      [branchOf('WP03'), 3],
      [branchOf('WP04'), 8],
    ])
    expect({
      head: git(repo, 'rev-parse', 'main'),
      status: git(repo, 'status', '--porcelain'),
      refs: git(repo, 'for-each-ref'),
    }).toEqual(before)
    for (const wp of ['WP01', 'WP02', 'WP03', 'WP04']) expect(laneOf(readWp(repo, wp))).toBe('approved')
  })

  it('a rejected push (connection refused) leaves main, the working tree and the index exactly as before', async () => {
    const repo = diamondRepo()
    git(repo, 'remote', 'add', 'origin', 'http://127.0.0.1:9/nowhere.git')
    const before = {
      head: git(repo, 'rev-parse', 'main'),
      status: git(repo, 'status', '--porcelain'),
      shared: readFileSync(join(repo, 'shared.txt'), 'utf8'),
    }
    const { code, envelope } = await merge(repo, { push: true })
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('PUSH_FAILED')
    expect(envelope.data).toMatchObject({ mission_slug: M, target_branch: 'main', rolled_back: true })
    expect(envelope.data.reason).toMatch(/ECONNREFUSED|refused|connect/i)
    expect({
      head: git(repo, 'rev-parse', 'main'),
      status: git(repo, 'status', '--porcelain'),
      shared: readFileSync(join(repo, 'shared.txt'), 'utf8'),
    }).toEqual(before)
    expect(existsSync(join(repo, 'src', 'd.ts'))).toBe(false)
    expect(git(repo, 'diff', '--cached', '--stat')).toBe('')
    for (const wp of ['WP01', 'WP02', 'WP03', 'WP04']) expect(laneOf(readWp(repo, wp))).toBe('approved')
    git(repo, 'fsck', '--strict')
  })

  it('uncommitted edits in a file the merge changes: WORKTREE_DIRTY, nothing written', async () => {
    const repo = diamondRepo()
    write(repo, 'shared.txt', 'my local edit\n')
    const head = git(repo, 'rev-parse', 'main')
    const { envelope } = await merge(repo)
    expect(envelope.error_code).toBe('WORKTREE_DIRTY')
    expect(envelope.data.paths).toContain('shared.txt')
    expect(git(repo, 'rev-parse', 'main')).toBe(head)
    expect(readFileSync(join(repo, 'shared.txt'), 'utf8')).toBe('my local edit\n')
  })

  it('a target that is not checked out moves alone; the checkout is untouched', async () => {
    const repo = makeRepo([
      { meta: { ...defaultMeta(M), target_branch: 'release' }, wps: [{ id: 'WP01', lane: 'approved' }] },
    ])
    git(repo, 'branch', 'release')
    onBranch(repo, branchOf('WP01'), 'release', () => commit(repo, 'WP01: work', { 'w.txt': 'w\n' }))
    const main = git(repo, 'rev-parse', 'main')
    const { code, envelope } = await merge(repo)
    expect(code, JSON.stringify(envelope)).toBe(0)
    expect(envelope.data.target_branch).toBe('release')
    expect(git(repo, 'rev-parse', 'main')).toBe(main)
    expect(existsSync(join(repo, 'w.txt'))).toBe(false)
    expect(git(repo, 'show', `release:kitty-specs/${M}/tasks/WP01.md`)).toContain('lane: done')
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })
})

describe('merge-mission: concurrency', () => {
  it('two merges at once: one merges, the other re-reads the moved target and finds nothing left to do', async () => {
    const repo = diamondRepo()
    const runs = await Promise.all([merge(repo), merge(repo, { strategy: 'squash' })])
    for (const run of runs) expect(run.code, JSON.stringify(run.envelope)).toBe(0)
    expect(runs.map((r) => r.envelope.data.no_op).sort()).toEqual([false, true])
    expect(
      git(repo, 'log', '--format=%s', 'main')
        .split('\n')
        .filter((s) => s === `kitty(${M}): merge-mission`),
    ).toHaveLength(1)
    expect(git(repo, 'status', '--porcelain')).toBe('')
    git(repo, 'fsck', '--strict')
  })
})

describe('merge-mission: WP worktrees', () => {
  it('removes clean WP worktrees after the merge and keeps (and reports) a dirty one', async () => {
    const repo = makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'approved' },
          { id: 'WP02', lane: 'approved' },
        ],
      },
    ])
    writeFileSync(join(repo, '.git', 'info', 'exclude'), '/.worktrees/\n')
    for (const wp of ['WP01', 'WP02']) {
      onBranch(repo, branchOf(wp), 'main', () => commit(repo, `${wp}: work`, { [`${wp}.txt`]: wp }))
      git(repo, 'worktree', 'add', '-q', join(repo, '.worktrees', branchOf(wp)), branchOf(wp))
    }
    write(repo, `.worktrees/${branchOf('WP02')}/scratch.txt`, 'unsaved\n')
    const { code, envelope } = await merge(repo)
    expect(code, JSON.stringify(envelope)).toBe(0)
    expect(envelope.data.worktree_removed).toBe(false)
    expect(envelope.data.worktrees_removed).toEqual([join(repo, '.worktrees', branchOf('WP01'))])
    expect(envelope.data.worktrees_kept).toEqual([
      { path: join(repo, '.worktrees', branchOf('WP02')), reason: expect.any(String) },
    ])
    expect(existsSync(join(repo, '.worktrees', branchOf('WP01')))).toBe(false)
    expect(existsSync(join(repo, '.worktrees', branchOf('WP02'), 'scratch.txt'))).toBe(true)
  })
})
