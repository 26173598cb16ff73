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
  destination(fd: number): NodeJS.WritableStream
}

export async function createAppLog(env: NodeJS.ProcessEnv): Promise<Logger> {
  const pino = fromProbot('pino') as PinoModule
  const { getTransformStream } = (await import(pathToFileURL(fromProbot.resolve('@probot/pino')).href)) as {
    getTransformStream(options: object): Promise<NodeJS.ReadWriteStream>
  }
  const transform = await getTransformStream({
    logFormat: env['LOG_FORMAT'],
    logLevelInString: env['LOG_LEVEL_IN_STRING'] === 'true',
    sentryDsn: env['SENTRY_DSN'],
  })
  transform.pipe(pino.destination(1))
  const root = pino(
    { level: env['LOG_LEVEL'] || 'info', name: LOG_NAME, messageKey: env['LOG_MESSAGE_KEY'] || 'msg' },
    transform,
  )
  const pinoChild = root.child
  // Children are created from their parent by prototype, so they inherit this `child` too.
  root.child = function child(this: Logger, bindings, options) {
    const { name: _dropped, ...kept } = bindings as Record<string, unknown>
    return pinoChild.call(this, kept, options)
  } as Logger['child']
  return root
}
