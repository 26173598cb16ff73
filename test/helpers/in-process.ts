import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../../src/cli/run-cli.ts'
import type { Envelope } from '../../src/core/envelope.ts'

const ENV = {
  HOME: '/nonexistent',
  GIT_AUTHOR_NAME: 'Fuzz',
  GIT_AUTHOR_EMAIL: 'fuzz@example.com',
  GIT_COMMITTER_NAME: 'Fuzz',
  GIT_COMMITTER_EMAIL: 'fuzz@example.com',
}

/** The CLI without a process: same routing, parsing and envelope, fast enough for property tests. */
export async function cliInProcess(
  repo: string,
  argv: string[],
): Promise<{ envelope: Envelope; exitCode: number; line: string }> {
  const { envelope, exitCode } = await runCli(argv, { env: ENV, cwd: repo })
  return { envelope, exitCode, line: JSON.stringify(envelope) }
}

function walk(dir: string, out: string[], skip: (p: string) => boolean): void {
  if (!existsSync(dir)) return
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (skip(p)) continue
    if (e.isDirectory()) walk(p, out, skip)
    else out.push(p)
  }
}

/**
 * Everything a failed command must leave alone: refs, objects, index, working tree. Read with plain
 * fs so thousands of checks stay cheap; caches and locks under .git/kitty are not state.
 */
export function fingerprint(repo: string): string {
  const files: string[] = []
  walk(repo, files, (p) => p.endsWith(`${join('.git', 'kitty')}`) || p.includes(`${join('.git', 'logs')}`))
  const hash = createHash('sha256')
  for (const f of files.sort()) {
    hash.update(f)
    // Object files are immutable: their names are their content.
    hash.update(f.includes(join('.git', 'objects')) ? String(statSync(f).size) : readFileSync(f))
  }
  return hash.digest('hex')
}

export const ENVELOPE_KEYS = [
  'contract_version',
  'command',
  'timestamp',
  'correlation_id',
  'success',
  'error_code',
  'data',
]

/** The envelope invariants every outcome must satisfy. */
export function envelopeProblems(envelope: Envelope, exitCode: number): string[] {
  const problems: string[] = []
  if (JSON.stringify(Object.keys(envelope)) !== JSON.stringify(ENVELOPE_KEYS))
    problems.push(`keys ${Object.keys(envelope)}`)
  if (typeof envelope.success !== 'boolean') problems.push('success not boolean')
  if (envelope.success !== (exitCode === 0)) problems.push(`exit ${exitCode} with success ${envelope.success}`)
  if (envelope.success && envelope.error_code !== null) problems.push('error_code on success')
  if (!envelope.success && typeof envelope.error_code !== 'string') problems.push('no error_code on failure')
  if (!envelope.success && typeof envelope.data['message'] !== 'string') problems.push('no message on failure')
  if (exitCode === 2 && envelope.error_code !== 'USAGE_ERROR') problems.push('exit 2 without USAGE_ERROR')
  if (envelope.error_code === 'INTERNAL_ERROR') problems.push(`INTERNAL_ERROR: ${envelope.data['message']}`)
  return problems
}
