import * as core from '@actions/core'
import * as github from '@actions/github'
import { runAction } from './run-action.ts'

// The runner starts `node dist/index.js` with INPUT_*, GITHUB_* and the event file; this wires the
// real @actions modules into runAction, which tests drive with their own.
try {
  await runAction({
    getInput: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    setSecret: (value) => core.setSecret(value),
    setFailed: (message) => core.setFailed(message),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    writeSummary: async (markdown) => {
      await core.summary.addRaw(markdown, true).write()
    },
    env: process.env,
    cwd: process.cwd(),
    event: { name: github.context.eventName, payload: github.context.payload, sha: github.context.sha, actor: github.context.actor },
    // getOctokit honours GITHUB_API_URL (GitHub Enterprise Server) and the runner's proxy settings.
    octokit: (token) => github.getOctokit(token || 'none'),
  })
} catch (err) {
  core.setFailed(`Internal error: ${(err as Error)?.message ?? err}`)
}
// An idle keep-alive socket must not hold the step open after the outputs are written.
process.stdout.write('', () => process.exit(process.exitCode ?? 0))
