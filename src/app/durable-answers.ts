import type { CheckRunRequest, GithubApi, OctokitLike, RepoName } from '../github/github-api.ts'
import type { DeliveryJob } from './queue/delivery-queue.ts'
import { runStep } from './queue/run-step.ts'

/**
 * The App's answers as durable steps of the delivery's job: each write to GitHub is saved once it is
 * made, so the retry of a job cut short (a crash, a failed publish) skips what already landed instead
 * of answering twice. A check run also carries `external_id` = delivery id + its step, and a retry looks
 * for it on the head commit before creating one, which covers a crash between the write and the save.
 */

interface SavedRun {
  id: number | null
  url: string | null
}

interface ListedRun {
  id?: unknown
  html_url?: unknown
  external_id?: unknown
}

/** GET /commits/{ref}/check-runs filters by name only; the external_id is matched here. */
async function findCheckRun(
  octokit: OctokitLike,
  where: RepoName,
  run: CheckRunRequest,
  externalId: string,
): Promise<SavedRun | null> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
    ...where,
    ref: run.head_sha,
    check_name: run.name,
    filter: 'all',
    per_page: 100,
  })
  const runs = ((data as { check_runs?: ListedRun[] } | null)?.check_runs ?? []) as ListedRun[]
  const found = runs.find((r) => r.external_id === externalId && typeof r.id === 'number')
  if (!found) return null
  return { id: found.id as number, url: typeof found.html_url === 'string' ? found.html_url : null }
}

export function durableAnswers(api: GithubApi, octokit: OctokitLike, where: RepoName, job: DeliveryJob): GithubApi {
  // The same plan makes the same calls in the same order on every attempt, so a count names each one.
  const counts = new Map<string, number>()
  const stepName = (kind: string) => {
    const n = counts.get(kind) ?? 0
    counts.set(kind, n + 1)
    return `${kind}#${n}`
  }
  return {
    ...api,
    async createCheckRun(run) {
      const name = stepName(`check-run:${run.name}`)
      const externalId = `${job.delivery.id}/${name}`.slice(0, 200)
      return runStep<SavedRun>(job, name, async () => {
        const earlier = job.attempt > 1 ? await findCheckRun(octokit, where, run, externalId) : null
        if (!earlier) return api.createCheckRun({ ...run, external_id: externalId })
        // Created by an attempt that died before saving it: bring it to this attempt's state.
        if (earlier.id !== null) {
          const { name: _, head_sha: __, ...rest } = run
          await api.updateCheckRun(earlier.id, rest)
        }
        return earlier
      })
    },
    async createComment(issueNumber, body) {
      await runStep(job, stepName(`reply:${issueNumber}`), () => api.createComment(issueNumber, body))
    },
    async addReaction(commentId, content) {
      await runStep(job, stepName(`reaction:${commentId}`), () => api.addReaction(commentId, content))
    },
    async removeLabel(issueNumber, label) {
      await runStep(job, stepName(`label:${issueNumber}`), () => api.removeLabel(issueNumber, label))
    },
  }
}
