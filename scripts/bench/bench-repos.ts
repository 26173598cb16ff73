import { createHash } from 'node:crypto'
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { generateRepo, GENERATOR_VERSION } from './generate-repo.ts'
import { git } from './git-exec.ts'

/**
 * The bench's repositories under bench/tmp/, cached by a key of everything that shapes their bytes
 * (generating the 20,000-commit one takes a while), and put back to their pristine tip before use.
 */

export interface Scenario {
  name: string
  describe: string
  /** null for the corpus copy. */
  generator: { missions: number; wpsPerMission: number; commits: number } | null
}

export const SCENARIOS: Scenario[] = [
  { name: 'corpus', describe: 'spec-kitty corpus, 1 commit', generator: null },
  {
    name: 'small',
    describe: '10 missions × 20 WPs, 200 commits',
    generator: { missions: 10, wpsPerMission: 20, commits: 200 },
  },
  {
    name: 'large',
    describe: '1,000 missions × 20 WPs, 20,000 commits',
    generator: { missions: 1000, wpsPerMission: 20, commits: 20000 },
  },
]

export interface BenchRepo {
  scenario: Scenario
  path: string
  pristine: string
  missions: string[]
  /** Wall time of generation when it happened in this run; null when the cache was reused. */
  generatedMs: number | null
}

interface Marker {
  key: string
  pristine: string
  missions: string[]
  generatedMs: number
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

async function corpusKey(corpus: string): Promise<string> {
  const hash = createHash('sha256').update('corpus-v1')
  for (const file of await filesUnder(corpus))
    hash
      .update(relative(corpus, file))
      .update('\0')
      .update(await readFile(file))
  return hash.digest('hex').slice(0, 12)
}

function generatorKey(g: NonNullable<Scenario['generator']>): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: GENERATOR_VERSION, ...g }))
    .digest('hex')
    .slice(0, 12)
}

async function buildCorpusRepo(path: string, corpus: string): Promise<string[]> {
  await mkdir(path, { recursive: true })
  await git(path, ['init', '-q', '-b', 'main'])
  await cp(corpus, join(path, 'kitty-specs'), { recursive: true })
  await git(path, ['add', '-A'])
  await git(path, ['commit', '-q', '-m', 'corpus'])
  return (await readdir(join(path, 'kitty-specs'), { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
}

async function readMarker(file: string): Promise<Marker | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Marker
  } catch {
    return null
  }
}

/** Older cache entries of this scenario (other keys) are removed: they are hundreds of MB each. */
async function dropStale(root: string, scenario: string, keep: string): Promise<void> {
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    if (entry.startsWith(`${scenario}-`) && !entry.startsWith(keep))
      await rm(join(root, entry), { recursive: true, force: true })
  }
}

export async function prepareRepo(root: string, scenario: Scenario, corpus: string): Promise<BenchRepo> {
  const key = scenario.generator ? generatorKey(scenario.generator) : await corpusKey(corpus)
  const base = `${scenario.name}-${key}`
  const path = join(root, base)
  const markerFile = join(root, `${base}.json`)
  await mkdir(root, { recursive: true })
  await dropStale(root, scenario.name, base)
  const marker = await readMarker(markerFile)
  if (marker?.key === key) {
    await restoreState(path, marker.pristine)
    await pruneLeftovers(path)
    return { scenario, path, pristine: marker.pristine, missions: marker.missions, generatedMs: null }
  }
  await rm(path, { recursive: true, force: true })
  const started = performance.now()
  const missions = scenario.generator
    ? (await generateRepo({ ...scenario.generator, dir: path })).missions
    : await buildCorpusRepo(path, corpus)
  const generatedMs = performance.now() - started
  const pristine = await git(path, ['rev-parse', 'refs/heads/main'])
  // The marker is written last: a generation cut short leaves no marker and is redone next time.
  await writeFile(markerFile, `${JSON.stringify({ key, pristine, missions, generatedMs } satisfies Marker, null, 2)}\n`)
  return { scenario, path, pristine, missions, generatedMs }
}

/** Every run leaves unreachable loose objects (undone commits); keep reused repos like fresh ones. */
export async function pruneLeftovers(repo: string): Promise<void> {
  const loose = Number(/^count: (\d+)$/m.exec(await git(repo, ['count-objects', '-v']))?.[1] ?? 0)
  if (loose <= 2000) return
  // The resets' reflog entries would keep the undone commits reachable.
  await git(repo, ['reflog', 'expire', '--expire=now', '--all'])
  await git(repo, ['prune', '--expire=now'])
}

/** Put main, the index and the working tree back at `oid` (the CLI keeps all three in step). */
export async function resetTo(repo: string, oid: string): Promise<void> {
  await git(repo, ['update-ref', 'refs/heads/main', oid])
  await git(repo, ['reset', '--hard', '-q', 'main'])
}

/** Remove every linked worktree (start-implementation's, or its baseline's). */
export async function dropWorktrees(repo: string): Promise<void> {
  const listing = await git(repo, ['worktree', 'list', '--porcelain'])
  // The main worktree is always listed first.
  const paths = [...listing.matchAll(/^worktree (.+)$/gm)].map((m) => m[1]!).slice(1)
  for (const p of paths) await git(repo, ['worktree', 'remove', '--force', p])
  await git(repo, ['worktree', 'prune'])
}

/** Remove WP worktrees and branches that start-implementation (or its baseline) created. */
export async function dropWorkspaces(repo: string): Promise<void> {
  await dropWorktrees(repo)
  const branches = (await git(repo, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/'])).split('\n')
  const extra = branches.filter((b) => b !== '' && b !== 'main')
  if (extra.length > 0) await git(repo, ['branch', '-D', '-q', ...extra])
}

/** Back to `oid` with no WP worktrees or branches: the state every measured run starts from. */
export async function restoreState(repo: string, oid: string): Promise<void> {
  await dropWorkspaces(repo)
  await resetTo(repo, oid)
}
