import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkTag, majorTagFor, parseTag } from '../../scripts/release-tags.ts'
import { cleanupTempDirs, PROJECT_ROOT, tempDir } from '../helpers/git-repo.ts'

/** The release's tag logic (scripts/release-tags.ts) and what the npm package carries. */

afterAll(() => cleanupTempDirs())

describe('which tag may be released, and which major tag moves', () => {
  it('version tags only, matching package.json', () => {
    expect(parseTag('v1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: null })
    expect(parseTag('v1.2.3-rc.1')?.prerelease).toBe('rc.1')
    for (const bad of ['1.2.3', 'v1.2', 'v01.2.3', 'v1.2.3.4', 'v1', 'release-1.2.3', 'v1.2.3-'])
      expect(parseTag(bad), bad).toBeNull()
    expect(checkTag('v0.1.0', '0.1.0')).toBeNull()
    expect(checkTag('v0.1.1', '0.1.0')).toMatch(/does not match package.json's version 0.1.0/)
    expect(checkTag('latest', '0.1.0')).toMatch(/not a version tag/)
  })
  it('a release moves its major tag; a prerelease or an older line does not', () => {
    expect(majorTagFor('v1.3.0', ['v1', 'v1.2.0', 'v1.3.0'])).toEqual({ move: 'v1' })
    expect(majorTagFor('v2.0.0', ['v1', 'v1.9.9', 'v2.0.0'])).toEqual({ move: 'v2' })
    expect(majorTagFor('v1.4.0-rc.1', ['v1.3.0'])).toEqual({ keep: expect.stringMatching(/prerelease/) })
    expect(majorTagFor('v1.2.5', ['v1.2.5', 'v1.3.0'])).toEqual({ keep: expect.stringMatching(/v1.3.0 is newer/) })
    // A newer prerelease or another major line does not hold a release back.
    expect(majorTagFor('v1.3.1', ['v1.4.0-rc.1', 'v2.0.0'])).toEqual({ move: 'v1' })
  })
})

describe('move-major on a real repository and its origin', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim()
  const script = join(PROJECT_ROOT, 'scripts/release-tags.ts')
  const release = (cwd: string, ...args: string[]) =>
    spawnSync(process.execPath, [script, ...args], { cwd, encoding: 'utf8' })

  function repo(): { work: string; origin: string } {
    const origin = tempDir('release-origin-')
    git(origin, 'init', '--bare', '-q')
    const work = tempDir('release-work-')
    git(work, 'init', '-q', '-b', 'main')
    git(work, 'remote', 'add', 'origin', origin)
    return { work, origin }
  }
  function commitVersion(work: string, version: string): string {
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'kitty-github', version }))
    git(work, 'add', 'package.json')
    git(work, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', version)
    git(work, 'tag', `v${version}`)
    git(work, 'push', '-q', 'origin', 'main', `v${version}`)
    return git(work, 'rev-parse', 'HEAD')
  }

  it('v1 follows each release to origin, stays on a prerelease, and a wrong tag is refused', () => {
    const { work, origin } = repo()
    const first = commitVersion(work, '1.0.0')
    expect(release(work, 'move-major', 'v1.0.0').status).toBe(0)
    expect(git(origin, 'rev-parse', 'v1')).toBe(first)

    const second = commitVersion(work, '1.1.0')
    expect(release(work, 'check', 'v1.1.0').status).toBe(0)
    const moved = release(work, 'move-major', 'v1.1.0')
    expect(moved.stdout).toContain('v1 → v1.1.0')
    expect(git(origin, 'rev-parse', 'v1')).toBe(second)

    commitVersion(work, '1.2.0-rc.1')
    expect(release(work, 'move-major', 'v1.2.0-rc.1').stdout).toMatch(/prerelease/)
    expect(git(origin, 'rev-parse', 'v1')).toBe(second)

    const refused = release(work, 'check', 'v9.9.9')
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/does not match package.json's version 1.2.0-rc.1/)
    expect(release(work, 'publish', 'v1.1.0').status).toBe(2)
  })
})

describe('the npm package', () => {
  it('packs only what kitty and the App need: no sources, tests, fixtures or the Action bundle', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    })
    expect(packed.status, packed.stderr).toBe(0)
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort()
    expect(files.filter((f) => !f.startsWith('dist/chunks/'))).toEqual([
      'LICENSE',
      'README.md',
      'bin/kitty.js',
      'dist/app.js',
      'dist/cli.js',
      'package.json',
    ])
    // The bundles load their shared chunks at run time: every one they name must be in the package.
    const needed = new Set<string>()
    for (const bundle of ['dist/cli.js', 'dist/app.js'])
      for (const m of readFileSync(join(PROJECT_ROOT, bundle), 'utf8').matchAll(/chunks\/[\w-]+\.js/g))
        needed.add(`dist/${m[0]}`)
    expect(needed.size).toBeGreaterThan(0)
    for (const chunk of needed) expect(files).toContain(chunk)
    expect(files.every((f) => /^(LICENSE|README\.md|package\.json|bin\/kitty\.js|dist\/[\w/-]+\.js)$/.test(f))).toBe(
      true,
    )
  })
  it('the bin it names is packed', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    expect(Object.values(pkg.bin)).toEqual(['bin/kitty.js', 'bin/kitty.js'])
  })
})
