import { constants, inflateSync } from 'node:zlib'

/**
 * Inflate what `data` holds of a zlib stream, producing at most `maxOutput` bytes. Sync flush: a chunk
 * that stops mid-stream yields what it holds instead of throwing; the output bound turns a stream that
 * is longer than its header said into an error instead of an allocation.
 */
export function inflateAtMost(data: Buffer, maxOutput: number): Buffer {
  try {
    return inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, maxOutput) })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(
        `corrupt object: its zlib stream inflates to more than the ${maxOutput} bytes its header declares`,
      )
    }
    throw err
  }
}

/** zlib's compressBound: the most a stream of `n` bytes can take compressed. */
export function compressBound(n: number): number {
  return n + (n >> 12) + (n >> 14) + (n >> 25) + 13
}
