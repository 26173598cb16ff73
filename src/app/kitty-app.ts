import type { ApplicationFunction, Context } from 'probot'
import type { DeliveryServices, InstallationOctokit, LogLike } from './handle-delivery.ts'
import { handleDelivery } from './handle-delivery.ts'

/**
 * The Probot application function: the three events SPEC §7 routes, each delivery handed to the
 * shared routing through handleDelivery. Probot has verified the signature before any of this runs.
 */
export function kittyApp(services: DeliveryServices): ApplicationFunction {
  return (app) => {
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
          octokit: context.octokit as unknown as InstallationOctokit,
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
