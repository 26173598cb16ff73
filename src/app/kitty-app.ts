import type { ApplicationFunction, Context } from 'probot'
import type { OctokitLike } from '../github/github-api.ts'
import { readAction } from '../github/read-event.ts'
import type { DeliveryServices, LogLike } from './handle-delivery.ts'
import { handleDelivery } from './handle-delivery.ts'
import { InstallationTokens } from './installation-token.ts'
import { ReplyBudget } from './reply-budget.ts'

/**
 * The Probot application function: the three events the App routes (docs/design.md#the-github-app), each delivery
 * handed to the shared routing through handleDelivery. receive-webhook.ts has verified the signature (HMAC over the
 * raw body) and that the payload is a JSON object before any of this runs.
 */
export function kittyApp(services: DeliveryServices): ApplicationFunction {
  return (app) => {
    const tokens = new InstallationTokens(async () => (await app.auth()) as unknown as OctokitLike)
    const replies = services.replies ?? new ReplyBudget()
    app.onAny(async (context) => {
      services.metrics.deliveries.inc({ event: context.name, action: readAction(context.payload) })
    })
    const route = async (context: Context) => {
      await handleDelivery(
        {
          id: context.id,
          name: context.name,
          payload: context.payload,
          octokit: context.octokit as unknown as OctokitLike,
          gitToken: (installation, repository) => tokens.get(installation, repository),
          log: context.log as unknown as LogLike,
        },
        { ...services, replies },
      )
    }
    app.on('issue_comment.created', route)
    app.on('pull_request_review.submitted', route)
    app.on('pull_request.labeled', route)
    // A staging pull request of merge.via: pull_request merged or closed (read-event routes only kitty/merge/ heads).
    app.on('pull_request.closed', route)
  }
}
