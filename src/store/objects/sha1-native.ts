import { createHash } from 'node:crypto'
import type { BinaryLike, BinaryToTextEncoding, Hash } from 'node:crypto'

/**
 * isomorphic-git's `sha.js/sha1.js`, backed by Node's native SHA-1 (the build maps the import here).
 * isomorphic-git otherwise hashes through WebCrypto, one awaited call per object, which is most of
 * its pack indexing time on a first fetch.
 */
export default class Sha1 {
  readonly #hash: Hash = createHash('sha1')

  update(data: BinaryLike, encoding?: BufferEncoding): this {
    if (typeof data === 'string' && encoding) this.#hash.update(data, encoding)
    else this.#hash.update(data)
    return this
  }

  digest(): Buffer
  digest(encoding: BinaryToTextEncoding): string
  digest(encoding?: BinaryToTextEncoding): Buffer | string {
    return encoding ? this.#hash.digest(encoding) : this.#hash.digest()
  }
}
