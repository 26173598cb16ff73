import type { Repository } from '../repository.ts'
import { readObjectLoose } from './read-object-loose.ts'
import { PackedObjects } from './read-object-packed.ts'
import type { RawObject } from './raw-object.ts'
import { MAX_OBJECT_BYTES, ObjectNotFoundError, ObjectTooLargeError } from './raw-object.ts'

const EMPTY_TREE_OID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

/**
 * Reads git objects the way a command that needs a few dozen of them should: a loose object is one
 * small file (read-object-loose.ts); a packed one is a binary search in the pack's .idx and one
 * positional read of the .pack (read-object-packed.ts).
 *
 * Why not isomorphic-git's reader: on a cold process it reads the whole packfile into memory, checks
 * its SHA-1 and parses the entire index into a Map before returning the first object — 86 MB and
 * ~400 ms on a 20,000-commit repository, whatever the command asks for. Writes still go through
 * isomorphic-git.
 *
 * Every read is bounded: an object's size is known before it is inflated (the loose header, the pack
 * entry header, a delta's result-size header), so a blob of gigabytes of zeros that compresses to a
 * few megabytes is refused with INPUT_TOO_LARGE without ever being inflated.
 */
export class ObjectReader {
  readonly #gitdir: string
  readonly #packs: PackedObjects

  constructor(repo: Repository) {
    this.#gitdir = repo.gitdir
    this.#packs = new PackedObjects(repo.gitdir, (oid) => readObjectLoose(repo.gitdir, oid, MAX_OBJECT_BYTES))
  }

  /**
   * The object `oid`, refused with INPUT_TOO_LARGE (ObjectTooLargeError) when it holds more than
   * `maxBytes`: the size is read from the object's header, before anything is inflated.
   */
  async read(oid: string, maxBytes = MAX_OBJECT_BYTES): Promise<RawObject> {
    // git's order: the packs (an in-memory search of their indexes), then the loose file, then the packs
    // again in case a fetch added one. Loose first cost a failed open() per object of a packed history:
    // a third of the CPU of a 20,000-commit `history` walk (BENCHMARKS.md, "history on long histories").
    const found =
      this.#packs.read(oid, maxBytes) ??
      readObjectLoose(this.#gitdir, oid, maxBytes) ??
      this.#packs.readAfterRescan(oid, maxBytes) ??
      builtIn(oid)
    // A cached read (a delta base) may have been inflated under a larger limit.
    if (found.content.length > maxBytes) throw new ObjectTooLargeError(oid, found.content.length, maxBytes)
    return found
  }

  /** Release file descriptors (a command opens each pack at most once). */
  close(): void {
    this.#packs.close()
  }
}

/**
 * Objects no file holds. The empty tree is one git answers for without storing it; anything else is
 * missing. (isomorphic-git's reader is no fallback: it inflates whole objects, unbounded, and knows
 * no layout this one does not.)
 */
function builtIn(oid: string): RawObject {
  if (oid === EMPTY_TREE_OID) return { type: 'tree', content: Buffer.alloc(0) }
  throw new ObjectNotFoundError(oid)
}

/** Whether the repository holds `oid` as a commit (false when it has no such object). */
export async function hasCommit(repo: Repository, oid: string): Promise<boolean> {
  return objectReader(repo)
    .read(oid)
    .then(
      (o) => o.type === 'commit',
      () => false,
    )
}

const readers = new WeakMap<object, ObjectReader>()

/** The reader of one repository for one command (keyed by its isomorphic-git cache object). */
export function objectReader(repo: Repository): ObjectReader {
  let reader = readers.get(repo.cache)
  if (!reader) {
    reader = new ObjectReader(repo)
    readers.set(repo.cache, reader)
  }
  return reader
}
