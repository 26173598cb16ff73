import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Logger } from 'probot'

/**
 * The App's one root logger. Probot builds its own pino with `name: "probot"` and then binds `name`
 * again in every child it makes (`probot`, `octokit`, `github`, `event`); pino appends each binding,
 * so a JSON line carried the key three times, which strict ingesters (Elasticsearch) refuse. Here the
 * root is built as Probot builds it (same pino, same transform: LOG_FORMAT, LOG_LEVEL_IN_STRING,
 * SENTRY_DSN), and `child` drops a `name` binding, so every line has exactly the root's `name`.
 */

export const LOG_NAME = 'kitty-github'

// Probot's own copies, resolved from Probot's folder: the versions it was tested with, no new package.
const fromProbot = createRequire(fileURLToPath(import.meta.resolve('probot')))

interface PinoModule {
  (options: object, stream: NodeJS.WritableStream): Logger
  destination(options: { dest: number; minLength: number; maxWrite: number }): NodeJS.WritableStream
}

/**
 * Standard output, written asynchronously. Lines logged while a write is in flight are joined into one
 * pending string, whose UTF-8 length sonic-boom measures again on every line: at its default 16 KiB per
 * write that measuring was a tenth of the receiving thread's time in a 500-delivery burst; 4 KiB bounds it.
 */
const output = (pino: PinoModule, fd: number) => pino.destination({ dest: fd, minLength: 0, maxWrite: 4096 })

/** `fd`: standard output, or (the receiver's warm-up, warm-up/warm-up-receiver.ts) /dev/null. */
export async function createAppLog(env: NodeJS.ProcessEnv, fd = 1): Promise<Logger> {
  const pino = fromProbot('pino') as PinoModule
  const options = { level: env['LOG_LEVEL'] || 'info', name: LOG_NAME, messageKey: env['LOG_MESSAGE_KEY'] || 'msg' }
  // Probot's transform passes JSON lines through unchanged unless it must rewrite them (level names,
  // Sentry): then pino writes them itself, without a stream per line between.
  const plain = env['LOG_FORMAT'] === 'json' && env['LOG_LEVEL_IN_STRING'] !== 'true' && !env['SENTRY_DSN']
  const root = plain ? pino(options, output(pino, fd)) : await throughProbotTransform(pino, options, env, fd)
  const pinoChild = root.child
  // Children are created from their parent by prototype, so they inherit this `child` too.
  root.child = function child(this: Logger, bindings, options) {
    const { name: _dropped, ...kept } = bindings as Record<string, unknown>
    return pinoChild.call(this, kept, options)
  } as Logger['child']
  return root
}

/** Probot's pretty format, level names in strings, or Sentry: its own transform stream does those. */
async function throughProbotTransform(
  pino: PinoModule,
  options: object,
  env: NodeJS.ProcessEnv,
  fd: number,
): Promise<Logger> {
  const { getTransformStream } = (await import(pathToFileURL(fromProbot.resolve('@probot/pino')).href)) as {
    getTransformStream(options: object): Promise<NodeJS.ReadWriteStream>
  }
  const transform = await getTransformStream({
    logFormat: env['LOG_FORMAT'],
    logLevelInString: env['LOG_LEVEL_IN_STRING'] === 'true',
    sentryDsn: env['SENTRY_DSN'],
  })
  transform.pipe(output(pino, fd))
  return pino(options, transform)
}
