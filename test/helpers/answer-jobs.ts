import { getOctokit } from '@actions/github'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { durableAnswers } from '../../src/app/durable-answers.ts'
import type { LogLike } from '../../src/app/handle-delivery.ts'
import type { GithubApi, OctokitLike, RepoName } from '../../src/github/github-api.ts'
import { octokitApi } from '../../src/github/github-api.ts'
import type {
  Delivery,
  DeliveryHandler,
  DeliveryJob,
  DeliveryQueue,
  JobRecord,
} from '../../src/app/queue/delivery-queue.ts'
import { openEmbeddedQueue } from '../../src/app/queue/open-embedded-queue.ts'
import { delivery, until } from '../app/queue/delivery-queue.contract.ts'
import { cleanupTempDirs, tempDir } from './git-repo.ts'
import { recordingLog } from './recording-log.ts'
import type { RestStandIn } from './rest-stand-in.ts'
import { startRestStandIn } from './rest-stand-in.ts'

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

/**
 * `job`'s answers as the App gives them (durable steps), through a real Octokit on the stand-in; what
 * they log goes to `log` (nowhere by default).
 */
export function standInAnswers(restUrl: string, job: DeliveryJob, log: LogLike = recordingLog([])): GithubApi {
  const octokit = standInOctokit(restUrl)
  return durableAnswers(octokitApi(octokit, WHERE), octokit, WHERE, job, log)
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

export interface AnswerJobs {
  rest: RestStandIn
  /** The running test's queue: empty at its start, closed after it. */
  jobs: JobQueue
}

/** One stand-in for the file, wiped before each test, and a fresh queue of `maxAttempts` for each test. */
export function useAnswerJobs(maxAttempts: number): AnswerJobs {
  const fx = {} as AnswerJobs
  beforeAll(async () => {
    fx.rest = await startRestStandIn()
  })
  afterAll(async () => {
    await fx.rest.close()
    cleanupTempDirs()
  })
  beforeEach(() => {
    fx.rest.reset()
    fx.jobs = jobQueue(maxAttempts)
  })
  afterEach(async () => {
    await fx.jobs.queue.close()
  })
  return fx
}
