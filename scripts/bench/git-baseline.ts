import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { git, gitEnv } from './git-exec.ts'

/**
 * The same reads and writes as a CLI call, done with git plumbing processes: the floor a
 * git-backed implementation could reach, so each CLI median is reported as a ratio to it.
 * Reads: one `cat-file --batch` of the branch tip, the trees on the way and the mission's files.
 * Writes: `hash-object -w`, one `mktree` per changed tree, `commit-tree`, `update-ref` with the old
 * value (compare-and-swap), then the working file and its index entry, as the CLI keeps them in step.
 */

const BRANCH = 'refs/heads/main'

interface BatchObject {
  oid: string
  type: string
  content: Buffer
}

export function runWithInput(cwd: string, args: string[], input: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: gitEnv() })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`git ${args.join(' ')}: ${err.trim()}`)),
    )
    child.stdin.end(input)
  })
}

function parseBatch(buf: Buffer, names: string[]): Map<string, BatchObject> {
  const out = new Map<string, BatchObject>()
  let at = 0
  for (const name of names) {
    const eol = buf.indexOf(0x0a, at)
    const header = buf.toString('utf8', at, eol).split(' ')
    if (header[1] === 'missing' || header.length < 3) throw new Error(`baseline read: ${name} is missing`)
    const size = Number(header[2])
    out.set(name, { oid: header[0]!, type: header[1]!, content: buf.subarray(eol + 1, eol + 1 + size) })
    at = eol + 1 + size + 1
  }
  return out
}

/** `cat-file --batch` of every name (revision syntax), in one process. */
export async function catFileBatch(repo: string, names: string[]): Promise<Map<string, BatchObject>> {
  const out = await runWithInput(repo, ['cat-file', '--batch'], names.map((n) => `${n}\n`).join(''))
  return parseBatch(out, names)
}

interface TreeEntry {
  mode: string
  name: string
  oid: string
}

function parseTree(buf: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = []
  let at = 0
  while (at < buf.length) {
    const space = buf.indexOf(0x20, at)
    const nul = buf.indexOf(0x00, space)
    entries.push({
      mode: buf.toString('utf8', at, space),
      name: buf.toString('utf8', space + 1, nul),
      oid: buf.toString('hex', nul + 1, nul + 21),
    })
    at = nul + 21
  }
  return entries
}

function mktreeInput(entries: TreeEntry[]): string {
  const typeOf = (mode: string): string => (mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob')
  return entries.map((e) => `${e.mode.padStart(6, '0')} ${typeOf(e.mode)} ${e.oid}\t${e.name}\n`).join('')
}

/** The trees from the root down to the folder holding `path`, as revision names under `tip`. */
function treeChain(tip: string, path: string): Array<{ dir: string; rev: string }> {
  const parts = path.split('/').slice(0, -1)
  const chain = [{ dir: '', rev: `${tip}^{tree}` }]
  for (let i = 1; i <= parts.length; i++) {
    const dir = parts.slice(0, i).join('/')
    chain.push({ dir, rev: `${tip}:${dir}` })
  }
  return chain
}

/** Read baseline: the files a mission-state/list-ready call needs, plus the tasks folder's tree. */
export async function baselineRead(repo: string, missionFiles: string[], tasksDir: string): Promise<number> {
  const started = performance.now()
  await catFileBatch(repo, [BRANCH, `${BRANCH}:${tasksDir}`, ...missionFiles.map((p) => `${BRANCH}:${p}`)])
  return performance.now() - started
}

export interface BaselineWrite {
  /** The WP file the mutation rewrites. */
  wpPath: string
  edit: (text: string) => string
  /** Also create the WP branch and its worktree, as start-implementation does. */
  worktree?: { branch: string; path: string }
}

async function writeTrees(
  repo: string,
  trees: Map<string, BatchObject>,
  chain: Array<{ dir: string; rev: string }>,
  leaf: TreeEntry,
): Promise<string> {
  let child = leaf
  for (let i = chain.length - 1; i >= 0; i--) {
    const { dir, rev } = chain[i]!
    const entries = parseTree(trees.get(rev)!.content).map((e) =>
      e.name === child.name ? { ...e, oid: child.oid } : e,
    )
    const oid = (await runWithInput(repo, ['mktree'], mktreeInput(entries))).toString('utf8').trim()
    child = { mode: '40000', name: dir.split('/').at(-1) ?? '', oid }
  }
  return child.oid
}

/** Write baseline: read like a mutation does, then commit one changed WP file with CAS. */
export async function baselineWrite(repo: string, missionFiles: string[], spec: BaselineWrite): Promise<number> {
  const started = performance.now()
  const chain = treeChain(BRANCH, spec.wpPath)
  const objects = await catFileBatch(repo, [
    BRANCH,
    ...chain.map((c) => c.rev),
    ...missionFiles.map((p) => `${BRANCH}:${p}`),
  ])
  const tip = objects.get(BRANCH)!.oid
  const text = spec.edit(objects.get(`${BRANCH}:${spec.wpPath}`)!.content.toString('utf8'))
  const blob = (await runWithInput(repo, ['hash-object', '-w', '--stdin'], text)).toString('utf8').trim()
  const name = spec.wpPath.split('/').at(-1)!
  const root = await writeTrees(repo, objects, chain, { mode: '100644', name, oid: blob })
  const commit = await git(repo, ['commit-tree', root, '-p', tip, '-m', `bench: baseline write of ${name}`])
  await git(repo, ['update-ref', BRANCH, commit, tip])
  await writeFile(join(repo, spec.wpPath), text)
  await git(repo, ['update-index', '--cacheinfo', `100644,${blob},${spec.wpPath}`])
  if (spec.worktree) {
    await git(repo, ['branch', spec.worktree.branch, commit])
    await git(repo, ['worktree', 'add', '--quiet', spec.worktree.path, spec.worktree.branch])
  }
  return performance.now() - started
}

/** A realistic edit: the lane line rewritten and one Activity Log line appended. */
export function laneEdit(lane: string): (text: string) => string {
  return (text) => {
    const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
    return `${text.replace(/^lane:.*$/m, `lane: "${lane}"`).trimEnd()}\n- ${stamp} – bench – lane=${lane} – baseline write\n`
  }
}

export interface BaselineMerge {
  /** The WP branches (short names) in merge order. */
  branches: string[]
  /** Message of each merge commit, in the same order. */
  messages: string[]
  /** The mission's state files the final commit rewrites (its 20 WP files and meta.json). */
  edits: Array<{ path: string; edit: (text: string, lastMerge: string) => string }>
  stateMessage: string
}

export interface BaselineMergeResult {
  ms: number
  /** The tree of the last merge commit, to compare with the CLI's `merge_commit`. */
  lastMergeTree: string
}

/** Parent folders of `paths`, deepest first, the root ('') last. */
function foldersOf(paths: string[]): string[] {
  const dirs = new Set<string>([''])
  for (const p of paths) {
    const parts = p.split('/')
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'))
  }
  const depth = (d: string): number => (d === '' ? 0 : d.split('/').length)
  return [...dirs].sort((a, b) => depth(b) - depth(a) || a.localeCompare(b))
}

/** One `mktree` per folder holding a changed file, bottom-up; the new root tree. */
async function writeChangedTrees(
  repo: string,
  head: string,
  trees: Map<string, BatchObject>,
  blobs: Map<string, string>,
): Promise<string> {
  const changed = new Map<string, Map<string, TreeEntry>>()
  const change = (path: string, entry: TreeEntry): void => {
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : ''
    if (!changed.has(dir)) changed.set(dir, new Map())
    changed.get(dir)!.set(entry.name, entry)
  }
  for (const [path, oid] of blobs) change(path, { mode: '100644', name: path.split('/').at(-1)!, oid })
  let root = ''
  for (const dir of foldersOf([...blobs.keys()])) {
    const rev = dir === '' ? `${head}^{tree}` : `${head}:${dir}`
    const replaced = changed.get(dir) ?? new Map<string, TreeEntry>()
    const entries = parseTree(trees.get(rev)!.content).map((e) => replaced.get(e.name) ?? e)
    const oid = (await runWithInput(repo, ['mktree'], mktreeInput(entries))).toString('utf8').trim()
    if (dir === '') root = oid
    else change(dir, { mode: '40000', name: dir.split('/').at(-1)!, oid })
  }
  return root
}

/**
 * merge-mission's floor in git plumbing, on the checked-out target: per WP branch in order,
 * `merge-tree --write-tree` onto the target so far and a two-parent `commit-tree`; then the state
 * commit (one `cat-file --batch` of the files and trees, one `hash-object -w --stdin-paths` of the
 * edited files, one `mktree` per changed tree, `commit-tree`), one compare-and-swap `update-ref`,
 * and `read-tree -m -u` to bring the index and working tree along, as the CLI does.
 */
export async function baselineMerge(repo: string, spec: BaselineMerge): Promise<BaselineMergeResult> {
  const scratch = await mkdtemp(join(tmpdir(), 'kitty-bench-merge-'))
  try {
    const started = performance.now()
    const tip = await git(repo, ['rev-parse', BRANCH])
    let head = tip
    let lastMergeTree = ''
    for (let i = 0; i < spec.branches.length; i++) {
      // Exit 1 (conflicts) rejects: the fixture merges cleanly, so that would be a broken fixture.
      lastMergeTree = (await git(repo, ['merge-tree', '--write-tree', '--no-messages', head, spec.branches[i]!])).split(
        '\n',
      )[0]!
      head = await git(repo, [
        'commit-tree',
        lastMergeTree,
        '-p',
        head,
        '-p',
        spec.branches[i]!,
        '-m',
        spec.messages[i]!,
      ])
    }
    const paths = spec.edits.map((e) => e.path)
    const dirs = foldersOf(paths).map((d) => (d === '' ? `${head}^{tree}` : `${head}:${d}`))
    const objects = await catFileBatch(repo, [...dirs, ...paths.map((p) => `${head}:${p}`)])
    const files = await Promise.all(
      spec.edits.map(async (e, i) => {
        const file = join(scratch, String(i))
        await writeFile(file, e.edit(objects.get(`${head}:${e.path}`)!.content.toString('utf8'), head))
        return file
      }),
    )
    const oids = (
      await runWithInput(
        repo,
        ['hash-object', '-w', '--no-filters', '--stdin-paths'],
        files.map((f) => `${f}\n`).join(''),
      )
    )
      .toString('utf8')
      .trim()
      .split('\n')
    const root = await writeChangedTrees(repo, head, objects, new Map(paths.map((p, i) => [p, oids[i]!])))
    const state = await git(repo, ['commit-tree', root, '-p', head, '-m', spec.stateMessage])
    await git(repo, ['update-ref', BRANCH, state, tip])
    await git(repo, ['read-tree', '-m', '-u', tip, state])
    return { ms: performance.now() - started, lastMergeTree }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
