import { makeFailure } from '../core/envelope.ts'
import { runCli } from './run-cli.ts'

// stdout carries exactly one JSON line; anything a dependency prints goes to stderr instead.
const toStderr = (...args: unknown[]): void => {
  process.stderr.write(`${args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ')}\n`)
}
console.log = toStderr
console.info = toStderr
console.debug = toStderr
console.warn = toStderr

/** `kitty board --serve` keeps running after its envelope: until SIGINT or SIGTERM closes the server. */
async function board(argv: string[]): Promise<void> {
  // Imported here, not at the top: the board's server pulls in node:http, which no other command needs.
  const { runBoardCli } = await import('./board/run-board.ts')
  const { envelope, exitCode, server } = await runBoardCli(argv, { env: process.env, cwd: process.cwd() })
  process.exitCode = exitCode
  if (!server) {
    process.stdout.write(`${JSON.stringify(envelope)}\n`, () => process.exit())
    return
  }
  process.stdout.write(`${JSON.stringify(envelope)}\n`)
  const stop = (): void => void server.close().then(() => process.exit())
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

async function main(): Promise<void> {
  if (process.argv[2] === 'board') return board(process.argv.slice(3))
  let line: string
  try {
    const { envelope, exitCode, text } = await runCli(process.argv.slice(2), {
      env: process.env,
      cwd: process.cwd(),
      stdoutIsTTY: process.stdout.isTTY === true,
      stderrIsTTY: process.stderr.isTTY === true,
      writeStderr: (text) => process.stderr.write(text),
    })
    line = text ?? `${JSON.stringify(envelope)}\n`
    process.exitCode = exitCode
  } catch (err) {
    line = `${JSON.stringify(makeFailure('unknown', 'INTERNAL_ERROR', `Internal error: ${(err as Error)?.message ?? err}`))}\n`
    process.exitCode = 1
  }
  // Exit as soon as the envelope is out: an idle keep-alive socket must not hold the process open.
  process.stdout.write(line, () => process.exit())
}

void main()
