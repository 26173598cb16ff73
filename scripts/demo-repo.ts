// The demo repository: one mission, two WPs, committed on main. `npm run demo` walks it; the README
// examples test (test/cli/readme-examples.test.ts) runs every command of README.md and docs/*.md against it.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXAMPLE_POLICY } from '../src/core/policy.ts'

export const MISSION = '001-demo-checkout'
export const POLICY = JSON.stringify({ ...EXAMPLE_POLICY, orchestrator_id: 'demo-orchestrator' })

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

/** The demo repository in `repo` (an empty directory; default: a new temporary one). */
export function makeSampleRepo(repo: string = mkdtempSync(join(tmpdir(), 'kitty-demo-'))): string {
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
