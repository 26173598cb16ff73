import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { PROJECT_ROOT, TEST_BUILD, TEST_BUILD_METAFILE } from './git-repo.ts'

/**
 * The process tests spawn the bundles, so they are built from the current sources first — into the
 * gitignored TEST_BUILD, never over the tracked dist/ (CI proves dist/ is the build of src/ on its own).
 * TEST_BUILD mirrors the package layout (bin/ beside dist/) so bin/kitty.js runs unchanged, and sits in
 * the project root so the App bundle's externals (probot, prom-client) resolve from its node_modules.
 */
export default function setup(): void {
  execFileSync(
    process.execPath,
    ['scripts/build.mjs', '--outdir', join(TEST_BUILD, 'dist'), '--metafile', TEST_BUILD_METAFILE],
    {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
    },
  )
  mkdirSync(join(TEST_BUILD, 'bin'), { recursive: true })
  copyFileSync(join(PROJECT_ROOT, 'bin', 'kitty.js'), join(TEST_BUILD, 'bin', 'kitty.js'))
}
