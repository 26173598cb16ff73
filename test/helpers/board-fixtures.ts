import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CORPUS, git, makeRepo } from './git-repo.ts'

/**
 * A 40-WP mission for the board's screenshots, browser tests and bench: the corpus's largest mission
 * has 17 WPs, so this one borrows 40 real corpus WP titles and gives them a layered dependency graph
 * and every lane.
 */
export const FORTY = '900-forty-wp-board'

function corpusTitles(n: number): string[] {
  const titles: string[] = []
  for (const mission of readdirSync(CORPUS).sort()) {
    let files: string[]
    try {
      files = readdirSync(join(CORPUS, mission, 'tasks'))
        .filter((f) => /^WP\d+.*\.md$/.test(f))
        .sort()
    } catch {
      continue
    }
    for (const f of files) {
      const title = /^title:\s*["']?(.+?)["']?\s*$/m.exec(readFileSync(join(CORPUS, mission, 'tasks', f), 'utf8'))?.[1]
      if (title) titles.push(title)
      if (titles.length === n) return titles
    }
  }
  return titles
}

const LANES: Array<[string, number]> = [
  ['done', 14],
  ['approved', 4],
  ['in_review', 3],
  ['for_review', 3],
  ['in_progress', 4],
  ['claimed', 2],
  ['blocked', 1],
  ['planned', 8],
  ['canceled', 1],
]

export function fortyWps(): Array<{
  id: string
  lane: string
  dependencies: string[]
  title: string
  assignee?: string
}> {
  const titles = corpusTitles(40)
  const lanes = LANES.flatMap(([lane, n]) => Array.from({ length: n }, () => lane))
  return Array.from({ length: 40 }, (_, i) => {
    const n = i + 1
    // Each WP leans on one or two earlier ones: a graph twelve layers deep.
    const deps =
      n <= 4 ? [] : [n - 4 - (n % 3), n - 1 - (n % 5)].filter((d, k, a) => d >= 1 && d < n && a.indexOf(d) === k)
    const id = `WP${String(n).padStart(2, '0')}`
    return {
      id,
      lane: lanes[i]!,
      dependencies: deps.map((d) => `WP${String(d).padStart(2, '0')}`),
      title: titles[i] ?? `Work package ${n}`,
      ...(['claimed', 'in_progress', 'for_review', 'in_review'].includes(lanes[i]!)
        ? { assignee: ['claude', 'codex', 'gemini'][i % 3]! }
        : {}),
    }
  })
}

/** A repository holding the 40-WP mission, committed on main. */
export function makeFortyRepo(): string {
  const all = fortyWps()
  const wps = all.map((w) => ({
    id: w.id,
    lane: w.lane,
    dependencies: w.dependencies,
    ...(w.assignee ? { assignee: w.assignee } : {}),
  }))
  const meta = {
    mission_number: 900,
    slug: FORTY,
    mission_slug: FORTY,
    friendly_name: 'Forty work packages',
    mission_type: 'software-dev',
    target_branch: 'main',
  }
  const repo = makeRepo([{ slug: FORTY, wps, meta }])
  // The fixture writer names every WP "Test WPxx": give them their corpus titles.
  for (const w of all) {
    const path = join(repo, 'kitty-specs', FORTY, 'tasks', `${w.id}.md`)
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^title: .*$/m, `title: ${JSON.stringify(w.title)}`))
  }
  git(repo, 'commit', '-qam', 'titles')
  return repo
}
