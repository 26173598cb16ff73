/**
 * A person acting on GitHub (a comment, a review, a label, a workflow input) has no orchestrator
 * policy of their own; the contract still wants one recorded, so the surface records this
 * (docs/design.md#a-person-on-github-has-no-policy).
 */

/** Kept in step with package.json by the release; it lands in the Kitty-Policy trailer only. */
export const KITTY_GITHUB_VERSION = '0.1.0'

export type GithubSurface = 'kitty-github/action' | 'kitty-github/app'

export function humanPolicy(orchestratorId: GithubSurface): string {
  return JSON.stringify({
    orchestrator_id: orchestratorId,
    orchestrator_version: KITTY_GITHUB_VERSION,
    agent_family: 'human',
    approval_mode: 'manual',
    sandbox_mode: 'none',
    network_mode: 'none',
    dangerous_flags: [],
  })
}
