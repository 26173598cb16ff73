// The main job, end to end: a sample repository with one mission, two WPs walked from planned to done
// through the real CLI, the mission accepted, and the audit trail read back from git.
import { execFileSync, spawnSync } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeSampleRepo, MISSION, POLICY } from './demo-repo.ts'

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'kitty.js')
const color = process.stdout.isTTY
  ? (code: number, s: string) => `\x1b[${code}m${s}\x1b[0m`
  : (_: number, s: string) => s

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' })
}

function kitty(repo: string, args: string[]): Record<string, unknown> {
  console.log(color(36, `\n$ kitty ${args.map((a) => (/[\s{"]/.test(a) ? `'${a}'` : a)).join(' ')}`))
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: repo, encoding: 'utf8' })
  const envelope = JSON.parse(run.stdout) as Record<string, unknown>
  console.log(JSON.stringify(envelope, null, 2))
  if (!envelope['success']) throw new Error(`demo step failed (exit ${run.status})`)
  return envelope
}

const api = (repo: string, command: string, flags: Record<string, string | true>) =>
  kitty(repo, [
    'orchestrator-api',
    command,
    ...Object.entries(flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, v])),
  ])

function walkToDone(repo: string, id: string, subtasks: string[]): void {
  const agent = `agent-${id.toLowerCase()}`
  api(repo, 'start-implementation', { mission: MISSION, wp: id, actor: agent, policy: POLICY })
  api(repo, 'append-history', { mission: MISSION, wp: id, actor: agent, note: `Implemented ${id}; tests pass` })
  kitty(repo, ['agent', 'tasks', 'mark-status', ...subtasks, '--status', 'done', '--mission', MISSION])
  api(repo, 'transition', { mission: MISSION, wp: id, to: 'for_review', actor: agent, policy: POLICY })
  api(repo, 'start-review', {
    mission: MISSION,
    wp: id,
    actor: 'reviewer-rita',
    policy: POLICY,
    'review-ref': `https://github.com/acme/shop/pull/${id.slice(2)}`,
  })
  const review = {
    reviewer: 'reviewer-rita',
    verdict: 'approved',
    reference: `https://github.com/acme/shop/pull/${id.slice(2)}`,
  }
  api(repo, 'transition', {
    mission: MISSION,
    wp: id,
    to: 'done',
    actor: 'reviewer-rita',
    'review-result-json': JSON.stringify(review),
  })
}

const repo = makeSampleRepo()
console.log(color(1, `Sample repository: ${repo}`))
api(repo, 'contract-version', {})
api(repo, 'list-ready', { mission: MISSION })
walkToDone(repo, 'WP01', ['T001', 'T002'])
api(repo, 'list-ready', { mission: MISSION })
walkToDone(repo, 'WP02', ['T003'])
api(repo, 'accept-mission', { mission: MISSION, actor: 'maintainer' })
api(repo, 'mission-state', { mission: MISSION })

console.log(color(1, '\n$ git log --format=%h %s + Kitty trailers   (the audit trail)'))
console.log(
  git(
    repo,
    'log',
    '--format=%h %s%n%(trailers:key=Kitty-Actor,key=Kitty-From,key=Kitty-To,key=Kitty-Review-Ref,separator=%x20|%x20)%n',
  ),
)
console.log(
  color(
    1,
    `git fsck: ${git(repo, 'fsck', '--strict').trim() || 'clean'}; working tree: ${git(repo, 'status', '--porcelain').trim() || 'clean'}`,
  ),
)
