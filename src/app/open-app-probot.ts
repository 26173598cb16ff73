import { createProbot } from 'probot'
import type { Probot } from 'probot'
import { cacheRoot } from './app-environment.ts'
import { createAppLog } from './app-log.ts'
import type { LogLike } from './handle-delivery.ts'
import type { OpenedQueue } from './queue/open-delivery-queue.ts'
import { openDeliveryQueue } from './queue/open-delivery-queue.ts'

/**
 * What both of the App's threads open the same way: a loaded Probot with the App's logger, and the
 * delivery queue from the environment, its connection problems logged as warnings.
 */
export async function openAppProbot(env: NodeJS.ProcessEnv): Promise<Probot> {
  // Probot's own default is warn; the App's one line per command is info, and operators want it.
  const probot = createProbot({ env: { LOG_LEVEL: 'info', ...env }, overrides: { log: await createAppLog(env) } })
  // Probot initializes (its logger, its Octokit class) asynchronously; load() is how to wait for it.
  await probot.load(() => undefined)
  return probot
}

export function openAppQueue(env: NodeJS.ProcessEnv, log: LogLike): OpenedQueue {
  return openDeliveryQueue(env, cacheRoot(env), (err) =>
    log.warn({ reason: err.message.split('\n')[0] }, 'delivery queue: connection problem'),
  )
}
