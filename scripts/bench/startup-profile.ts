// Where a command's start-up goes: CPU profiles (--cpu-prof) of cold runs of an unminified build, each
// sample counted in the phase of the innermost frame that marks one (BENCHMARKS.md, "Start-up"). Node's
// own start before the profiler begins is not in a profile: that is the `node -e 0` every ratio divides by.
//   node scripts/bench/startup-profile.ts [--runs 8] [--build DIR]
// --build: a folder with bin/ and an unminified dist/ (KITTY_BUILD_NO_MINIFY=1 node scripts/build.mjs
// --outdir DIR/dist); default: this checkout's sources, built unminified into bench/tmp/profile-build.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { prepareRepo, restoreState, SCENARIOS } from './bench-repos.ts'
import { gitEnv } from './git-exec.ts'
import { round } from './stats.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const { values } = parseArgs({ options: { runs: { type: 'string', default: '8' }, build: { type: 'string' } } })
const RUNS = Number(values.runs)
const CORPUS = resolve(ROOT, 'test/fixtures/corpus/spec-kitty-2026-03/kitty-specs')
const MISSION = '023-documentation-sprint-agent-management-cleanup'

/** Phases in the order the table prints them; a sample goes to the first rule its stack matches, leaf first. */
const PHASES = [
  'Node bootstrap, ESM loader, resolution',
  'builtin modules',
  'bundle: read + compile',
  'bundle: evaluate module top levels',
  'config (.github/kitty.yml)',
  'git reads (refs, trees, blobs, index)',
  'git writes (objects, ref, working tree, git update-index)',
  'parse WP files, derive lanes, other engine code',
  'envelope + output',
  'GC',
] as const
type Phase = (typeof PHASES)[number]

interface Frame {
  functionName: string
  url: string
  lineNumber: number
}
interface Node {
  id: number
  callFrame: Frame
  children?: number[]
}

/** The source module of a line of an unminified bundle file (esbuild's `// path` comments). */
const moduleTables = new Map<string, Array<[number, string]>>()
function sourceOf(url: string, line: number): string {
  let marks = moduleTables.get(url)
  if (!marks) {
    marks = []
    const lines = readFileSync(fileURLToPath(url), 'utf8').split('\n')
    lines.forEach((l, i) => {
      const m = /^\/\/ ((?:\.\.\/)*(?:src|node_modules)\/\S+|builtin:\S+)$/.exec(l)
      if (m) marks!.push([i, m[1]!.replace(/^(\.\.\/)+/, '')])
    })
    moduleTables.set(url, marks)
  }
  let found = ''
  for (const [i, name] of marks) {
    if (i > line) break
    found = name
  }
  return found
}

function phaseOfFrame(frame: Frame): Phase | null {
  const { functionName: fn, url } = frame
  if (fn === '(garbage collector)') return 'GC'
  if (url.includes('/dist/')) {
    // A module's top level: esbuild's unminified output runs it as the file's own top-level code.
    if (fn === '' && frame.lineNumber === 0) return 'bundle: evaluate module top levels'
    const source = sourceOf(url, frame.lineNumber)
    if (source === '' || source.startsWith('builtin:')) return null
    if (/^src\/engine\/config\//.test(source)) return 'config (.github/kitty.yml)'
    if (
      /^src\/store\/(objects\/write-|history\/(commit-mutation|update-ref|move-branch)|worktree\/(sync-worktree|index-lock))/.test(
        source,
      )
    )
      return 'git writes (objects, ref, working tree, git update-index)'
    if (/^src\/store\/(objects|history|worktree)\/|^src\/store\/repository\.ts/.test(source))
      return 'git reads (refs, trees, blobs, index)'
    if (/^src\/core\/envelope\.ts|^src\/cli\/index\.ts/.test(source)) return 'envelope + output'
    if (/^(src|node_modules)\//.test(source)) return 'parse WP files, derive lanes, other engine code'
    return null
  }
  if (url === 'node:child_process' || url.startsWith('node:internal/child_process'))
    return 'git writes (objects, ref, working tree, git update-index)'
  // Compiling a module (V8's compile cache on) is native time under these frames; reading it, getSource's.
  if (fn === 'ModuleWrap' || (/^node:internal\/modules\/esm\/(utils|translators)$/.test(url) && /compile/i.test(fn)))
    return 'bundle: read + compile'
  if (url === 'node:internal/modules/esm/load') return 'bundle: read + compile'
  if (fn === 'compileForInternalLoader' || fn === 'requireBuiltin') return 'builtin modules'
  if (/^node:internal\/(modules|url|process\/esm_loader|bootstrap|main)|^node:(path|url)$/.test(url))
    return 'Node bootstrap, ESM loader, resolution'
  return null
}

/** Milliseconds per phase in one profile; samples no rule claims (idle, native startup) are left out. */
function phases(file: string): Map<Phase, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const out = new Map<Phase, number>()
  profile.samples.forEach((sample, i) => {
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const phase = phaseOfFrame(byId.get(id)!.callFrame)
      if (phase) {
        out.set(phase, (out.get(phase) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
        return
      }
    }
  })
  return out
}

function buildUnminified(): string {
  const dir = join(ROOT, 'bench', 'tmp', 'profile-build')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true })
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--outdir', join(dir, 'dist')], {
    cwd: ROOT,
    env: { ...process.env, KITTY_BUILD_NO_MINIFY: '1' },
    stdio: 'inherit',
  })
  if (built.status !== 0) throw new Error('the unminified build failed')
  return dir
}

async function main(): Promise<void> {
  const build = values.build ? resolve(values.build) : buildUnminified()
  const repo = await prepareRepo(join(ROOT, 'bench', 'tmp'), SCENARIOS.find((s) => s.name === 'corpus')!, CORPUS)
  const bin = join(build, 'bin', 'kitty.js')
  const commands: Record<string, string[]> = {
    'contract-version': ['orchestrator-api', 'contract-version'],
    'mission-state 023': ['orchestrator-api', 'mission-state', '--mission', MISSION],
    'append-history 023': ['orchestrator-api', 'append-history', '--mission', MISSION, '--wp', 'WP01', '--actor', 'p'],
  }
  const load = loadavg()[0]!
  const table = new Map<string, Map<Phase, number>>()
  try {
    for (const [name, args] of Object.entries(commands)) {
      const dir = mkdtempSync(join(tmpdir(), 'kitty-profile-'))
      for (let i = 0; i < RUNS; i++) {
        const extra = name.startsWith('append') ? ['--note', `profile ${i}`] : []
        const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, bin, ...args, ...extra], {
          cwd: repo.path,
          env: gitEnv(),
        })
        if (run.status !== 0) throw new Error(`${name}: exit ${run.status}: ${String(run.stdout).slice(0, 300)}`)
      }
      const sum = new Map<Phase, number>()
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')))
        for (const [phase, ms] of phases(join(dir, f))) sum.set(phase, (sum.get(phase) ?? 0) + ms / RUNS)
      table.set(name, sum)
      rmSync(dir, { recursive: true, force: true })
    }
  } finally {
    await restoreState(repo.path, repo.pristine)
  }
  const names = [...table.keys()]
  console.log(`| phase | ${names.join(' | ')} |`)
  console.log(`|---|${names.map(() => '---').join('|')}|`)
  const totals = names.map((n) => [...table.get(n)!.values()].reduce((a, b) => a + b, 0))
  for (const phase of PHASES)
    console.log(
      `| ${phase} | ${names.map((n, i) => `${round(table.get(n)!.get(phase) ?? 0)} (${round((100 * (table.get(n)!.get(phase) ?? 0)) / totals[i]!)}%)`).join(' | ')} |`,
    )
  console.log(`| busy total | ${totals.map((t) => round(t)).join(' | ')} |`)
  console.log(
    `\nms per run in the profile (the mean of ${RUNS} runs); load average ${round(load, 2)} → ${round(loadavg()[0]!, 2)}; build ${build}`,
  )
}

await main()
