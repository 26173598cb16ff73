import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import type { BenchRepo } from './bench-repos.ts'
import { dropWorktrees, pruneLeftovers, resetTo } from './bench-repos.ts'
import { coldRun, failureOf } from './cold-run.ts'
import { FastImport } from './fast-import.ts'
import type { StreamCommit } from './fast-import.ts'
import { catFileBatch, runWithInput } from './git-baseline.ts'
import { git } from './git-exec.ts'
import type { Rng } from './random.ts'
import { createRng } from './random.ts'
import type { MissionModel, WpModel } from './synthetic-model.ts'
import { advance, isoSeconds, kebab, makeMission, pad } from './synthetic-model.ts'
import { renderMeta, renderSpec, renderTasksMd, renderWp } from './synthetic-render.ts'
import { AGENTS, ASPECTS, SENTENCES, SUBJECTS, VERBS } from './vocabulary.ts'

/**
 * The merge-mission fixture of a scenario: a copy of the scenario's repository (a `git clone --local`,
 * so the objects are hard links) with one more mission of 20 WPs on top of its pristine tip, worked the
 * way the orchestrator works one:
 *
 * - a commit adds the mission (generator-rendered spec, tasks.md, meta.json and WP files, dependency
 *   chains and diamonds as the generator makes them) and the mission's code package, whose
 *   `registry.py` has one block per WP;
 * - agents claim WPs whose dependencies are approved (at most three in flight): each claim is a commit
 *   on main and the WP branch `<mission_slug>-<WP>` is cut from it, as start-implementation does;
 * - each branch gets one or two commits of its own (a module and its test; then either more of the
 *   module or, for every third WP, an edit of that WP's block in the shared `registry.py`);
 * - main records for_review and approved for each WP, and meanwhile other missions' WP files get
 *   Activity Log notes, so main moves on between the branch cuts.
 *
 * At the end every WP is approved, no branch is merged, and there are no worktrees. The copy is cached
 * next to the scenario's repository, keyed by its pristine tip and MERGE_FIXTURE_VERSION.
 */

/** Bump when the fixture's bytes change, so cached fixtures are rebuilt. */
export const MERGE_FIXTURE_VERSION = 1

const WPS = 20
const PARALLEL = 3
const SEED = 0x6d657267
const STEP_SEC = 900
const PKG = 'bench_merge'
const REGISTRY = `src/${PKG}/registry.py`
const NOISE_POOL = 8
const WP_FILE = /\/tasks\/(?:[^/]+\/)?WP\d+[^/]*\.md$/
const MAIN = 'refs/heads/main'

export interface FixtureStats {
  mainCommits: number
  branchCommits: number
  noiseCommits: number
  /** WPs whose branch edits the shared registry.py (each its own block). */
  sharedEditors: string[]
}

export interface MergeFixture {
  path: string
  mission: string
  /** main before the merge: every timed run starts here. */
  preMerge: string
  /** WP branch (short name) → its tip. */
  branches: Record<string, string>
  /** WP id → its file, and the mission's meta.json: the files the state commit rewrites. */
  wpPaths: Record<string, string>
  metaPath: string
  stats: FixtureStats
  /** Wall time of building the fixture in this run; null when the cache was reused. */
  buildMs: number | null
  /** The merge order merge-mission's dry run reported (topological, ties by WP id). */
  order: string[]
}

type Marker = Omit<MergeFixture, 'path' | 'buildMs' | 'order'> & { key: string; buildMs: number }

function person(name: string): StreamCommit['author'] {
  return { name, email: `${name.toLowerCase().replace(/\s+/g, '.')}@example.com` }
}

function indexOf(wp: WpModel): number {
  return Number(wp.id.slice(2))
}

function ident(text: string): string {
  return kebab(text).replace(/-/g, '_')
}

function registryText(edited: Set<number>): string {
  const lines = [
    `"""Handlers of the ${PKG} package, one block per work package."""`,
    '',
    'from __future__ import annotations',
    '',
  ]
  for (let n = 1; n <= WPS; n++) {
    const id = `WP${pad(n, 2)}`
    lines.push(`# --- ${id} ---`)
    lines.push(
      edited.has(n) ? `${id}_HANDLERS: list[str] = ["${id.toLowerCase()}_handler"]` : `${id}_HANDLERS: list[str] = []`,
    )
    lines.push(`${id}_ENABLED = ${edited.has(n) ? 'True' : 'False'}`)
    lines.push(`# end of ${id}`)
    lines.push('')
  }
  return lines.join('\n')
}

function moduleText(wp: WpModel, rng: Rng): string {
  const cls = wp.title.replace(/[^A-Za-z0-9]/g, '')
  const lines = [
    `"""${wp.id} – ${wp.title}.`,
    '',
    rng.pick(SENTENCES),
    '"""',
    '',
    'from __future__ import annotations',
    '',
    'from dataclasses import dataclass',
    '',
    '',
  ]
  lines.push('@dataclass(frozen=True)', `class ${cls}Result:`, '    ok: bool', '    detail: str', '', '')
  for (const t of wp.subtasks) {
    lines.push(`def ${ident(t.title)}_${t.id.toLowerCase()}(value: str) -> ${cls}Result:`)
    lines.push(`    """${t.title}."""`)
    lines.push('    if not value:')
    lines.push(`        return ${cls}Result(False, "${t.id}: empty input")`)
    lines.push(`    return ${cls}Result(True, value.strip())`, '', '')
  }
  return `${lines.join('\n').trimEnd()}\n`
}

function moduleFollowUp(text: string, wp: WpModel, rng: Rng): string {
  const fn = `${ident(rng.pick(VERBS))}_${ident(rng.pick(ASPECTS))}`
  return `${text}\n\ndef ${fn}(values: list[str]) -> list[str]:\n    """${rng.pick(SENTENCES)}"""\n    return [v for v in values if v]  # ${wp.id}\n`
}

function testText(wp: WpModel, module: string): string {
  const first = wp.subtasks[0]!
  const fn = `${ident(first.title)}_${first.id.toLowerCase()}`
  return [
    `from ${PKG}.${module} import ${fn}`,
    '',
    '',
    `def test_${fn}_rejects_empty_input() -> None:`,
    `    assert not ${fn}("").ok`,
    '',
    '',
    `def test_${fn}_strips() -> None:`,
    `    assert ${fn}(" x ").detail == "x"`,
    '',
  ].join('\n')
}

class FixtureWriter {
  readonly stats: FixtureStats = { mainCommits: 0, branchCommits: 0, noiseCommits: 0, sharedEditors: [] }
  private readonly rng = createRng(SEED)
  private readonly claims = new Map<string, number>()
  private readonly modules = new Map<string, string>()
  private readonly fi: FastImport
  private readonly m: MissionModel
  private readonly pristine: string
  /** Other missions' WP files (path → text) that get Activity Log notes meanwhile. */
  private readonly noise: Map<string, string>
  private marks = 0
  private clock: number

  constructor(fi: FastImport, m: MissionModel, pristine: string, startSec: number, noise: Map<string, string>) {
    this.fi = fi
    this.m = m
    this.pristine = pristine
    this.noise = noise
    this.clock = startSec
  }

  private tick(): number {
    this.clock += this.rng.int(STEP_SEC / 3, STEP_SEC)
    return this.clock
  }

  branchOf(wp: WpModel): string {
    return `${this.m.slug}-${wp.id}`
  }

  wpPath(wp: WpModel): string {
    return `kitty-specs/${this.m.slug}/tasks/${wp.fileName}`
  }

  private async onMain(who: string, timeSec: number, message: string, files: Array<[string, string]>): Promise<number> {
    const mark = ++this.marks
    const commit: StreamCommit = { ref: MAIN, mark, author: person(who), timeSec, message, files }
    if (this.stats.mainCommits === 0) commit.from = this.pristine
    await this.fi.commit(commit)
    this.stats.mainCommits++
    return mark
  }

  private async onBranch(wp: WpModel, message: string, files: Array<[string, string]>): Promise<void> {
    const commit: StreamCommit = {
      ref: `refs/heads/${this.branchOf(wp)}`,
      author: person(wp.agent),
      timeSec: this.tick(),
      message,
      files,
    }
    // The first commit of a branch starts at the claim commit; later ones continue the branch.
    if (!this.modules.has(wp.id)) commit.from = `:${this.claims.get(wp.id)!}`
    await this.fi.commit(commit)
    this.stats.branchCommits++
  }

  private laneFiles(wp: WpModel): Array<[string, string]> {
    const files: Array<[string, string]> = [[this.wpPath(wp), renderWp(this.m, wp)]]
    // As in the generator: subtask checkboxes follow the lane past in_progress.
    if (wp.lane !== 'planned' && wp.lane !== 'in_progress')
      files.push([`kitty-specs/${this.m.slug}/tasks.md`, renderTasksMd(this.m)])
    return files
  }

  private async move(wp: WpModel, who: () => string): Promise<number> {
    const t = this.tick()
    const from = wp.lane
    advance(wp, this.rng, isoSeconds(t * 1000))
    return this.onMain(who(), t, `chore(${this.m.slug}): move ${wp.id} from ${from} to ${wp.lane}`, this.laneFiles(wp))
  }

  private async create(): Promise<void> {
    const files: Array<[string, string]> = [
      [`kitty-specs/${this.m.slug}/meta.json`, renderMeta(this.m)],
      [`kitty-specs/${this.m.slug}/spec.md`, renderSpec(this.m)],
      [`kitty-specs/${this.m.slug}/tasks.md`, renderTasksMd(this.m)],
      ...this.m.wps.map((wp): [string, string] => [this.wpPath(wp), renderWp(this.m, wp)]),
      [`src/${PKG}/__init__.py`, `"""${this.m.friendlyName}."""\n`],
      [REGISTRY, registryText(new Set())],
    ]
    await this.onMain(
      'Robert Douglass',
      this.tick(),
      `Add mission ${this.m.slug}: spec, tasks and package skeleton`,
      files,
    )
  }

  private async claim(wp: WpModel): Promise<void> {
    this.claims.set(wp.id, await this.move(wp, () => wp.agent || this.rng.pick(AGENTS)))
  }

  /** The WP's own work on its branch: a module and its test, then more of it or its registry block. */
  private async implement(wp: WpModel): Promise<void> {
    const n = indexOf(wp)
    const name = `wp${pad(n, 2)}_${ident(wp.title)}`.slice(0, 48)
    const modulePath = `src/${PKG}/${name}.py`
    const text = moduleText(wp, this.rng)
    await this.onBranch(wp, `feat(${wp.id}): ${wp.title.toLowerCase()}`, [
      [modulePath, text],
      [`tests/${PKG}/test_${name}.py`, testText(wp, name)],
    ])
    this.modules.set(wp.id, modulePath)
    if (n % 3 === 0) {
      this.stats.sharedEditors.push(wp.id)
      await this.onBranch(wp, `feat(${wp.id}): register the ${wp.id} handlers`, [
        [REGISTRY, registryText(new Set([n]))],
      ])
    } else if (this.rng.chance(0.5)) {
      await this.onBranch(wp, `refactor(${wp.id}): ${this.rng.pick(VERBS)} ${this.rng.pick(SUBJECTS)} helpers`, [
        [modulePath, moduleFollowUp(text, wp, this.rng)],
      ])
    }
  }

  private async noiseCommit(): Promise<void> {
    const paths = [...this.noise.keys()]
    const path = this.rng.pick(paths)
    const t = this.tick()
    const who = this.rng.pick(AGENTS)
    const text = this.noise.get(path)!
    const lane = /^lane:\s*["']?([a-z_]+)/m.exec(text)?.[1] ?? 'planned'
    const note = `- ${isoSeconds(t * 1000)} – ${who} – lane=${lane} – Note: ${this.rng.pick(VERBS)} ${this.rng.pick(SUBJECTS)} ${this.rng.pick(ASPECTS)}.`
    const next = `${text.trimEnd()}\n${note}\n`
    this.noise.set(path, next)
    await this.onMain(who, t, `docs(${path.split('/')[1]}): activity notes`, [[path, next]])
    this.stats.noiseCommits++
  }

  async run(): Promise<void> {
    await this.create()
    const byId = new Map(this.m.wps.map((wp) => [wp.id, wp]))
    while (this.m.wps.some((wp) => wp.lane !== 'approved')) {
      if (this.noise.size > 0 && this.rng.chance(0.25)) await this.noiseCommit()
      const ready = this.m.wps.filter(
        (wp) => wp.lane === 'planned' && wp.deps.every((d) => byId.get(d)!.lane === 'approved'),
      )
      const inFlight = this.m.wps.filter((wp) => wp.lane === 'in_progress' || wp.lane === 'for_review')
      if (ready.length > 0 && inFlight.length < PARALLEL && (inFlight.length === 0 || this.rng.chance(0.5))) {
        await this.claim(this.rng.pick(ready))
        continue
      }
      const wp = this.rng.pick(inFlight)
      if (wp.lane === 'in_progress') {
        await this.implement(wp)
        await this.move(wp, () => wp.agent)
      } else {
        await this.move(wp, () => wp.reviewedBy || 'Ada Reviewer')
      }
    }
  }
}

function fixtureNumber(repo: BenchRepo): number {
  // The corpus copy gets 999-bench-merge; a synthetic repository its next mission number.
  if (!repo.scenario.generator) return 999
  return Math.max(0, ...repo.missions.map((m) => Number.parseInt(m, 10)).filter(Number.isFinite)) + 1
}

function fixtureMission(number: number, createdMs: number): MissionModel {
  const m = makeMission(number, createdMs, { wpsPerMission: WPS, doneFraction: 0, ulidFraction: 1, seed: SEED })
  m.slug = `${pad(number, 3)}-bench-merge`
  m.friendlyName = 'Bench Merge'
  for (const wp of m.wps) wp.target = 'approved'
  return m
}

async function noiseFiles(repo: string, pristine: string, rng: Rng): Promise<Map<string, string>> {
  const all = (await git(repo, ['ls-tree', '-r', '--name-only', pristine, '--', 'kitty-specs']))
    .split('\n')
    .filter((p) => WP_FILE.test(p))
  const picked = new Set<string>()
  for (let i = 0; i < NOISE_POOL * 4 && picked.size < Math.min(NOISE_POOL, all.length); i++) picked.add(rng.pick(all))
  const objects = await catFileBatch(
    repo,
    [...picked].map((p) => `${pristine}:${p}`),
  )
  return new Map([...picked].map((p) => [p, objects.get(`${pristine}:${p}`)!.content.toString('utf8')]))
}

async function build(repo: BenchRepo, path: string, key: string): Promise<Marker> {
  const started = performance.now()
  await git(repo.path, ['clone', '--quiet', '--local', '--no-checkout', repo.path, path])
  await git(path, ['remote', 'remove', 'origin'])
  const startSec = Number(await git(path, ['log', '-1', '--format=%ct', repo.pristine]))
  const m = fixtureMission(fixtureNumber(repo), startSec * 1000)
  const noise = await noiseFiles(path, repo.pristine, createRng(SEED + 1))
  const fi = new FastImport(path)
  const writer = new FixtureWriter(fi, m, repo.pristine, startSec, noise)
  try {
    await writer.run()
  } finally {
    await fi.finish()
  }
  await git(path, ['reset', '--hard', '-q', 'main'])
  const preMerge = await git(path, ['rev-parse', MAIN])
  const branches: Record<string, string> = {}
  for (const wp of m.wps)
    branches[writer.branchOf(wp)] = await git(path, ['rev-parse', `refs/heads/${writer.branchOf(wp)}`])
  return {
    key,
    mission: m.slug,
    preMerge,
    branches,
    wpPaths: Object.fromEntries(m.wps.map((wp) => [wp.id, writer.wpPath(wp)])),
    metaPath: `kitty-specs/${m.slug}/meta.json`,
    stats: writer.stats,
    buildMs: performance.now() - started,
  }
}

/** main, index and working tree at the pre-merge tip, no worktrees, the WP branches as built. */
export async function restoreFixture(f: MergeFixture): Promise<void> {
  await dropWorktrees(f.path)
  const current = new Map(
    (await git(f.path, ['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads/']))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(' ') as [string, string]),
  )
  const updates: string[] = []
  for (const [branch, oid] of current)
    if (branch !== 'main' && !(branch in f.branches)) updates.push(`delete refs/heads/${branch} ${oid}\n`)
  for (const [branch, oid] of Object.entries(f.branches))
    if (current.get(branch) !== oid) updates.push(`update refs/heads/${branch} ${oid}\n`)
  if (updates.length > 0) await runWithInput(f.path, ['update-ref', '--stdin'], updates.join(''))
  await resetTo(f.path, f.preMerge)
}

/** The dry run checks the fixture is what the row claims: 20 WPs, each bringing changes. */
async function dryRunOrder(cli: string, f: MergeFixture): Promise<string[]> {
  const run = await coldRun(cli, f.path, [
    'orchestrator-api',
    'merge-mission',
    '--mission',
    f.mission,
    '--strategy',
    'merge',
    '--dry-run',
  ])
  const failure = failureOf(run)
  if (failure) throw new Error(`merge fixture ${f.path}: dry run failed: ${failure} ${run.stdout.slice(0, 2000)}`)
  const data = run.envelope!.data as { merge_order?: string[]; would_merge?: Array<{ wp_id: string; outcome: string }> }
  const order = data.merge_order ?? []
  const merging = (data.would_merge ?? []).filter((w) => w.outcome === 'merged')
  if (order.length !== WPS || merging.length !== WPS) {
    throw new Error(
      `merge fixture ${f.path}: dry run plans ${merging.length}/${order.length} merges, expected ${WPS}: ${run.stdout.slice(0, 2000)}`,
    )
  }
  return order
}

async function readMarker(file: string): Promise<Marker | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Marker
  } catch {
    return null
  }
}

/** The scenario's merge fixture, built or reused, restored to its pre-merge state and checked. */
export async function prepareMergeFixture(cli: string, repo: BenchRepo): Promise<MergeFixture> {
  const path = `${repo.path}-merge`
  const markerFile = `${path}.json`
  const key = createHash('sha256')
    .update(JSON.stringify({ v: MERGE_FIXTURE_VERSION, pristine: repo.pristine, n: fixtureNumber(repo) }))
    .digest('hex')
    .slice(0, 12)
  let marker = await readMarker(markerFile)
  const reused = marker?.key === key && existsSync(path)
  if (!reused) {
    await rm(markerFile, { force: true })
    await rm(path, { recursive: true, force: true })
    marker = await build(repo, path, key)
    // Written last: a build cut short leaves no marker and is redone next time.
    await writeFile(markerFile, `${JSON.stringify(marker, null, 2)}\n`)
  }
  const { key: _key, buildMs, ...rest } = marker!
  const f: MergeFixture = { ...rest, path, buildMs: reused ? null : buildMs, order: [] }
  await restoreFixture(f)
  if (reused) await pruneLeftovers(path)
  f.order = await dryRunOrder(cli, f)
  return f
}
