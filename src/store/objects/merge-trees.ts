import type { TreeEntry } from 'isomorphic-git'
import { objectReader } from './object-reader.ts'
import { mergeText } from '../../core/merge-text.ts'
import { readTreeEntries } from './object-cache.ts'
import type { Repository } from '../repository.ts'
import { treeOrder } from './write-tree.ts'
import { writeBlob, writeTree } from './write-object.ts'

/**
 * Three-way merge of trees, written straight into the object database (no index, no working tree).
 * Only subtrees whose oids differ are read, so the cost follows the change, not the repository; and
 * every conflict is named by path and kind, which isomorphic-git's `merge` cannot do for add/add or
 * file/directory clashes.
 */

export type ConflictKind =
  | 'content'
  | 'add/add'
  | 'modify/delete'
  | 'file/directory'
  | 'binary'
  | 'mode'
  | 'symlink/submodule'

export interface TreeConflict {
  path: string
  kind: ConflictKind
}

export interface TreeMergeInput {
  /** The merge base's tree; null for "no common content" (the empty tree). */
  base: string | null
  ours: string
  theirs: string
  /** Paths where a conflict is settled by keeping our side instead of being reported. */
  oursWins?: (path: string) => boolean
}

export interface TreeMerge {
  tree: string
  conflicts: TreeConflict[]
  /** Conflicted paths settled in favour of our side by `oursWins`. */
  keptOurs: string[]
}

const MERGEABLE_MODES = new Set(['100644', '100755'])
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()

function same(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.oid === b.oid && a.mode === b.mode)
}

const isTreeOrAbsent = (e: TreeEntry | undefined): boolean => e === undefined || e.type === 'tree'
const isFile = (e: TreeEntry | undefined): e is TreeEntry =>
  e !== undefined && e.type === 'blob' && MERGEABLE_MODES.has(e.mode)

/** Text we may merge line by line: valid UTF-8 without NUL bytes (git's binary test looks for NUL). */
function asText(bytes: Uint8Array): string | null {
  if (bytes.subarray(0, 8000).includes(0)) return null
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

class TreeMerger {
  readonly conflicts: TreeConflict[] = []
  readonly keptOurs: string[] = []

  constructor(
    private readonly repo: Repository,
    private readonly oursWins: (path: string) => boolean,
  ) {}

  async entries(oid: string | null): Promise<Map<string, TreeEntry>> {
    if (oid === null) return new Map()
    return new Map((await readTreeEntries(this.repo, oid)).map((e) => [e.path, e]))
  }

  /** The merged tree's oid, or null when the merged directory is empty. */
  async mergeDir(
    path: string,
    base: string | null,
    ours: string | null,
    theirs: string | null,
  ): Promise<string | null> {
    if (ours === theirs || base === theirs) return ours
    if (base === ours) return theirs
    const [b, o, t] = await Promise.all([this.entries(base), this.entries(ours), this.entries(theirs)])
    const names = new Set([...b.keys(), ...o.keys(), ...t.keys()])
    const merged: TreeEntry[] = []
    let changed = false
    for (const name of names) {
      const entry = await this.mergeEntry(
        path === '' ? name : `${path}/${name}`,
        name,
        b.get(name),
        o.get(name),
        t.get(name),
      )
      if (!same(entry, o.get(name))) changed = true
      if (entry) merged.push(entry)
    }
    if (!changed && ours !== null) return ours
    if (merged.length === 0 && path !== '') return null
    return writeTree(this.repo, merged.sort(treeOrder))
  }

  async mergeEntry(
    path: string,
    name: string,
    b: TreeEntry | undefined,
    o: TreeEntry | undefined,
    t: TreeEntry | undefined,
  ): Promise<TreeEntry | undefined> {
    if (same(o, t) || same(b, t)) return o
    if (same(b, o)) return t
    if (isTreeOrAbsent(b) && isTreeOrAbsent(o) && isTreeOrAbsent(t)) {
      const oid = await this.mergeDir(path, b?.oid ?? null, o?.oid ?? null, t?.oid ?? null)
      return oid === null ? undefined : { mode: '040000', path: name, oid, type: 'tree' }
    }
    if (isFile(o) && isFile(t) && (b === undefined || isFile(b))) return this.mergeFile(path, name, b, o, t)
    const kind: ConflictKind =
      o === undefined || t === undefined
        ? 'modify/delete'
        : o.type !== t.type || (b && b.type !== o.type)
          ? 'file/directory'
          : 'symlink/submodule'
    return this.conflict(path, kind, o)
  }

  async mergeFile(
    path: string,
    name: string,
    b: TreeEntry | undefined,
    o: TreeEntry,
    t: TreeEntry,
  ): Promise<TreeEntry | undefined> {
    const mode = o.mode === t.mode ? o.mode : b?.mode === o.mode ? t.mode : b?.mode === t.mode ? o.mode : null
    if (mode === null) return this.conflict(path, 'mode', o)
    if (o.oid === t.oid || b?.oid === t.oid) return { ...o, mode }
    if (b?.oid === o.oid) return { ...t, mode }
    if (b === undefined) return this.conflict(path, 'add/add', o)
    const [base, ours, theirs] = await Promise.all([b, o, t].map((e) => this.blob(e.oid)))
    const texts = [base, ours, theirs].map((bytes) => asText(bytes!))
    if (texts.some((x) => x === null)) return this.conflict(path, 'binary', o)
    const result = mergeText(texts[0]!, texts[1]!, texts[2]!)
    if (!result.clean) return this.conflict(path, 'content', o)
    const oid = await writeBlob(this.repo, encoder.encode(result.text))
    return { mode, path: name, oid, type: 'blob' }
  }

  async blob(oid: string): Promise<Uint8Array> {
    return (await objectReader(this.repo).read(oid)).content
  }

  /** Record a conflict (or settle it for our side) and carry on with our entry. */
  conflict(path: string, kind: ConflictKind, ours: TreeEntry | undefined): TreeEntry | undefined {
    if (this.oursWins(path)) this.keptOurs.push(path)
    else this.conflicts.push({ path, kind })
    return ours
  }
}

export async function mergeTrees(repo: Repository, input: TreeMergeInput): Promise<TreeMerge> {
  const merger = new TreeMerger(repo, input.oursWins ?? (() => false))
  const tree = (await merger.mergeDir('', input.base, input.ours, input.theirs)) ?? (await writeTree(repo, []))
  return { tree, conflicts: merger.conflicts, keptOurs: merger.keptOurs }
}
