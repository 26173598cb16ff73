import type { BenchRepo } from './bench-repos.ts'
import { coldRun } from './cold-run.ts'
import { git } from './git-exec.ts'
import type { Target } from './scenario-bench.ts'

/**
 * Which mission and WP a scenario measures: one with a WP that list-ready offers (start-implementation
 * must do real work). Synthetic repositories are probed from the middle mission, so neither the first
 * nor the last entry of a sorted folder is favoured; the corpus from its mission with the most WPs.
 */

const WP_FILE = /\/tasks\/(?:[^/]+\/)?WP\d+[^/]*\.md$/

async function listMissionFiles(repo: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  const names = (await git(repo, ['ls-tree', '-r', '--name-only', 'refs/heads/main', '--', 'kitty-specs'])).split('\n')
  for (const path of names) {
    const mission = path.split('/')[1]
    if (!mission) continue
    const keep = path.endsWith('/meta.json') || path.endsWith('/tasks.md') || WP_FILE.test(path)
    if (keep && path.split('/').length >= 3) out.set(mission, [...(out.get(mission) ?? []), path])
  }
  return out
}

function probeOrder(repo: BenchRepo, files: Map<string, string[]>): string[] {
  if (repo.scenario.generator) {
    const mid = Math.floor(repo.missions.length / 2)
    return [...repo.missions.slice(mid), ...repo.missions.slice(0, mid)]
  }
  const wpCount = (m: string): number => (files.get(m) ?? []).filter((p) => WP_FILE.test(p)).length
  return [...repo.missions].sort((a, b) => wpCount(b) - wpCount(a) || a.localeCompare(b))
}

async function firstReadyWp(cli: string, repo: string, mission: string): Promise<string | null> {
  const run = await coldRun(cli, repo, ['orchestrator-api', 'list-ready', '--mission', mission])
  const ready = (run.envelope?.data as { ready_work_packages?: Array<{ wp_id: string }> } | undefined)
    ?.ready_work_packages
  return ready?.[0]?.wp_id ?? null
}

export async function chooseTarget(cli: string, repo: BenchRepo): Promise<Target> {
  const files = await listMissionFiles(repo.path)
  for (const mission of probeOrder(repo, files).slice(0, 60)) {
    const wp = await firstReadyWp(cli, repo.path, mission)
    if (!wp) continue
    const missionFiles = files.get(mission) ?? []
    const wpPath = missionFiles.find((p) => WP_FILE.test(p) && new RegExp(`/${wp}(?:[-.])`).test(p))
    if (!wpPath) continue
    return { mission, wp, wpPath, tasksDir: `kitty-specs/${mission}/tasks`, files: missionFiles }
  }
  throw new Error(`${repo.scenario.name}: no mission with a ready WP found`)
}
