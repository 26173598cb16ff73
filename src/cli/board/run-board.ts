import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { makeEnvelope, makeFailure, newCorrelationId } from '../../core/envelope.ts'
import type { Envelope } from '../../core/envelope.ts'
import { toKittyError, UsageError } from '../../core/errors.ts'
import { openLocalSource, openRemoteSource } from '../../board/open-board-source.ts'
import type { BoardSource } from '../../board/open-board-source.ts'
import { renderBoardPage } from '../../board/render-board-html.ts'
import { DEFAULT_MAX_CLIENTS, startBoardServer } from '../../board/serve-board.ts'
import type { BoardServer } from '../../board/serve-board.ts'
import { readBoard } from '../../engine/mission/read-board.ts'
import { parseRemoteUrl } from '../../store/remote/remote-url.ts'
import type { SurfaceEnvironment } from '../../surface/open-context.ts'
import { openContext } from '../../surface/open-context.ts'
import { writeFileAtomic } from './write-file-atomic.ts'

/**
 * `kitty board`: not part of the orchestrator-api contract, but it speaks the same way: one JSON
 * envelope on stdout (for --serve, once the server listens), exit 0/1/2.
 *
 *   kitty board --mission M --out board.html    one self-contained HTML file
 *   kitty board --serve [--port P] [--open]     the live board on 127.0.0.1
 */

const COMMAND = 'kitty.board'

export const BOARD_USAGE =
  'Usage: kitty board --mission <mission> --out <file.html> | kitty board --serve [--port <port>] [--open] [--mission <mission>] ' +
  '[--repo <dir>] [--branch <branch>] [--remote <url>] [--history <n>] [--max-clients <n>]'

export interface BoardCliResult {
  envelope: Envelope
  exitCode: 0 | 1 | 2
  /** Set for --serve: resolves when the server has stopped. */
  server?: BoardServer
}

interface BoardFlags {
  mission?: string | undefined
  out?: string | undefined
  serve: boolean
  port: number
  open: boolean
  history: number
  /** Live event-stream clients at once; unset: KITTY_BOARD_MAX_CLIENTS, else the default. */
  maxClients?: string | undefined
  repo?: string | undefined
  branch?: string | undefined
  remote?: string | undefined
  help: boolean
}

function wholeNumber(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) > max)
    throw new UsageError(`Option '--${name}' must be a whole number up to ${max}.`)
  return Number(raw)
}

export function parseBoardArgs(argv: string[]): BoardFlags {
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        mission: { type: 'string' },
        out: { type: 'string' },
        serve: { type: 'boolean' },
        port: { type: 'string' },
        open: { type: 'boolean' },
        history: { type: 'string' },
        'max-clients': { type: 'string' },
        repo: { type: 'string' },
        branch: { type: 'string' },
        remote: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} ${BOARD_USAGE}`)
  }
  const flags: BoardFlags = {
    mission: values.mission,
    out: values.out,
    serve: values.serve ?? false,
    port: wholeNumber(values.port, 'port', 7461, 65_535),
    open: values.open ?? false,
    history: wholeNumber(values.history, 'history', 20, 1_000),
    maxClients: values['max-clients'],
    repo: values.repo,
    branch: values.branch,
    remote: values.remote,
    help: values.help ?? false,
  }
  if (flags.help) return flags
  if (flags.serve === (flags.out !== undefined))
    throw new UsageError(`Pass exactly one of --out and --serve. ${BOARD_USAGE}`)
  if (flags.out !== undefined && !flags.mission) throw new UsageError(`--out needs --mission. ${BOARD_USAGE}`)
  if (flags.out !== undefined && flags.out.trim() === '') throw new UsageError('Option --out must name a file.')
  if (flags.remote !== undefined) parseRemoteUrl(flags.remote)
  if (flags.maxClients !== undefined) maxClientsOf(flags, {})
  return flags
}

async function writePage(
  flags: BoardFlags,
  io: SurfaceEnvironment,
  correlationId: string,
): Promise<Record<string, unknown>> {
  const opened = await openContext({ repo: flags.repo, branch: flags.branch, remote: flags.remote }, io, correlationId)
  try {
    const board = await readBoard(opened.ctx, flags.mission!, { historyLimit: flags.history })
    const html = renderBoardPage(board)
    const path = resolve(io.cwd, flags.out!)
    if (!fs.existsSync(dirname(path))) throw new UsageError(`The folder of --out does not exist: ${dirname(path)}`)
    try {
      writeFileAtomic(path, html)
    } catch (err) {
      throw new UsageError(
        `Cannot write --out ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      )
    }
    const { mission_id, mission_slug, mission_number, mission_type } = board.mission
    return {
      mission_id,
      mission_slug,
      mission_number,
      mission_type,
      commit: board.commit,
      path,
      bytes: Buffer.byteLength(html),
      work_packages: board.total,
      summary: board.counts,
    }
  } finally {
    await opened.release()
  }
}

/** `--max-clients`, else KITTY_BOARD_MAX_CLIENTS, else the default; at least one client. */
function maxClientsOf(flags: BoardFlags, env: NodeJS.ProcessEnv): number {
  const [raw, name] =
    flags.maxClients !== undefined
      ? [flags.maxClients, 'max-clients']
      : [env['KITTY_BOARD_MAX_CLIENTS'], 'max-clients (KITTY_BOARD_MAX_CLIENTS)']
  return Math.max(1, wholeNumber(raw, name, DEFAULT_MAX_CLIENTS, 100_000))
}

/** Open the page in the desktop's browser; no shell, the URL is one argument. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['explorer.exe', [url]]
        : ['xdg-open', [url]]
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true })
    child.on('error', () => undefined)
    child.unref()
  } catch {
    // No browser launcher: the URL is in the envelope.
  }
}

async function serve(
  flags: BoardFlags,
  io: SurfaceEnvironment,
): Promise<{ data: Record<string, unknown>; server: BoardServer }> {
  const where = { repo: flags.repo, branch: flags.branch, remote: flags.remote }
  const source: BoardSource =
    flags.remote !== undefined ? await openRemoteSource(where, io) : await openLocalSource(where, io)
  const env = io.env
  const server = await startBoardServer({
    source,
    port: flags.port,
    mission: flags.mission,
    replay: flags.history,
    maxClients: maxClientsOf(flags, env),
    heartbeatMs: wholeNumber(env['KITTY_BOARD_HEARTBEAT_MS'], 'heartbeat', 15_000, 3_600_000) || 15_000,
    pollMs:
      wholeNumber(env['KITTY_BOARD_POLL_MS'], 'poll', flags.remote !== undefined ? 5_000 : 1_000, 3_600_000) || 1_000,
  })
  if (flags.open) openBrowser(server.url)
  return {
    data: { url: server.url, port: server.port, source: source.describe, mission: flags.mission ?? null },
    server,
  }
}

export async function runBoardCli(argv: string[], io: SurfaceEnvironment): Promise<BoardCliResult> {
  const correlationId = newCorrelationId()
  try {
    const flags = parseBoardArgs(argv)
    if (flags.help)
      return { envelope: makeEnvelope('help', true, { usage: BOARD_USAGE }, null, { correlationId }), exitCode: 0 }
    if (flags.out !== undefined)
      return {
        envelope: makeEnvelope(COMMAND, true, await writePage(flags, io, correlationId), null, { correlationId }),
        exitCode: 0,
      }
    const { data, server } = await serve(flags, io)
    return { envelope: makeEnvelope(COMMAND, true, data, null, { correlationId }), exitCode: 0, server }
  } catch (err) {
    const known = toKittyError(err)
    return {
      envelope: makeFailure(COMMAND, known.code, known.message, known.data, { correlationId }),
      exitCode: known.code === 'USAGE_ERROR' ? 2 : 1,
    }
  }
}
