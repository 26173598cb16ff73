import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { gitEnv } from './git-exec.ts'

/**
 * One cold CLI call: a fresh Node 24 process, its wall time seen from the parent and its peak RSS.
 * A child's max RSS is not visible to the parent, so it is reported by GNU time when installed, or
 * else by a preloaded module that prints `process.resourceUsage().maxRSS` from inside the child.
 */

const RSS_MARK = 'KITTY_BENCH_MAXRSS_KB='
const TIME_BIN = '/usr/bin/time'

// process.on('exit') also runs on process.exit(); a write to a pipe is synchronous on Linux.
const PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(
    `import { writeSync } from 'node:fs'\n` +
      `process.on('exit', () => { try { writeSync(2, '\\n${RSS_MARK}' + process.resourceUsage().maxRSS + '\\n') } catch {} })\n`,
  )

export type RssMethod = 'gnu-time' | 'preload'

function gnuTimeWorks(): boolean {
  if (!existsSync(TIME_BIN)) return false
  const probe = spawnSync(TIME_BIN, ['-f', `${RSS_MARK}%M`, 'true'], { encoding: 'utf8' })
  return probe.status === 0 && probe.stderr.includes(RSS_MARK)
}

export const RSS_METHOD: RssMethod = gnuTimeWorks() ? 'gnu-time' : 'preload'

export interface ColdRun {
  wallMs: number
  maxRssKb: number | null
  code: number
  stdout: string
  stderr: string
  envelope: Record<string, unknown> | null
}

function command(cli: string, args: string[]): [string, string[]] {
  if (RSS_METHOD === 'gnu-time') return [TIME_BIN, ['-f', `${RSS_MARK}%M`, process.execPath, cli, ...args]]
  return [process.execPath, ['--import', PRELOAD, cli, ...args]]
}

function splitRss(stderr: string): { rss: number | null; rest: string } {
  const at = stderr.lastIndexOf(RSS_MARK)
  if (at < 0) return { rss: null, rest: stderr }
  const rss = Number.parseInt(stderr.slice(at + RSS_MARK.length), 10)
  return { rss: Number.isFinite(rss) ? rss : null, rest: stderr.slice(0, at).trimEnd() }
}

function parseEnvelope(stdout: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(stdout)
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

export function coldRun(cli: string, cwd: string, args: string[], env: Record<string, string> = {}): Promise<ColdRun> {
  const [cmd, argv] = command(cli, args)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(cmd, argv, { cwd, env: gitEnv(env) })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = performance.now() - started
      const { rss, rest } = splitRss(stderr)
      resolve({ wallMs, maxRssKb: rss, code: code ?? -1, stdout, stderr: rest, envelope: parseEnvelope(stdout) })
    })
  })
}

/** The error code of a run that did not succeed, or null when it did. */
export function failureOf(run: ColdRun): string | null {
  if (run.envelope === null) return `UNPARSEABLE_STDOUT(exit ${run.code})`
  if (run.envelope.success === true) return null
  return String(run.envelope.error_code ?? 'UNKNOWN')
}

/** The floor under every row: a Node 24 process that loads nothing (median of `runs` cold starts). */
export async function nodeStartupMs(runs: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < runs; i++) out.push((await coldRun('-e', process.cwd(), ['0'])).wallMs)
  return out
}
