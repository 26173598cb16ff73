import { KittyError } from '../../core/errors.ts'

/** The four kinds of object git stores, as isomorphic-git names them. */
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag'

/** An object's type and its content, without the `<type> <size>\0` header. */
export interface RawObject {
  type: ObjectType
  content: Buffer
}

/**
 * The largest object any read inflates: commits, trees, and blobs read for merges, worktree syncs and
 * pushes. State files get much smaller limits (store/state-files/limits.ts); this one only keeps a hostile object
 * from taking the process's memory.
 */
export const MAX_OBJECT_BYTES = 256 * 1024 * 1024

/** A missing object, shaped as isomorphic-git's NotFoundError, which callers test for (a shallow boundary). */
export class ObjectNotFoundError extends Error {
  readonly code = 'NotFoundError'

  constructor(oid: string) {
    super(`Could not find ${oid}.`)
    this.name = 'NotFoundError'
  }
}

/** An object whose header declares more bytes than the reader was allowed to inflate. */
export class ObjectTooLargeError extends KittyError {
  readonly size: number
  readonly limit: number

  constructor(what: string, size: number, limit: number) {
    super('INPUT_TOO_LARGE', `Git object ${what} is ${size} bytes, over the ${limit}-byte limit`, {
      object: what,
      size_bytes: size,
      limit_bytes: limit,
    })
    this.name = 'ObjectTooLargeError'
    this.size = size
    this.limit = limit
  }
}
