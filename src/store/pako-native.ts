import { deflateSync, inflateSync } from 'node:zlib'
// Streaming inflate stays pako's: isomorphic-git needs its `avail_in` bookkeeping when indexing packs.
import { Inflate } from 'pako/lib/inflate.js'

/**
 * Bundled in place of `pako` for isomorphic-git: one-shot inflate/deflate go to Node's native zlib,
 * several times faster than pure-JS pako on a cold process (every object read is an inflate).
 * zlib, like pako, stops at the end of the stream and ignores trailing pack bytes.
 */
export default {
  inflate: (data: Uint8Array): Uint8Array => inflateSync(data),
  deflate: (data: Uint8Array): Uint8Array => deflateSync(data),
  Inflate,
}
