import type { OctokitLike, RepoName } from '../github/github-api.ts'

/**
 * A check run's status as GitHub has it now (`queued`, `in_progress`, `completed`, …), or null when the
 * run is gone (404: deleted with its repository, or never there). The recovery sweep asks before it
 * completes a run whose job did not record whether it was left open. Any other failure is thrown.
 */
export async function readCheckRunStatus(octokit: OctokitLike, where: RepoName, id: number): Promise<string | null> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}', {
      ...where,
      check_run_id: id,
    })
    const status = (data as { status?: unknown } | null)?.status
    // Not taken for open: a completion written on a guess could overwrite the run's real outcome.
    if (typeof status !== 'string') throw new Error(`GitHub answered check run ${id} without a status`)
    return status
  } catch (err) {
    if ((err as { status?: unknown } | null)?.status === 404) return null
    throw err
  }
}
