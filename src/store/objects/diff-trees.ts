import type { TreeEntry } from 'isomorphic-git'
import { readTreeEntries } from './object-cache.ts'
import type { Repository } from '../repository.ts'

/**
 * Every file path whose entry differs between two trees (added, deleted, changed content or mode),
 * sorted. Subtrees with equal oids are never opened, so the cost follows the change. Submodule
 * entries are left out: the working-tree sync does not manage them.
 */
export async function changedPaths(repo: Repository, from: string | null, to: string | null): Promise<string[]> {
  const out: string[] = []
  await diffDir(repo, '', from, to, out)
  return out.sort()
}

async function entries(repo: Repository, oid: string | null): Promise<Map<string, TreeEntry>> {
  if (oid === null) return new Map()
  return new Map((await readTreeEntries(repo, oid)).map((e) => [e.path, e]))
}

async function diffDir(
  repo: Repository,
  path: string,
  from: string | null,
  to: string | null,
  out: string[],
): Promise<void> {
  if (from === to) return
  const [a, b] = await Promise.all([entries(repo, from), entries(repo, to)])
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name)
    const y = b.get(name)
    if (x && y && x.oid === y.oid && x.mode === y.mode) continue
    const full = path === '' ? name : `${path}/${name}`
    const treeOid = (e: TreeEntry | undefined): string | null => (e?.type === 'tree' ? e.oid : null)
    if (x?.type === 'tree' || y?.type === 'tree') await diffDir(repo, full, treeOid(x), treeOid(y), out)
    if ((x && x.type === 'blob') || (y && y.type === 'blob')) out.push(full)
  }
}
