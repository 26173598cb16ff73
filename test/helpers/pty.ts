import { spawn } from 'node:child_process'
import { CLI } from './git-repo.ts'

/** Quote one word for sh. */
const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

export interface PtyRun {
  /** What the terminal showed (CRLF line ends, escape sequences kept). */
  terminal: string
  code: number
}

/**
 * Run the built CLI on a real pseudo-terminal (util-linux `script`), as a person's shell would.
 * `stdoutTo` sends stdout to a file instead, so only stderr is the terminal.
 */
export function kittyInPty(
  cwd: string,
  args: string[],
  options: { env?: Record<string, string>; stdoutTo?: string } = {},
): Promise<PtyRun> {
  const command =
    [process.execPath, CLI, ...args].map(shellWord).join(' ') +
    (options.stdoutTo ? ` > ${shellWord(options.stdoutTo)}` : '')
  return new Promise((resolvePromise, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let terminal = ''
    child.stdout.on('data', (d) => (terminal += d))
    child.stderr.on('data', (d) => (terminal += d))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ terminal, code: code ?? -1 }))
  })
}
