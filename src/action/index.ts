import * as core from '@actions/core'
import type { OctokitLike } from '../github/github-api.ts'
import { doWhileWaiting } from '../store/remote/idle-work.ts'
import { escapeLogLine } from './escape-log-line.ts'
import { readWorkflowEvent } from './read-workflow-event.ts'
import { runAction } from './run-action.ts'

/**
 * Octokit from `@actions/github` (it honours GITHUB_API_URL, so GitHub Enterprise Server works, and the
 * runner's proxy settings), loaded on the first REST call: the module brings undici, whose evaluation
 * is most of the bundle's start, and many steps (contract-version, `check-run: false`) make no call.
 */
function lazyOctokit(token: string): OctokitLike {
  let client: Promise<OctokitLike> | null = null
  const load = () => (client ??= import('@actions/github').then((github) => github.getOctokit(token || 'none')))
  // Most steps end with a check run: evaluate the module while git fetches, not after.
  doWhileWaiting(load)
  return {
    request: async (route, params) => (await load()).request(route, params),
  }
}

// The runner starts `node dist/index.js` with INPUT_*, GITHUB_* and the event file; this wires the
// real @actions/core into runAction, which tests drive with their own.
try {
  await runAction({
    getInput: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    setSecret: (value) => core.setSecret(value),
    setFailed: (message) => core.setFailed(message),
    info: (message) => core.info(escapeLogLine(message)),
    warning: (message) => core.warning(message),
    writeSummary: async (markdown) => {
      await core.summary.addRaw(markdown, true).write()
    },
    env: process.env,
    cwd: process.cwd(),
    event: readWorkflowEvent(process.env),
    octokit: lazyOctokit,
  })
} catch (err) {
  core.setFailed(`Internal error: ${(err as Error)?.message ?? err}`)
}
// An idle keep-alive socket must not hold the step open after the outputs are written.
process.stdout.write('', () => process.exit(process.exitCode ?? 0))
