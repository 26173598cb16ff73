import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EXAMPLE_POLICY } from '../../src/core/policy.ts'
import type { BenchRepo } from './bench-repos.ts'
import { resetTo, restoreState } from './bench-repos.ts'
import type { ColdRun } from './cold-run.ts'
import { coldRun, failureOf } from './cold-run.ts'
import type { BaselineMerge, BaselineWrite } from './git-baseline.ts'
import { baselineMerge, baselineRead, baselineWrite, laneEdit } from './git-baseline.ts'
import { git } from './git-exec.ts'
import type { MergeFixture } from './merge-fixture.ts'
import { restoreFixture } from './merge-fixture.ts'
import { median, percentile, ratio, round } from './stats.ts'

/**
 * Benchmarks one scenario: every command as cold CLI processes, each run interleaved with its git
 * plumbing baseline so both see the same machine state. Mutations are undone between runs (or, for
 * transition, alternate between two lanes) so every timed run does real work.
 */

export const POLICY_JSON = JSON.stringify({ ...EXAMPLE_POLICY, orchestrator_id: 'bench' })

const ACTOR = 'bench-agent'

export interface Row {
  scenario: string
  command: string
  runs: number
  medianMs: number | null
  p95Ms: number | null
  peakRssMb: number | null
  baselineMedianMs: number | null
  baselineP95Ms: number | null
  ratio: number | null
  errors: string[]
  note?: string
  samplesMs: number[]
  baselineSamplesMs: number[]
}

export interface Target {
  mission: string
  wp: string
  wpPath: string
  tasksDir: string
  /** meta.json, tasks.md and every WP file of the mission: what the baseline reads. */
  files: string[]
}

export interface BenchOptions {
  cli: string
  runs: number
  warmup: number
}

interface Sample {
  run: ColdRun
  baselineMs: number
}

function detailOf(run: ColdRun): string {
  const data = run.envelope?.data as { message?: unknown } | undefined
  return String(data?.message ?? (run.stderr.trim() || run.stdout.trim())).slice(0, 200)
}

class Collector {
  private readonly samples: Sample[] = []
  private readonly errors: string[] = []

  add(sample: Sample, counted: boolean): void {
    const failure = failureOf(sample.run)
    if (failure) this.errors.push(`${failure}: ${detailOf(sample.run)}`)
    else if (counted) this.samples.push(sample)
  }

  row(scenario: string, command: string, note?: string): Row {
    const ms = this.samples.map((s) => s.run.wallMs)
    const base = this.samples.map((s) => s.baselineMs)
    const rss = this.samples.map((s) => s.run.maxRssKb).filter((v): v is number => v !== null)
    const med = median(ms)
    const baseMed = median(base)
    const row: Row = {
      scenario,
      command,
      runs: ms.length,
      medianMs: round(med),
      p95Ms: round(percentile(ms, 95)),
      peakRssMb: rss.length > 0 ? round(Math.max(...rss) / 1024) : null,
      baselineMedianMs: round(baseMed),
      baselineP95Ms: round(percentile(base, 95)),
      ratio: round(ratio(med, baseMed), 2),
      errors: this.errors,
      samplesMs: ms.map((v) => round(v)!),
      baselineSamplesMs: base.map((v) => round(v)!),
    }
    if (note !== undefined) row.note = note
    return row
  }
}

function api(command: string, target: Target, flags: string[] = []): string[] {
  return ['orchestrator-api', command, '--mission', target.mission, ...flags]
}

async function tipOf(repo: string): Promise<string> {
  return git(repo, ['rev-parse', 'refs/heads/main'])
}

/** Repeat `step` warmup + runs times; `step(i)` returns one interleaved CLI + baseline sample. */
async function repeat(opts: BenchOptions, step: (i: number) => Promise<Sample>): Promise<Collector> {
  const c = new Collector()
  for (let i = 0; i < opts.warmup + opts.runs; i++) c.add(await step(i), i >= opts.warmup)
  return c
}

async function benchRead(opts: BenchOptions, repo: BenchRepo, target: Target, command: string): Promise<Row> {
  const c = await repeat(opts, async () => {
    const run = await coldRun(opts.cli, repo.path, api(command, target))
    const baselineMs = await baselineRead(repo.path, target.files, target.tasksDir)
    return { run, baselineMs }
  })
  return c.row(repo.scenario.name, command)
}

function workspaceOf(repo: BenchRepo, target: Target): { branch: string; path: string } {
  const branch = `${target.mission}-${target.wp}`
  return { branch, path: join(repo.path, '.worktrees', branch) }
}

interface ClaimVariant {
  label: string
  /** The tip every run starts from (pristine, or pristine plus a settings commit). */
  base: string
  worktree: boolean
  note: string
}

async function benchStartImplementation(
  opts: BenchOptions,
  repo: BenchRepo,
  target: Target,
  v: ClaimVariant,
): Promise<Row> {
  const flags = ['--wp', target.wp, '--actor', ACTOR, '--policy', POLICY_JSON]
  const c = await repeat(opts, async () => {
    const run = await coldRun(opts.cli, repo.path, api('start-implementation', target, flags))
    await restoreState(repo.path, v.base)
    const spec: BaselineWrite = { wpPath: target.wpPath, edit: laneEdit('in_progress') }
    if (v.worktree) spec.worktree = workspaceOf(repo, target)
    const baselineMs = await baselineWrite(repo.path, target.files, spec)
    await restoreState(repo.path, v.base)
    return { run, baselineMs }
  })
  return c.row(repo.scenario.name, v.label, v.note)
}

/** A settings commit on top of pristine, so the CLI reads `.github/kitty.yml` from the state branch. */
async function commitSettings(repo: BenchRepo, yaml: string): Promise<string> {
  await mkdir(join(repo.path, '.github'), { recursive: true })
  await writeFile(join(repo.path, '.github', 'kitty.yml'), yaml)
  await git(repo.path, ['add', '.github/kitty.yml'])
  await git(repo.path, ['commit', '-q', '-m', 'bench: kitty settings'])
  return tipOf(repo.path)
}

async function benchClaims(opts: BenchOptions, repo: BenchRepo, target: Target): Promise<Row[]> {
  const withWorktree = await benchStartImplementation(opts, repo, target, {
    label: 'start-implementation',
    base: repo.pristine,
    worktree: true,
    note: 'includes the WP branch + git worktree add (a full checkout); so does its baseline',
  })
  const noWorktreeBase = await commitSettings(repo, 'worktrees: false\n')
  const stateOnly = await benchStartImplementation(opts, repo, target, {
    label: 'start-implementation (worktrees: false)',
    base: noWorktreeBase,
    worktree: false,
    note: 'the claim commit and WP branch only, via .github/kitty.yml worktrees: false',
  })
  await restoreState(repo.path, repo.pristine)
  return [withWorktree, stateOnly]
}

/** Mutations after the claim: each run commits on the CLI's tip; the baseline's commit is undone. */
async function benchAfterClaim(
  opts: BenchOptions,
  repo: BenchRepo,
  target: Target,
  command: string,
  flagsFor: (i: number) => string[],
  editFor: (i: number) => BaselineWrite['edit'],
): Promise<Row> {
  const c = await repeat(opts, async (i) => {
    const run = await coldRun(
      opts.cli,
      repo.path,
      api(command, target, ['--wp', target.wp, '--actor', ACTOR, ...flagsFor(i)]),
    )
    const tip = await tipOf(repo.path)
    const baselineMs = await baselineWrite(repo.path, target.files, { wpPath: target.wpPath, edit: editFor(i) })
    await resetTo(repo.path, tip)
    return { run, baselineMs }
  })
  return c.row(repo.scenario.name, command)
}

function appendLine(i: number): (text: string) => string {
  return (text) => `${text.trimEnd()}\n- 2026-01-01T00:00:00Z – ${ACTOR} – baseline note ${i}\n`
}

async function claimOnce(opts: BenchOptions, repo: BenchRepo, target: Target): Promise<void> {
  const run = await coldRun(
    opts.cli,
    repo.path,
    api('start-implementation', target, ['--wp', target.wp, '--actor', ACTOR, '--policy', POLICY_JSON]),
  )
  const failure = failureOf(run)
  if (failure) throw new Error(`setup claim of ${target.mission}/${target.wp} failed: ${failure} ${run.stdout}`)
}

const MERGE_ROW = 'merge-mission (20 WPs)'

/** What merge-mission writes into meta.json, for the baseline's state commit. */
function recordMerge(wps: string[]): (text: string, mergeCommit: string) => string {
  return (text, mergeCommit) => {
    const meta = JSON.parse(text) as Record<string, unknown>
    const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
    return `${JSON.stringify({ ...meta, merged_at: stamp, merged_by: ACTOR, merge_commit: mergeCommit, merge_strategy: 'merge', merged_wps: wps }, null, 2)}\n`
  }
}

/** The CLI's merge commit (the last WP merge) after a run that must have merged all 20 WPs. */
function mergedCommitOf(run: ColdRun, f: MergeFixture, i: number): string {
  const failure = failureOf(run)
  const data = run.envelope?.data as { merged_wps?: unknown; merge_commit?: unknown } | undefined
  const merged = Array.isArray(data?.merged_wps) ? data.merged_wps.length : -1
  if (failure || merged !== f.order.length || typeof data?.merge_commit !== 'string') {
    throw new Error(
      `merge-mission run ${i} in ${f.path} did not merge ${f.order.length} WPs ` +
        `(${failure ?? `success, merged_wps: ${merged}`}): ${detailOf(run)} ${run.stdout.slice(0, 1000)}`,
    )
  }
  return data.merge_commit
}

/**
 * merge-mission of the scenario's 20-WP fixture mission (see merge-fixture.ts), strategy merge. Every
 * run starts from the pre-merge state (main, index, working tree, WP branches, no worktrees); a run that
 * does not merge all 20 WPs stops the bench. The baseline merges the same branches in the same order
 * with git plumbing from the same state, and must arrive at the same tree as the CLI's last merge.
 */
async function benchMergeMission(opts: BenchOptions, scenario: string, f: MergeFixture): Promise<Row> {
  const args = ['orchestrator-api', 'merge-mission', '--mission', f.mission, '--strategy', 'merge']
  const spec: BaselineMerge = {
    branches: f.order.map((wp) => `${f.mission}-${wp}`),
    messages: f.order.map((wp) => `merge: ${f.mission}/${wp} into main`),
    edits: [
      ...f.order.map((wp) => ({ path: f.wpPaths[wp]!, edit: laneEdit('done') })),
      { path: f.metaPath, edit: recordMerge(f.order) },
    ],
    stateMessage: `kitty(${f.mission}): merge-mission`,
  }
  const c = await repeat(opts, async (i) => {
    await restoreFixture(f)
    const run = await coldRun(opts.cli, f.path, args)
    const cliTree = await git(f.path, ['rev-parse', `${mergedCommitOf(run, f, i)}^{tree}`])
    await restoreFixture(f)
    const base = await baselineMerge(f.path, spec)
    if (base.lastMergeTree !== cliTree) {
      throw new Error(
        `merge-mission run ${i} in ${f.path}: the CLI's last merge has tree ${cliTree}, git merge-tree arrived at ${base.lastMergeTree}`,
      )
    }
    await restoreFixture(f)
    return { run, baselineMs: base.ms }
  })
  const s = f.stats
  const note =
    `${f.mission}: ${s.branchCommits} branch commits (${s.sharedEditors.length} WPs edit one shared file), ` +
    `${s.mainCommits} commits on main since the scenario's tip, no WP worktrees; baseline: merge-tree + commit-tree per WP, ` +
    'state commit of the 20 WP files + meta.json, update-ref, read-tree -m -u'
  return c.row(scenario, MERGE_ROW, note)
}

export async function benchScenario(
  opts: BenchOptions,
  repo: BenchRepo,
  target: Target,
  merge: MergeFixture,
): Promise<Row[]> {
  const rows: Row[] = []
  await restoreState(repo.path, repo.pristine)
  try {
    rows.push(await benchRead(opts, repo, target, 'mission-state'))
    rows.push(await benchRead(opts, repo, target, 'list-ready'))
    rows.push(...(await benchClaims(opts, repo, target)))
    await claimOnce(opts, repo, target)
    const lanes = (i: number): string => (i % 2 === 0 ? 'blocked' : 'in_progress')
    rows.push(
      await benchAfterClaim(
        opts,
        repo,
        target,
        'transition',
        (i) => ['--to', lanes(i), '--policy', POLICY_JSON, '--note', `bench ${i}`],
        (i) => laneEdit(lanes(i)),
      ),
    )
    rows.push(
      await benchAfterClaim(opts, repo, target, 'append-history', (i) => ['--note', `bench note ${i}`], appendLine),
    )
    rows.push(await benchMergeMission(opts, repo.scenario.name, merge))
  } finally {
    await restoreState(repo.path, repo.pristine)
  }
  return rows
}
