import type { IncomingMessage } from 'node:http'

export type BodyRead =
  | { kind: 'complete'; chunks: Buffer[]; size: number }
  | { kind: 'too-large'; size: number }
  | { kind: 'aborted' }

/**
 * A request body as the chunks that arrived, at most `max` bytes in all. Memory follows the bytes
 * received, never the Content-Length announced: a client may announce 25 MB on many sockets and send
 * nothing. Past `max` the chunks are dropped and the stream paused, so the rest is never read.
 */
export function readWebhookBody(req: IncomingMessage, max: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    let chunks: Buffer[] = []
    let size = 0
    const finish = (result: BodyRead) => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onAborted)
      req.off('close', onClose)
      resolve(result)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= max) return void chunks.push(chunk)
      chunks = []
      req.pause()
      finish({ kind: 'too-large', size })
    }
    const onEnd = () => finish({ kind: 'complete', chunks, size })
    const onAborted = () => finish({ kind: 'aborted' })
    // 'close' also follows a complete body ('end' has settled it by then); before 'end' it is a client gone.
    const onClose = () => (req.complete ? undefined : onAborted())
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onAborted)
    req.on('close', onClose)
  })
}

/** The body as text, chunk by chunk (no second copy of the bytes); the chunks are released as it goes. */
export function decodeWebhookBody(chunks: Buffer[]): string {
  const decoder = new TextDecoder('utf-8', { fatal: false })
  let text = ''
  for (let chunk = chunks.shift(); chunk !== undefined; chunk = chunks.shift())
    text += decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}
