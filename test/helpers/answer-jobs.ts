import { getOctokit } from '@actions/github'
import { join } from 'node:path'
import type { OctokitLike, RepoName } from '../../src/github/github-api.ts'
import type { Delivery, DeliveryHandler, DeliveryQueue, JobRecord } from '../../src/app/queue/delivery-queue.ts'
import { openEmbeddedQueue } from '../../src/app/queue/open-embedded-queue.ts'
import { delivery, until } from '../app/queue/delivery-queue.contract.ts'
import { tempDir } from './git-repo.ts'

/**
 * In-process pieces for the App's answer steps (durable-answers.ts, sweep-abandoned.ts): a real
 * embedded queue on a temporary file whose jobs run a test's handler, and a real Octokit talking to the
 * REST stand-in (checked against GitHub's description).
 */

export const WHERE: RepoName = { owner: 'octo-org', repo: 'project' }

/** A real Octokit on the stand-in: the REST calls go over HTTP, as the App's do. */
export function standInOctokit(restUrl: string): OctokitLike {
  return getOctokit('ghs_AnswerJobsTestToken', { baseUrl: restUrl }) as unknown as OctokitLike
}

export interface JobQueue {
  queue: DeliveryQueue
  /** Enqueue one delivery of the project repository; resolves with its record once done or failed. */
  run(handler: DeliveryHandler, overrides?: Partial<Delivery>): Promise<JobRecord>
}

/** Queues that retry quickly; `maxAttempts` runs before a job is failed. Close them with `queue.close()`. */
export function jobQueue(maxAttempts: number): JobQueue {
  const handlers = new Map<string, DeliveryHandler>()
  const queue = openEmbeddedQueue({
    file: join(tempDir('kitty-answers-'), 'q.sqlite'),
    pollMs: 20,
    retry: { maxAttempts, backoffBaseMs: 10, backoffMaxMs: 10 },
  })
  queue.start((job) => handlers.get(job.delivery.id)!(job), { concurrency: 1 })
  return {
    queue,
    async run(handler, overrides = {}) {
      const d = delivery({ repository: 'octo-org/project', installationId: 4242, ...overrides })
      handlers.set(d.id, handler)
      await queue.enqueue(d)
      const ended = async () => ['done', 'failed'].includes((await queue.inspect(d.id))?.state ?? '')
      await until(`job ${d.id} ended`, ended)
      return (await queue.inspect(d.id))!
    },
  }
}
