import type { TreeEntry } from 'isomorphic-git'
import { KittyError } from '../../core/errors.ts'
import { objectReader } from './object-reader.ts'
import { parseCommit, parseTree } from './parse-objects.ts'
import { ObjectTooLargeError } from './raw-object.ts'
import type { Repository } from '../repository.ts'

export type { TreeEntry }

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

/**
 * The repository's files as of one commit, read tree by tree along the paths a command asks for:
 * never a checkout, never a walk of the whole tree, so cost follows the mission, not the repository.
 */
export class Snapshot {
  readonly repo: Repository
  /** Null for an unborn branch: every path is absent. */
  readonly commit: string | null
  readonly rootTree: string
  readonly #trees = new Map<string, Promise<TreeEntry[] | null>>()

  private constructor(repo: Repository, commit: string | null, rootTree: string) {
    this.repo = repo
    this.commit = commit
    this.rootTree = rootTree
  }

  static async at(repo: Repository, commit: string | null): Promise<Snapshot> {
    if (commit === null) return new Snapshot(repo, null, EMPTY_TREE)
    const { type, content } = await objectReader(repo).read(commit)
    if (type !== 'commit') throw new Error(`${commit} is a ${type}, not a commit`)
    return new Snapshot(repo, commit, parseCommit(content).tree)
  }

  /** Entries of the tree at `path` ('' is the root), or null when there is no tree there. */
  tree(path: string): Promise<TreeEntry[] | null> {
    let pending = this.#trees.get(path)
    if (!pending) {
      pending = this.#loadTree(path)
      this.#trees.set(path, pending)
    }
    return pending
  }

  async #loadTree(path: string): Promise<TreeEntry[] | null> {
    if (path === '') return this.commit === null ? [] : this.#readTree(this.rootTree)
    const entry = await this.entry(path)
    if (!entry || entry.type !== 'tree') return null
    return this.#readTree(entry.oid)
  }

  async #readTree(oid: string): Promise<TreeEntry[]> {
    const { type, content } = await objectReader(this.repo).read(oid)
    if (type !== 'tree') throw new Error(`${oid} is a ${type}, not a tree`)
    return parseTree(content)
  }

  /** The tree entry naming `path`, or null. */
  async entry(path: string): Promise<TreeEntry | null> {
    const cut = path.lastIndexOf('/')
    const parent = await this.tree(cut === -1 ? '' : path.slice(0, cut))
    const name = cut === -1 ? path : path.slice(cut + 1)
    return parent?.find((e) => e.path === name) ?? null
  }

  async blobOid(path: string): Promise<string | null> {
    const entry = await this.entry(path)
    return entry && entry.type === 'blob' ? entry.oid : null
  }

  /**
   * The file at `path`, or null. Every caller states the most it will take (store/state-files/limits.ts): the
   * blob's size is checked from its header, so an oversized file is refused before it is inflated.
   */
  async readBytes(path: string, maxBytes: number): Promise<Uint8Array | null> {
    const oid = await this.blobOid(path)
    if (!oid) return null
    try {
      return (await objectReader(this.repo).read(oid, maxBytes)).content
    } catch (err) {
      if (err instanceof ObjectTooLargeError) throw fileTooLarge(path, err.size, err.limit)
      throw err
    }
  }

  async readText(path: string, maxBytes: number): Promise<string | null> {
    const bytes = await this.readBytes(path, maxBytes)
    return bytes === null ? null : Buffer.from(bytes).toString('utf8')
  }
}

export function fileTooLarge(path: string, size: number, limit: number): KittyError {
  return new KittyError(
    'INPUT_TOO_LARGE',
    `${path} is ${size} bytes, larger than the ${limit}-byte limit for this file`,
    {
      path,
      size_bytes: size,
      limit_bytes: limit,
    },
  )
}

export { EMPTY_TREE }
