import type { Board } from '../core/build-board.ts'
import { makeFailure, newCorrelationId } from '../core/envelope.ts'
import type { Envelope } from '../core/envelope.ts'
import { toKittyError, UsageError } from '../core/errors.ts'
import type { GithubApi, OctokitLike } from '../github/github-api.ts'
import { describeApiError, octokitApi, rateLimitOf } from '../github/github-api.ts'
import type { StepOutcome } from '../github/handle-event.ts'
import { handleEvent, openPullForRun, publishesCheckRun } from '../github/handle-event.ts'
import { humanPolicy } from '../github/human-policy.ts'
import { completedCheckRun, renderOutcome } from '../github/render-outcome.ts'
import { runCommandArgs } from '../surface/run-command-args.ts'
import { composeReply } from '../github/compose-reply.ts'
import type { ExecutedCommand } from '../surface/execute-command.ts'
import type { ContextLocation, SurfaceEnvironment } from '../surface/open-context.ts'
import { inputsToArgs } from './inputs-to-args.ts'
import type { GetInput } from './read-inputs.ts'
import { readInputs } from './read-inputs.ts'
import { outputsOf } from './action-outputs.ts'
import { adviseActionUsers } from './advise-action-users.ts'
import { escapeMarkdown } from '../github/escape-markdown.ts'
import { setupCli } from './setup-cli.ts'

/**
 * The Action: inputs (or, with `command: auto`, the triggering event) → engine requests on
 * `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git` through the remote layer → outputs, job summary,
 * check runs. Everything the runner provides comes in through `ActionIo`, so tests inject it.
 */

export interface WorkflowEvent {
  name: string
  payload: unknown
  sha: string
  actor: string
}

export interface ActionIo {
  getInput: GetInput
  setOutput(name: string, value: string): void
  setSecret(value: string): void
  setFailed(message: string): void
  info(message: string): void
  warning(message: string): void
  writeSummary(markdown: string): Promise<void>
  env: NodeJS.ProcessEnv
  cwd: string
  event: WorkflowEvent
  octokit(token: string): OctokitLike
}

const ACTION_POLICY = humanPolicy('kitty-github/action')

interface Published {
  command: string
  outcome:
    | StepOutcome
    | { envelope: Envelope; commit: string | null; step?: undefined; board?: Board | null | undefined }
  headSha: string | null
}

/** The engine's environment: the runner's, plus a commit identity GitHub shows as the Actions bot. */
function engineEnvironment(io: ActionIo): SurfaceEnvironment {
  const env: NodeJS.ProcessEnv = { ...io.env }
  env['GIT_COMMITTER_NAME'] ??= 'github-actions[bot]'
  env['GIT_COMMITTER_EMAIL'] ??= '41898282+github-actions[bot]@users.noreply.github.com'
  if (env['KITTY_CACHE_DIR'] === undefined && env['RUNNER_TEMP'])
    env['KITTY_CACHE_DIR'] = `${env['RUNNER_TEMP']}/kitty-github`
  return { env, cwd: io.cwd }
}

/**
 * The engine's context, for the settings of an event or a merge's pull request. Imported on use, as
 * commands import it (surface/execute-command.ts): a step that runs contract-version loads no store.
 */
async function openEngineContext(where: ContextLocation, io: SurfaceEnvironment) {
  const { openContext } = await import('../surface/open-context.ts')
  return openContext(where, io, newCorrelationId())
}

function repositoryOf(env: NodeJS.ProcessEnv): { url: string; owner: string; repo: string } {
  const server = (env['GITHUB_SERVER_URL'] ?? 'https://github.com').replace(/\/+$/, '')
  const full = env['GITHUB_REPOSITORY'] ?? ''
  const [owner, repo, extra] = full.split('/')
  if (!owner || !repo || extra !== undefined)
    throw new UsageError(
      `GITHUB_REPOSITORY must be <owner>/<repo>, not '${full.slice(0, 100)}'. Run the Action inside a workflow.`,
    )
  return { url: `${server}/${full}.git`, owner, repo }
}

function runOne(
  command: string,
  args: string[],
  where: ContextLocation,
  engineIo: SurfaceEnvironment,
  correlationId: string,
): Promise<ExecutedCommand> {
  return runCommandArgs(command, args, where, engineIo, correlationId)
}

export async function runAction(io: ActionIo): Promise<void> {
  const token = io.getInput('token')
  // First, before anything can print it: the runner masks this value in every log line from here on.
  if (token) io.setSecret(token)
  if (io.getInput('command').trim() === 'setup') return runSetup(io)
  const engineIo = engineEnvironment(io)
  const published: Published[] = []
  let skipped: string | null = null
  let inputs = null
  let api: GithubApi | null = null
  try {
    inputs = readInputs(io.getInput)
    const repository = repositoryOf(io.env)
    api = octokitApi(io.octokit(token), { owner: repository.owner, repo: repository.repo })
    const where: ContextLocation = { remote: repository.url, token: token || undefined }
    if (inputs.command === 'auto') {
      const result = await handleEvent(io.event.name, io.event.payload, {
        api,
        readConfig: async () => {
          const opened = await openEngineContext(where, engineIo)
          try {
            return opened.ctx.config
          } finally {
            await opened.release()
          }
        },
        run: (command, args, idempotencyKey) =>
          runOne(command, args, { ...where, idempotencyKey }, engineIo, newCorrelationId()),
        policyJson: inputs.flags.policy ?? ACTION_POLICY,
        correlationId: newCorrelationId,
        warn: io.warning,
      })
      skipped = result.skipped
      for (const outcome of result.outcomes)
        published.push({ command: outcome.step.command, outcome, headSha: result.pull?.headSha ?? null })
      if ((result.intent.kind === 'comment' || result.intent.kind === 'staging-closed') && result.pull)
        await replyOnPull(io, api, result.pull.number, result.outcomes)
    } else {
      const explicit = inputsToArgs(inputs, {
        actor: `github:${io.event.actor || 'unknown'}`,
        policyJson: ACTION_POLICY,
      })
      for (const name of explicit.unused) io.warning(`Input '${name}' is not used by ${explicit.spec.name}.`)
      const ran = await runOne(explicit.spec.name, explicit.args, where, engineIo, newCorrelationId())
      if (explicit.spec.name === 'merge-mission' && ran.envelope.data['via'] === 'pull_request') {
        const opened = await openEngineContext(where, engineIo)
        const config = await opened.ctx.config
        await opened.release()
        ran.envelope = await openPullForRun(ran, repository.owner, config, api, io.warning)
      }
      published.push({ command: explicit.spec.name, outcome: ran, headSha: io.event.sha || null })
    }
  } catch (err) {
    const known = toKittyError(err)
    const command = inputs && inputs.command !== 'auto' ? inputs.command : 'unknown'
    published.push({
      command,
      outcome: { envelope: makeFailure('unknown', known.code, known.message, known.data), commit: null },
      headSha: null,
    })
  }
  await publish(io, api, inputs?.checkRun ?? true, published, skipped)
  const failed = published.find((p) => !p.outcome.envelope.success)
  if (failed && (inputs?.failOnError ?? true)) {
    const e = failed.outcome.envelope
    io.setFailed(`kitty/${failed.command}: ${e.error_code}: ${adviseActionUsers(String(e.data['message'] ?? ''))}`)
  }
}

/** `command: setup` runs no orchestrator-api command: it installs the CLI for later steps (setup-cli.ts). */
async function runSetup(io: ActionIo): Promise<void> {
  io.setOutput('command', 'setup')
  try {
    await setupCli(io, repositoryOf(io.env))
    io.setOutput('success', 'true')
  } catch (err) {
    const known = toKittyError(err)
    io.setOutput('success', 'false')
    io.setOutput('error-code', known.code)
    io.setFailed(`kitty/setup: ${known.code}: ${known.message}`)
  }
}

/** Reads, help and failures are answered on the pull request; a successful write shows as its check run. */
async function replyOnPull(io: ActionIo, api: GithubApi, number: number, outcomes: StepOutcome[]): Promise<void> {
  const body = composeReply(outcomes)
  if (body === null) return
  await api
    .createComment(number, body)
    .catch((err: unknown) => io.warning(`Could not reply on #${number}: ${describeApiError(err)}`))
}

async function publish(
  io: ActionIo,
  api: GithubApi | null,
  checkRun: boolean,
  published: Published[],
  skipped: string | null,
): Promise<void> {
  const rendered = published.map((p) => ({
    p,
    r: renderOutcome({
      command: p.command,
      envelope: p.outcome.envelope,
      label: p.outcome.step?.label,
      commit: p.outcome.commit,
      board: p.outcome.board,
      advise: adviseActionUsers,
    }),
  }))
  const primary = published.find((p) => !p.outcome.envelope.success) ?? published.at(-1)
  if (primary) {
    for (const [name, value] of Object.entries(
      outputsOf(primary.command, primary.outcome.envelope, primary.outcome.commit),
    ))
      io.setOutput(name, value)
  } else {
    io.setOutput('success', 'true')
  }
  io.setOutput('envelopes', JSON.stringify(published.map((p) => p.outcome.envelope)))
  io.setOutput('skipped', skipped ?? '')
  if (skipped) io.info(`Nothing to do: ${skipped}.`)
  for (const { p, r } of rendered) {
    io.info(`kitty/${p.command}: ${r.checkRun.title}`)
    if (!checkRun || !api || !p.headSha || p.command === 'help') continue
    // An event's outcome (command: auto) gets a check run only for a writer's write, as in the App.
    if (p.outcome.step && !publishesCheckRun({ ...p.outcome, step: p.outcome.step })) continue
    const body = completedCheckRun(r, p.headSha)
    try {
      const created = await api.createCheckRun(body)
      if (created.url) io.setOutput('check-run-url', created.url)
    } catch (err) {
      // A rate limit is not a missing permission: the hint would send the user to the wrong fix.
      const hint = rateLimitOf(err) ? '' : " (the workflow needs 'checks: write')"
      io.warning(`Could not create the check run ${body.name}${hint}: ${describeApiError(err)}`)
    }
  }
  const summary = skipped
    ? `### kitty: nothing to do\n\n${escapeMarkdown(skipped)}.`
    : rendered.map(({ r }) => r.jobSummary).join('\n\n---\n\n')
  await io
    .writeSummary(summary)
    .catch((err: unknown) => io.warning(`Could not write the job summary: ${(err as Error).message}`))
}
