import type { TreeEntry } from 'isomorphic-git'
import type { Snapshot } from './snapshot.ts'
import { writeBlob, writeTree } from './write-object.ts'

/** New content for a path, or null to delete it. */
export type FileChanges = ReadonlyMap<string, Uint8Array | null>

interface DirNode {
  files: Map<string, Uint8Array | null>
  dirs: Map<string, DirNode>
}

function buildChangeTree(changes: FileChanges): DirNode {
  const root: DirNode = { files: new Map(), dirs: new Map() }
  for (const [path, content] of changes) {
    const parts = path.split('/')
    let node = root
    for (const part of parts.slice(0, -1)) {
      let next = node.dirs.get(part)
      if (!next) {
        next = { files: new Map(), dirs: new Map() }
        node.dirs.set(part, next)
      }
      node = next
    }
    node.files.set(parts.at(-1)!, content)
  }
  return root
}

/** Git sorts tree entries by name, with directories compared as if they ended in '/'. */
export function treeOrder(a: TreeEntry, b: TreeEntry): number {
  const ka = a.type === 'tree' ? `${a.path}/` : a.path
  const kb = b.type === 'tree' ? `${b.path}/` : b.path
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

async function writeDir(snapshot: Snapshot, path: string, node: DirNode): Promise<string | null> {
  const { repo } = snapshot
  const entries = new Map<string, TreeEntry>()
  for (const e of (await snapshot.tree(path)) ?? []) entries.set(e.path, e)
  for (const [name, content] of node.files) {
    if (content === null) {
      entries.delete(name)
      continue
    }
    const oid = await writeBlob(repo, content)
    const mode = entries.get(name)?.mode === '100755' ? '100755' : '100644'
    entries.set(name, { mode, path: name, oid, type: 'blob' })
  }
  for (const [name, child] of node.dirs) {
    const oid = await writeDir(snapshot, path === '' ? name : `${path}/${name}`, child)
    if (oid === null) entries.delete(name)
    else entries.set(name, { mode: '040000', path: name, oid, type: 'tree' })
  }
  if (entries.size === 0 && path !== '') return null
  const tree = [...entries.values()].sort(treeOrder)
  return writeTree(repo, tree)
}

/**
 * Write the blobs and only the trees on the changed paths (index-free: no working tree, no index),
 * returning the new root tree. Everything else is shared with the snapshot's tree.
 */
export async function writeChangedTree(snapshot: Snapshot, changes: FileChanges): Promise<string> {
  return (await writeDir(snapshot, '', buildChangeTree(changes))) ?? (await writeTree(snapshot.repo, []))
}
