// The release workflow's tag logic (.github/workflows/release.yml), as actions/typescript-action does it:
// users pin `uses: <owner>/kitty-github@v1`, so each release vX.Y.Z moves the major tag vX to its commit.
//
//   node scripts/release-tags.ts check vX.Y.Z        the tag is a version, and package.json says the same
//   node scripts/release-tags.ts move-major vX.Y.Z   force vX to the tag's commit and push it to origin
//
// A prerelease (v1.3.0-rc.1) never moves v1, and neither does a release older than the newest vX.*.*
// already tagged (a v1.2.5 fix after v1.3.0 must not take v1 users back).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const VERSION = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/

export interface ParsedTag {
  major: number
  minor: number
  patch: number
  prerelease: string | null
}

export function parseTag(tag: string): ParsedTag | null {
  const m = VERSION.exec(tag)
  if (!m) return null
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ?? null }
}

const order = (a: ParsedTag, b: ParsedTag) => a.major - b.major || a.minor - b.minor || a.patch - b.patch

/** Why the tag cannot be released, or null. `version` is package.json's. */
export function checkTag(tag: string, version: string): string | null {
  const parsed = parseTag(tag)
  if (!parsed) return `'${tag}' is not a version tag vMAJOR.MINOR.PATCH[-PRERELEASE]`
  if (tag !== `v${version}`) return `the tag ${tag} does not match package.json's version ${version}`
  return null
}

/** The major tag to move to `tag`, or why none moves. `existing` is every tag of the repository. */
export function majorTagFor(tag: string, existing: string[]): { move: string } | { keep: string } {
  const parsed = parseTag(tag)
  if (!parsed) return { keep: `'${tag}' is not a version tag` }
  const major = `v${parsed.major}`
  if (parsed.prerelease !== null) return { keep: `${tag} is a prerelease: ${major} stays where it is` }
  const newer = existing
    .map((t) => ({ t, p: parseTag(t) }))
    .filter((x) => x.p && x.p.prerelease === null && x.p.major === parsed.major && order(x.p, parsed) > 0)
  if (newer.length > 0) return { keep: `${newer[0]!.t} is newer than ${tag}: ${major} stays where it is` }
  return { move: major }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim()
}

export function run(argv: string[], cwd: string): { code: number; message: string } {
  const [command, tag] = argv
  if (!tag || (command !== 'check' && command !== 'move-major'))
    return { code: 2, message: 'usage: release-tags.ts check|move-major vX.Y.Z' }
  const version = (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { version: string }).version
  const refused = checkTag(tag, version)
  if (refused) return { code: 1, message: refused }
  if (command === 'check') return { code: 0, message: `${tag} can be released` }
  const decision = majorTagFor(tag, git(cwd, 'tag', '--list').split('\n').filter(Boolean))
  if ('keep' in decision) return { code: 0, message: decision.keep }
  // The tag's commit, not HEAD: the job may have checked out something else since.
  const commit = git(cwd, 'rev-list', '-n', '1', tag)
  git(cwd, 'tag', '--force', decision.move, commit)
  git(cwd, 'push', '--force', 'origin', `refs/tags/${decision.move}`)
  return { code: 0, message: `${decision.move} → ${tag} (${commit})` }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { code, message } = run(process.argv.slice(2), process.cwd())
  ;(code === 0 ? console.log : console.error)(message)
  process.exitCode = code
}
