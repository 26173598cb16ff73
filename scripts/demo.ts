// The main job, end to end: a sample repository with one mission, two WPs walked from planned to done
// through the real CLI, the mission accepted, and the audit trail read back from git.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'kitty.js')
const MISSION = '001-demo-checkout'
const POLICY = JSON.stringify({
  orchestrator_id: 'demo-orchestrator',
  orchestrator_version: '0.1.0',
  agent_family: 'claude',
  approval_mode: 'supervised',
  sandbox_mode: 'sandbox',
  network_mode: 'restricted',
  dangerous_flags: [],
})
const color = process.stdout.isTTY ? (code: number, s: string) => `\x1b[${code}m${s}\x1b[0m` : (_: number, s: string) => s

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' })
}

function wp(id: string, title: string, deps: string[], subtasks: string[]): string {
  return [
    '---',
    `work_package_id: ${id}`,
    `title: ${title}`,
    'lane: "planned"',
    `dependencies: [${deps.join(', ')}]`,
    'subtasks:',
    ...subtasks.map((t) => `- ${t}`),
    "assignee: ''",
    'history:',
    "- timestamp: '2026-11-01T09:00:00Z'",
    '  lane: planned',
    '  agent: system',
    "  shell_pid: ''",
    '  action: Prompt generated via /spec-kitty.tasks',
    '---',
    '',
    `# ${id}: ${title}`,
    '',
    '## Activity Log',
    '',
    '- 2026-11-01T09:00:00Z – system – lane=planned – Prompt created.',
    '',
  ].join('\n')
}

function makeSampleRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'kitty-demo-'))
  git(repo, 'init', '-q', '-b', 'main')
  git(repo, 'config', 'user.name', 'Demo Maintainer')
  git(repo, 'config', 'user.email', 'maintainer@example.com')
  const dir = join(repo, 'kitty-specs', MISSION)
  mkdirSync(join(dir, 'tasks'), { recursive: true })
  writeFileSync(
    join(dir, 'meta.json'),
    `${JSON.stringify({ mission_id: '01KDEMQ7Z3N5X8V2R4T6Y9B0CD', mission_number: null, mission_slug: MISSION, slug: MISSION, friendly_name: 'Demo checkout', mission_type: 'software-dev', target_branch: 'main', created_at: '2026-11-01T09:00:00+00:00' }, null, 2)}\n`,
  )
  writeFileSync(join(dir, 'tasks', 'WP01-cart-model.md'), wp('WP01', 'Cart model', [], ['T001', 'T002']))
  writeFileSync(join(dir, 'tasks', 'WP02-checkout-api.md'), wp('WP02', 'Checkout API', ['WP01'], ['T003']))
  writeFileSync(
    join(dir, 'tasks.md'),
    '# Work Packages\n\n## Work Package WP01: Cart model\n\n- [ ] T001 Cart entity\n- [ ] T002 Cart tests\n\n## Work Package WP02: Checkout API\n\n- [ ] T003 POST /checkout\n',
  )
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '-m', 'Plan mission 001-demo-checkout')
  return repo
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
  kitty(repo, ['orchestrator-api', command, ...Object.entries(flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, v]))])

function walkToDone(repo: string, id: string, subtasks: string[]): void {
  const agent = `agent-${id.toLowerCase()}`
  api(repo, 'start-implementation', { mission: MISSION, wp: id, actor: agent, policy: POLICY })
  api(repo, 'append-history', { mission: MISSION, wp: id, actor: agent, note: `Implemented ${id}; tests pass` })
  kitty(repo, ['agent', 'tasks', 'mark-status', ...subtasks, '--status', 'done', '--mission', MISSION])
  api(repo, 'transition', { mission: MISSION, wp: id, to: 'for_review', actor: agent, policy: POLICY })
  api(repo, 'start-review', { mission: MISSION, wp: id, actor: 'reviewer-rita', policy: POLICY, 'review-ref': `https://github.com/acme/shop/pull/${id.slice(2)}` })
  const review = { reviewer: 'reviewer-rita', verdict: 'approved', reference: `https://github.com/acme/shop/pull/${id.slice(2)}` }
  api(repo, 'transition', { mission: MISSION, wp: id, to: 'done', actor: 'reviewer-rita', 'review-result-json': JSON.stringify(review) })
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
console.log(git(repo, 'log', '--format=%h %s%n%(trailers:key=Kitty-Actor,key=Kitty-From,key=Kitty-To,key=Kitty-Review-Ref,separator=%x20|%x20)%n'))
console.log(color(1, `git fsck: ${git(repo, 'fsck', '--strict').trim() || 'clean'}; working tree: ${git(repo, 'status', '--porcelain').trim() || 'clean'}`))
