import type { ApplicationFunction, Context } from 'probot'
import type { OctokitLike } from '../github/github-api.ts'
import type { DeliveryServices, LogLike } from './handle-delivery.ts'
import { handleDelivery } from './handle-delivery.ts'
import { InstallationTokens } from './installation-token.ts'

/**
 * The Probot application function: the three events SPEC §7 routes, each delivery handed to the
 * shared routing through handleDelivery. receive-webhook.ts has verified the signature (HMAC over the
 * raw body) and that the payload is a JSON object before any of this runs.
 */
export function kittyApp(services: DeliveryServices): ApplicationFunction {
  return (app) => {
    const tokens = new InstallationTokens(async () => (await app.auth()) as unknown as OctokitLike)
    app.onAny(async (context) => {
      const action = (context.payload as { action?: unknown }).action
      services.metrics.deliveries.inc({ event: context.name, action: typeof action === 'string' ? action : '' })
    })
    const route = async (context: Context) => {
      await handleDelivery(
        {
          id: context.id,
          name: context.name,
          payload: context.payload,
          octokit: context.octokit as unknown as OctokitLike,
          gitToken: () => {
            const installation = (context.payload as { installation?: { id?: unknown } }).installation?.id
            const repository = (context.payload as { repository?: { name?: unknown } }).repository?.name
            if (typeof installation !== 'number' || typeof repository !== 'string')
              return Promise.reject(new Error('the payload names no installation'))
            return tokens.get(installation, repository)
          },
          log: context.log as unknown as LogLike,
        },
        services,
      )
    }
    app.on('issue_comment.created', route)
    app.on('pull_request_review.submitted', route)
    app.on('pull_request.labeled', route)
  }
}
