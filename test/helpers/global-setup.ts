import { execFileSync } from 'node:child_process'
import { PROJECT_ROOT } from './git-repo.ts'

/** CLI tests spawn dist/cli.js, so it must be built from the current sources first. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: PROJECT_ROOT, stdio: 'inherit' })
}
