import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'

/**
 * `.env` in the working directory, as Probot's own `probot run` reads it: the setup flow stores the
 * App's credentials there. A variable already in the environment wins, so a deployment's settings are
 * never overridden by a file left lying around. It may be a symlink (a mounted secret): it is only read.
 * Returns the names it set (for the start-up log line; never the values).
 */
export function loadEnvFile(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const path = join(cwd, '.env')
  try {
    if (!statSync(path).isFile()) return []
  } catch {
    return []
  }
  const parsed = parseEnv(readFileSync(path, 'utf8'))
  const set: string[] = []
  for (const [key, value] of Object.entries(parsed)) {
    if (env[key] !== undefined) continue
    env[key] = value
    set.push(key)
  }
  return set
}
