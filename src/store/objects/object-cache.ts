import type { TreeEntry } from 'isomorphic-git'
import { objectReader } from './object-reader.ts'
import type { CommitObject } from './parse-objects.ts'
import { parseCommitObject, parseTree } from './parse-objects.ts'
import type { Repository } from '../repository.ts'

/**
 * Parsed commits and trees by oid, for one command: a merge reads the same commits and trees many
 * times (merge bases, replays, tree merges). Objects are immutable, so a
 * cache keyed by oid can never be stale; it lives as long as the command's `repo.cache`.
 */

interface ObjectCache {
  commits: Map<string, Promise<CommitObject>>
  trees: Map<string, Promise<TreeEntry[]>>
}

const caches = new WeakMap<object, ObjectCache>()

function cacheOf(repo: Repository): ObjectCache {
  let cache = caches.get(repo.cache)
  if (!cache) {
    cache = { commits: new Map(), trees: new Map() }
    caches.set(repo.cache, cache)
  }
  return cache
}

function memo<T>(map: Map<string, Promise<T>>, oid: string, load: () => Promise<T>): Promise<T> {
  let pending = map.get(oid)
  if (!pending) {
    pending = load()
    // A failed read is not cached: the object may yet arrive (a concurrent fetch).
    pending.catch(() => map.delete(oid))
    map.set(oid, pending)
  }
  return pending
}

export function readCommitObject(repo: Repository, oid: string): Promise<CommitObject> {
  return memo(cacheOf(repo).commits, oid, async () => parseCommitObject((await objectReader(repo).read(oid)).content))
}

export function readTreeEntries(repo: Repository, oid: string): Promise<TreeEntry[]> {
  return memo(cacheOf(repo).trees, oid, async () => parseTree((await objectReader(repo).read(oid)).content))
}
