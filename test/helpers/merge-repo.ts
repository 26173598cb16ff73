/**
 * Repositories with real WP branches for merge-mission tests: the diamond of dependencies, and the
 * small tools to make more (commits by an agent, branches, approvals).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { WpFixture } from './git-repo.ts'
import { defaultMeta, git, makeRepo } from './git-repo.ts'

const M = '099-test-mission'
export const branchOf = (wp: string) => `${M}-${wp}`
export const AGENT = 'Agent Smith <agent@example.com>'
export const SHARED = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n') + '\n'

export function write(repo: string, path: string, content: string | null): void {
  const full = join(repo, path)
  if (content === null) rmSync(full)
  else {
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
  }
}

/** One commit on the checked-out branch, authored by the agent (rebase must keep that author). */
export function commit(repo: string, message: string, files: Record<string, string | null>): void {
  for (const [path, content] of Object.entries(files)) write(repo, path, content)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '--author', AGENT, '-m', message)
}

/** Create `branch` from `from`, run `work` on it, and come back to main. */
export function onBranch(repo: string, branch: string, from: string, work: () => void): void {
  git(repo, 'checkout', '-q', '-b', branch, from)
  work()
  git(repo, 'checkout', '-q', 'main')
}

export const replaceLine = (text: string, n: number, line: string) => text.replace(`line ${n}\n`, `${line}\n`)

export function setLanes(repo: string, lane: string, ids: string[]): void {
  for (const id of ids) {
    const path = join(repo, 'kitty-specs', M, 'tasks', `${id}.md`)
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^lane: .*$/m, `lane: ${lane}`))
  }
  git(repo, 'commit', '-q', '-am', `approve ${ids.join(', ')}`)
}

/**
 * The diamond: WP01 ← WP02, WP03 ← WP04. WP02 and WP03 branch off WP01; WP04 branches off WP02 and
 * merges WP03 in (a criss-cross once both are merged into main). WP01 and WP04 both edit shared.txt,
 * in different regions. After the branches were cut, main moves on (README) and the WPs are approved
 * there, as the state branch would see it.
 */
/** `n` empty commits on top of main in one git process (fast-import), as long histories need. */
export function emptyCommits(repo: string, n: number, label = 'history'): void {
  const tip = git(repo, 'rev-parse', 'main')
  // Dated just before the tip, one second apart, oldest first: not all in one second, where every
  // date-ordered walk (git's too, without a commit-graph) degenerates into a breadth-first search.
  const when = Number(git(repo, 'log', '-1', '--format=%ct', 'main')) - n
  const stream = Array.from({ length: n }, (_, i) => {
    const message = `${label} ${i + 1}\n`
    return `commit refs/heads/main\ncommitter Test Author <author@example.com> ${when + i} +0000\ndata ${Buffer.byteLength(message)}\n${message}${i === 0 ? `from ${tip}\n` : ''}\n`
  }).join('')
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: stream })
  git(repo, 'reset', '-q', '--hard', 'main')
}

export function diamondRepo(options: { history?: number } = {}): string {
  const wps: WpFixture[] = [
    { id: 'WP01', lane: 'in_progress' },
    { id: 'WP02', lane: 'in_progress', dependencies: ['WP01'] },
    { id: 'WP03', lane: 'in_progress', dependencies: ['WP01'] },
    { id: 'WP04', lane: 'in_progress', dependencies: ['WP02', 'WP03'] },
  ]
  const repo = makeRepo([
    { meta: { ...defaultMeta(M), mission_number: null }, wps },
    { slug: '041-older', meta: { ...defaultMeta('041-older'), mission_number: 41 } },
  ])
  if (options.history) emptyCommits(repo, options.history)
  commit(repo, 'shared file', { 'shared.txt': SHARED })
  onBranch(repo, branchOf('WP01'), 'main', () => {
    commit(repo, 'WP01: core module', { 'src/core.ts': 'export const core = 1\n' })
    commit(repo, 'WP01: tune shared line 2', {
      'shared.txt': replaceLine(SHARED, 2, 'line 2 (WP01)'),
      'src/core.ts': 'export const core = 2\n',
    })
  })
  onBranch(repo, branchOf('WP02'), branchOf('WP01'), () => {
    commit(repo, 'WP02: module a', { 'src/a.ts': 'export const a = 1\n' })
    commit(repo, 'WP02: module a, second pass', { 'src/a.ts': 'export const a = 2\n' })
  })
  onBranch(repo, branchOf('WP03'), branchOf('WP01'), () => {
    commit(repo, 'WP03: module b', { 'src/b.ts': 'export const b = 1\n' })
  })
  onBranch(repo, branchOf('WP04'), branchOf('WP02'), () => {
    git(repo, 'merge', '-q', '--no-ff', '-m', 'WP04: bring in WP03', branchOf('WP03'))
    commit(repo, 'WP04: tune shared line 10', {
      'shared.txt': replaceLine(replaceLine(SHARED, 2, 'line 2 (WP01)'), 10, 'line 10 (WP04)'),
    })
    commit(repo, 'WP04: module d', { 'src/d.ts': 'export const d = 1\n' })
  })
  commit(repo, 'docs: main moves on', { 'README.md': '# test repo\n\nMore words.\n' })
  setLanes(repo, 'approved', ['WP01', 'WP02', 'WP03', 'WP04'])
  return repo
}
