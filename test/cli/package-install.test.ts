import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTempDirs, PROJECT_ROOT, tempDir } from '../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const PACKAGE = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'))
// The installed bin starts with `#!/usr/bin/env node`: the pinned Node first, as `npm test` has it.
const ENV = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH']}` }
const npm = (cwd: string, ...args: string[]) =>
  execFileSync('npm', args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/**
 * A lockfile for a project whose one dependency is the tarball, pinning the tarball's own
 * dependencies to this project's lockfile. With it `npm ci --offline` installs from npm's cache
 * alone (CI's `npm ci` fills it), so the test never reaches the registry; what lands is what
 * `npm install <tarball>` would resolve from the same lockfile's versions.
 */
function lockfileFor(tarball: string): Record<string, unknown> {
  const ours = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>
  }
  const spec = `file:${tarball.split('/').pop()}`
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { [PACKAGE.name]: spec } },
    [`node_modules/${PACKAGE.name}`]: {
      version: PACKAGE.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      license: PACKAGE.license,
      dependencies: PACKAGE.dependencies,
      bin: PACKAGE.bin,
      engines: PACKAGE.engines,
    },
  }
  for (const [path, entry] of Object.entries(ours.packages)) {
    // devOptional: needed by a dev package, or by an optional one of ours (msgpackr-extract, under bullmq).
    if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages }
}

describe('npm pack → install into an empty project → kitty runs', () => {
  it('the tarball carries bin, dist, README and LICENSE (no sources), and its kitty answers contract-version', {
    timeout: 120_000,
  }, () => {
    const packDir = tempDir('kitty-pack-')
    const [packed] = JSON.parse(
      npm(PROJECT_ROOT, 'pack', '--json', '--ignore-scripts', '--pack-destination', packDir),
    ) as { filename: string; files: { path: string }[] }[]
    const files = packed!.files.map((f) => f.path)
    expect(files).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'bin/kitty.js', 'dist/cli.js']),
    )
    expect(files.filter((f) => /^(src|test|scripts)\//.test(f))).toEqual([])
    expect(readFileSync(join(PROJECT_ROOT, 'LICENSE'), 'utf8')).toMatch(new RegExp(`^${PACKAGE.license} License`))

    const consumer = tempDir('kitty-consumer-')
    const tarball = join(consumer, packed!.filename)
    writeFileSync(tarball, readFileSync(join(packDir, packed!.filename)))
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, dependencies: { [PACKAGE.name]: `file:${packed!.filename}` } }),
    )
    writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(lockfileFor(tarball)))
    npm(consumer, 'ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund')

    for (const bin of Object.keys(PACKAGE.bin)) {
      const out = execFileSync(join(consumer, 'node_modules', '.bin', bin), ['orchestrator-api', 'contract-version'], {
        cwd: consumer,
        env: ENV,
        encoding: 'utf8',
      })
      expect(JSON.parse(out), bin).toMatchObject({ success: true, data: { api_version: '1.3.0' } })
    }
    const version = execFileSync(join(consumer, 'node_modules', '.bin', 'kitty'), ['--version', '--json'], {
      cwd: consumer,
      env: ENV,
      encoding: 'utf8',
    })
    expect(JSON.parse(version).data.version).toBe(PACKAGE.version)
  })
})
