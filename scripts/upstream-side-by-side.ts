// Issue 21: drive kitty and upstream spec-kitty through the same WP lifecycles on one repository and
// print, after every step, whether the two tools read the same lanes and the same ready list.
//
//   npm run build && SPEC_KITTY=/path/to/venv/bin/spec-kitty node scripts/upstream-side-by-side.ts
//
// Upstream is found as $SPEC_KITTY, else `spec-kitty` on PATH (install recipe:
// docs/upstream-interop.md). Without it the script says so and exits 0: nothing to compare against.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const KITTY = resolve(process.env['KITTY_CLI'] ?? join(ROOT, 'dist', 'cli.js'))
const UPSTREAM = process.env['SPEC_KITTY'] ?? 'spec-kitty'
const M = '900-interop-readiness'
const POLICY = JSON.stringify({
  orchestrator_id: 'interop',
  orchestrator_version: '0.1',
  agent_family: 'claude',
  approval_mode: 'full_auto',
  sandbox_mode: 'workspace_write',
  network_mode: 'none',
  dangerous_flags: [],
})
const REVIEW = JSON.stringify({ reviewer: 'rev-bot', verdict: 'approved', reference: 'review-1' })
const EVIDENCE = JSON.stringify({ review: JSON.parse(REVIEW) })

type Envelope = { success?: boolean; data?: Record<string, unknown>; error_code?: string }
type Tool = 'kitty' | 'upstream'

const home = mkdtempSync(join(tmpdir(), 'upstream-home-'))

function run(tool: Tool, repo: string, args: string[]): Envelope {
  const [cmd, argv] = tool === 'kitty' ? [process.execPath, [KITTY, ...args]] : [UPSTREAM, args]
  const out = spawnSync(cmd, argv, { cwd: repo, encoding: 'utf8', env: { ...process.env, HOME: home } })
  try {
    return JSON.parse(out.stdout) as Envelope
  } catch {
    return { success: false, error_code: `exit ${out.status}: ${(out.stderr || out.stdout).trim().split('\n').at(-1)}` }
  }
}

function upstreamAvailable(): string | null {
  const probe = spawnSync(UPSTREAM, ['--version'], { encoding: 'utf8', env: { ...process.env, HOME: home } })
  return probe.status === 0 ? probe.stdout.trim() : null
}

const git = (repo: string, ...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim()

function wpFile(id: string, deps: string[], task: string): string {
  return `---\nwork_package_id: ${id}\ntitle: Interop ${id}\nlane: planned\ndependencies: [${deps.join(', ')}]\nsubtasks: [${task}]\nhistory: []\n---\n\n# ${id}\n`
}

/** Mission 900 of the study: WP02 ← WP01, WP03 ← WP02, seeded as finalize-tasks does, committed. */
function makeRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'upstream-interop-'))
  git(repo, 'init', '-q', '-b', 'main')
  git(repo, 'config', 'user.name', 'interop')
  git(repo, 'config', 'user.email', 'interop@example.com')
  const dir = join(repo, 'kitty-specs', M)
  mkdirSync(join(dir, 'tasks'), { recursive: true })
  const meta = { mission_number: '900', mission_slug: M, slug: M, mission_type: 'software-dev', target_branch: 'main' }
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`)
  const rows = ['WP01', 'WP02', 'WP03'].map((id, i) => `## ${id}: Interop ${id}\n- [ ] T00${i + 1} work\n`)
  writeFileSync(join(dir, 'tasks.md'), `# Tasks\n\n${rows.join('\n')}`)
  writeFileSync(join(dir, 'tasks', 'WP01.md'), wpFile('WP01', [], 'T001'))
  writeFileSync(join(dir, 'tasks', 'WP02.md'), wpFile('WP02', ['WP01'], 'T002'))
  writeFileSync(join(dir, 'tasks', 'WP03.md'), wpFile('WP03', ['WP02'], 'T003'))
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'mission 900')
  const seeded = run('kitty', repo, ['migrate', '--mission', M, '--to', 'events'])
  if (!seeded.success) throw new Error(`seeding failed: ${JSON.stringify(seeded)}`)
  return repo
}

/** One lifecycle step, as each tool spells it. */
const STEPS: Array<{ name: string; args: (tool: Tool) => string[][] }> = [
  {
    name: 'start',
    args: () => [
      [
        'orchestrator-api',
        'start-implementation',
        '--mission',
        M,
        '--wp',
        'WP01',
        '--actor',
        'impl',
        '--policy',
        POLICY,
      ],
    ],
  },
  {
    name: 'mark T001 + for_review',
    args: (tool) => [
      ['agent', 'tasks', 'mark-status', 'T001', '--status', 'done', '--mission', M],
      [
        'orchestrator-api',
        'transition',
        '--mission',
        M,
        '--wp',
        'WP01',
        '--to',
        'for_review',
        '--actor',
        'impl',
        '--policy',
        POLICY,
        ...(tool === 'upstream' ? ['--subtasks-complete', '--implementation-evidence-present'] : []),
      ],
    ],
  },
  {
    name: 'start-review',
    args: () => [
      [
        'orchestrator-api',
        'start-review',
        '--mission',
        M,
        '--wp',
        'WP01',
        '--actor',
        'rev',
        '--policy',
        POLICY,
        '--review-ref',
        'PR-1',
      ],
    ],
  },
  {
    name: 'approved',
    args: () => [
      [
        'orchestrator-api',
        'transition',
        '--mission',
        M,
        '--wp',
        'WP01',
        '--to',
        'approved',
        '--actor',
        'rev',
        '--policy',
        POLICY,
        '--review-result-json',
        REVIEW,
        '--evidence-json',
        EVIDENCE,
      ],
    ],
  },
  {
    name: 'done',
    args: () => [
      [
        'orchestrator-api',
        'transition',
        '--mission',
        M,
        '--wp',
        'WP01',
        '--to',
        'done',
        '--actor',
        'rev',
        '--policy',
        POLICY,
        '--review-result-json',
        REVIEW,
        '--evidence-json',
        EVIDENCE,
      ],
    ],
  },
]

/** Both tools' lanes and ready list, and (kitty) any warning a read gives. */
function readBoth(repo: string): { ours: string; theirs: string; agree: boolean } {
  const view = (tool: Tool) => {
    const state = run(tool, repo, ['orchestrator-api', 'mission-state', '--mission', M])
    const ready = run(tool, repo, ['orchestrator-api', 'list-ready', '--mission', M])
    if (!state.success || !ready.success) return `error ${state.error_code ?? ready.error_code}`
    const wps = (state.data?.['work_packages'] as Array<{ wp_id: string; lane: string }>).map(
      (w) => `${w.wp_id} ${w.lane}`,
    )
    const ids = (ready.data?.['ready_work_packages'] as Array<{ wp_id: string }>).map((w) => w.wp_id)
    return `${wps.join(', ')}; ready [${ids.join(', ')}]`
  }
  const ours = view('kitty')
  const theirs = view('upstream')
  return { ours, theirs, agree: ours === theirs }
}

/** A scenario: which tool drives each step; upstream's writes are committed after it as a person would. */
function scenario(name: string, drivers: Tool[], rows: string[]): void {
  const repo = makeRepo()
  try {
    STEPS.forEach((step, i) => {
      const tool = drivers[i % drivers.length]!
      const failed = step
        .args(tool)
        .map((args) => run(tool, repo, args))
        .find((e) => !e.success)
      if (tool === 'upstream' && git(repo, 'status', '--porcelain') !== '') {
        git(repo, 'add', '-A')
        git(repo, 'commit', '-qm', `upstream: ${step.name}`)
      }
      const { ours, theirs, agree } = readBoth(repo)
      const note = failed ? ` (${tool} refused: ${failed.error_code})` : ''
      rows.push(
        `| ${name} | ${i + 1}. ${tool} ${step.name}${note} | ${ours} | ${theirs} | ${agree ? 'yes' : '**no**'} |`,
      )
    })
  } finally {
    rmSync(repo, { recursive: true, force: true })
  }
}

function main(): void {
  const version = upstreamAvailable()
  if (version === null) {
    console.log(
      `upstream spec-kitty not found (${UPSTREAM}); set SPEC_KITTY to its binary (install recipe in docs/upstream-interop.md). Skipped: nothing to compare against.`,
    )
    return
  }
  const rows = ['| scenario | step | kitty | upstream | agree? |', '|---|---|---|---|---|']
  scenario('S1 kitty drives', ['kitty'], rows)
  scenario('S2 upstream drives', ['upstream'], rows)
  scenario('S3a alternating, upstream first', ['upstream', 'kitty'], rows)
  scenario('S3b alternating, kitty first', ['kitty', 'upstream'], rows)
  console.log(`upstream: ${version}; kitty: ${KITTY}\n`)
  console.log(rows.join('\n'))
  const disagree = rows.filter((r) => r.endsWith('**no** |')).length
  console.log(`\n${rows.length - 2 - disagree} agree, ${disagree} disagree`)
  process.exitCode = disagree === 0 ? 0 : 1
}

try {
  main()
} finally {
  rmSync(home, { recursive: true, force: true })
}
