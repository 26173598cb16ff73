import { deflateSync, inflateSync } from 'node:zlib'

/**
 * pako's streaming `Inflate`, as isomorphic-git's pack indexing uses it (`push`, `result`, `err`,
 * `msg`, `strm.avail_in`), on native zlib. Indexing a fetched pack inflates every object through it;
 * in pure-JS pako that was the largest cost of a cold Action step on the corpus, and evaluating pako
 * at all cost a cold start more. One `inflateSync` per push over what is buffered: zlib stops at the
 * end of the object's stream, and `bytesWritten` says how much input it consumed, which is what
 * `avail_in` tells the caller about the last chunk. isomorphic-git hands the whole pack over as one
 * chunk, so an object is inflated once; a stream split over chunks is re-inflated from its start.
 */
class NativeInflate {
  result: Uint8Array | undefined = undefined
  err = 0
  msg = ''
  strm = { avail_in: 0 }
  private pending: Buffer[] = []
  private pendingBytes = 0

  push(chunk: Uint8Array, _flush?: boolean): boolean {
    const piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const before = this.pendingBytes
    this.pending.push(piece)
    this.pendingBytes += piece.length
    const input = this.pending.length === 1 ? piece : Buffer.concat(this.pending, this.pendingBytes)
    try {
      const { buffer, engine } = inflateSync(input, { info: true }) as unknown as {
        buffer: Buffer
        engine: { bytesWritten: number }
      }
      this.result = buffer
      this.strm.avail_in = piece.length - (engine.bytesWritten - before)
      this.pending = []
      return true
    } catch (err) {
      // Z_BUF_ERROR: the stream goes on in the next chunk. Anything else is a corrupt object.
      if ((err as { code?: string }).code === 'Z_BUF_ERROR') return true
      this.err = (err as { errno?: number }).errno ?? -3
      this.msg = (err as Error).message
      return false
    }
  }
}

/**
 * Bundled in place of `pako` for isomorphic-git: one-shot and streaming inflate and deflate go to
 * Node's native zlib, several times faster than pure-JS pako on a cold process (every object read is
 * an inflate). zlib, like pako, stops at the end of the stream and ignores trailing pack bytes.
 */
export default {
  inflate: (data: Uint8Array): Uint8Array => inflateSync(data),
  deflate: (data: Uint8Array): Uint8Array => deflateSync(data),
  Inflate: NativeInflate,
}
