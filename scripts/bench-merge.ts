// merge-mission on a 20-WP mission whose WPs form a dependency chain (WP02 → WP01 … WP20 → WP19), each WP
// branch cut from the previous one with two commits of its own. Every run gets a fresh copy of the same
// repository; prints the median wall time of the CLI call per strategy, and git's own `merge --no-ff` of
// the same branches for scale (docs/design.md#quality-bars: merge-mission of a 20-WP mission ≤ 2 s).
//   npm run bench:merge [-- <runs>]
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'kitty.js')
const MISSION = '020-chain'
const WPS = 20
const RUNS = Number(process.argv[2] ?? 11)
const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
}

const git = (repo: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd: repo, env: ENV, encoding: 'utf8' }).trim()
const id = (n: number) => `WP${String(n).padStart(2, '0')}`

function wpFile(n: number): string {
  const deps = n === 1 ? '[]' : `[${id(n - 1)}]`
  return [
    '---',
    `work_package_id: ${id(n)}`,
    `title: Step ${n}`,
    'lane: approved',
    `dependencies: ${deps}`,
    'history: []',
    '---',
    '',
    `# ${id(n)}`,
    '',
  ].join('\n')
}

function write(repo: string, path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true })
  writeFileSync(join(repo, path), text)
}

function makeTemplate(): string {
  const repo = mkdtempSync(join(tmpdir(), 'kitty-bench-merge-'))
  git(repo, 'init', '-q', '-b', 'main')
  const meta = {
    mission_number: null,
    slug: MISSION,
    mission_slug: MISSION,
    mission_type: 'software-dev',
    target_branch: 'main',
  }
  write(repo, `kitty-specs/${MISSION}/meta.json`, `${JSON.stringify(meta, null, 2)}\n`)
  for (let n = 1; n <= WPS; n++) write(repo, `kitty-specs/${MISSION}/tasks/${id(n)}.md`, wpFile(n))
  write(repo, 'CHANGELOG.md', Array.from({ length: WPS * 3 }, (_, i) => `entry ${i}\n`).join(''))
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '-m', 'mission planned')
  let from = 'main'
  for (let n = 1; n <= WPS; n++) {
    const branch = `${MISSION}-${id(n)}`
    git(repo, 'checkout', '-q', '-b', branch, from)
    write(repo, `src/step${n}.ts`, `export const step${n} = ${n}\n`)
    git(repo, 'add', '-A')
    git(repo, 'commit', '-q', '-m', `${id(n)}: add step ${n}`)
    const log = readFileSync(join(repo, 'CHANGELOG.md'), 'utf8').replace(
      `entry ${n * 3 - 1}\n`,
      `entry ${n * 3 - 1} (${id(n)})\n`,
    )
    write(repo, 'CHANGELOG.md', log)
    git(repo, 'commit', '-q', '-am', `${id(n)}: changelog`)
    from = branch
  }
  git(repo, 'checkout', '-q', 'main')
  write(repo, 'README.md', '# bench\n')
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '-m', 'main moves on')
  return repo
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

const template = makeTemplate()
const scratch = mkdtempSync(join(tmpdir(), 'kitty-bench-runs-'))
const copy = (i: number, tag: string): string => {
  const dir = join(scratch, `${tag}-${i}`)
  cpSync(template, dir, { recursive: true })
  return dir
}

const rows: Array<[string, number[]]> = []
for (const strategy of ['merge', 'squash', 'rebase']) {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const repo = copy(i, strategy)
    let out = ''
    times.push(
      timed(() => {
        out = spawnSync(
          process.execPath,
          [CLI, 'orchestrator-api', 'merge-mission', '--mission', MISSION, '--strategy', strategy],
          { cwd: repo, env: ENV, encoding: 'utf8' },
        ).stdout
      }),
    )
    const envelope = JSON.parse(out)
    if (!envelope.success || envelope.data.merged_wps.length !== WPS) throw new Error(`run failed: ${out}`)
  }
  rows.push([`kitty merge-mission --strategy ${strategy}`, times])
}
const gitTimes: number[] = []
for (let i = 0; i < RUNS; i++) {
  const repo = copy(i, 'git')
  gitTimes.push(
    timed(() => {
      for (let n = 1; n <= WPS; n++) git(repo, 'merge', '-q', '--no-ff', '-m', `merge ${id(n)}`, `${MISSION}-${id(n)}`)
    }),
  )
}
rows.push([`git merge --no-ff × ${WPS} (reference)`, gitTimes])

console.log(
  `merge-mission, ${WPS} WPs in a dependency chain, 2 commits each; ${RUNS} runs on fresh copies (node ${process.version})`,
)
for (const [name, times] of rows) {
  console.log(
    `${name.padEnd(44)} median ${median(times).toFixed(0).padStart(5)} ms   min ${Math.min(...times)
      .toFixed(0)
      .padStart(5)}   max ${Math.max(...times)
      .toFixed(0)
      .padStart(5)}`,
  )
}
rmSync(scratch, { recursive: true, force: true })
rmSync(template, { recursive: true, force: true })
