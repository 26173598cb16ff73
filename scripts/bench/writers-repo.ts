import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { git, makeRepo } from '../../test/helpers/git-repo.ts'

/**
 * The repository the remote benches serve: one mission with a planned WP per writer, and the retry
 * bound (`.github/kitty.yml` `max_attempts`) when one is given. Returns the WP ids and the path.
 */
export function writersRepo(writers: number, maxAttempts?: number): { wps: string[]; path: string } {
  const wps = Array.from({ length: writers }, (_, i) => `WP${String(i + 1).padStart(2, '0')}`)
  const path = makeRepo([{ wps: wps.map((id) => ({ id, lane: 'planned' })) }])
  if (maxAttempts !== undefined) {
    mkdirSync(join(path, '.github'))
    writeFileSync(join(path, '.github', 'kitty.yml'), `max_attempts: ${maxAttempts}\n`)
    git(path, 'add', '-A')
    git(path, 'commit', '-qm', 'settings')
  }
  return { wps, path }
}
