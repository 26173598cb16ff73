import type { Probot } from 'probot'
import type { OctokitLike } from '../github/github-api.ts'
import type { DeliveryServices, LogLike } from './handle-delivery.ts'
import { handleDelivery } from './handle-delivery.ts'
import { InstallationTokens } from './installation-token.ts'
import type { DeliveryHandler } from './queue/delivery-queue.ts'
import { ReplyBudget } from './reply-budget.ts'

/**
 * The queue's worker: one job = one delivery the webhook endpoint verified and recorded, handed to the
 * shared routing through handleDelivery. The REST client is `probot.auth(installationId)`'s, whose
 * throttle is keyed by the installation, so one installation's pace never holds back another's.
 * A thrown error is the queue's cue to retry the job later.
 */
export function kittyWorker(probot: Probot, services: DeliveryServices): DeliveryHandler {
  const tokens = new InstallationTokens(async () => (await probot.auth()) as unknown as OctokitLike)
  const replies = services.replies ?? new ReplyBudget()
  const base = probot.log as unknown as LogLike
  return async (job) => {
    const { delivery } = job
    const log = base.child({ attempt: job.attempt })
    let payload: unknown
    try {
      payload = JSON.parse(delivery.body)
    } catch {
      return log.warn({ delivery: delivery.id, event: delivery.event }, 'ignored: the recorded body is not JSON')
    }
    const octokit = (await probot.auth(delivery.installationId)) as unknown as OctokitLike
    await handleDelivery(
      {
        id: delivery.id,
        name: delivery.event,
        payload,
        octokit,
        gitToken: (installation, repository) => tokens.get(installation, repository),
        log,
        job,
      },
      { ...services, replies },
    )
    log.info(
      { delivery: delivery.id, event: delivery.event, ms_since_receipt: Date.now() - delivery.receivedAt },
      'delivery done',
    )
  }
}
