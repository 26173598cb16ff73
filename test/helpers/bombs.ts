import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { git, kitty } from './git-repo.ts'
import type { KittyRun } from './git-repo.ts'

/**
 * Decompression bombs built with the git CLI: blobs of many megabytes of one byte, which git stores
 * as a few kilobytes (loose, packed, or as a delta against a small base).
 */

/** A blob of `bytes` zero bytes, written loose by `git hash-object -w --stdin` fed from a stream. */
export function zeroBlob(repo: string, bytes: number): string {
  return execFileSync('sh', ['-c', `head -c ${bytes} /dev/zero | git hash-object -w --stdin`], {
    cwd: repo,
    encoding: 'utf8',
  }).trim()
}

/**
 * Commit `files` (path → blob oid) on top of HEAD as branch `branch`, with plumbing and a scratch
 * index: neither the checkout nor its index sees the bomb.
 */
export function commitBlobs(repo: string, branch: string, files: Record<string, string>): string {
  const index = join(repo, '.git', `bomb-index-${branch}`)
  const env = { ...process.env, GIT_INDEX_FILE: index }
  const run = (...args: string[]) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' }).trim()
  run('read-tree', 'HEAD')
  for (const [path, oid] of Object.entries(files)) run('update-index', '--add', '--cacheinfo', `100644,${oid},${path}`)
  const tree = run('write-tree')
  rmSync(index, { force: true })
  const commit = git(repo, 'commit-tree', tree, '-p', 'HEAD', '-m', `bomb on ${branch}`)
  git(repo, 'update-ref', `refs/heads/${branch}`, commit)
  return commit
}

function packEntryHeader(type: number, size: number): Buffer {
  const bytes = [(type << 4) | (size & 15)]
  let rest = Math.floor(size / 16)
  while (rest > 0) {
    bytes[bytes.length - 1]! |= 0x80
    bytes.push(rest & 0x7f)
    rest = Math.floor(rest / 128)
  }
  return Buffer.from(bytes)
}

function varint(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return out
}

/** git's OFS_DELTA back-offset encoding (each continuation adds one before shifting). */
function ofsOffset(back: number): Buffer {
  const bytes = [back & 0x7f]
  back = Math.floor(back / 128)
  while (back > 0) {
    back -= 1
    bytes.unshift(0x80 | (back & 0x7f))
    back = Math.floor(back / 128)
  }
  return Buffer.from(bytes)
}

const CHUNK = 0x10000

/**
 * A pack holding a 64 KiB blob of `fill` and an offset delta against it that copies it over and over:
 * `bytes` (a multiple of 64 KiB) of `fill` stored as a ~2 KB delta. Indexed by `git index-pack`.
 * Returns the oid of the delta's result.
 */
export function deltaBomb(repo: string, bytes: number, fill = 0x64): string {
  if (bytes % CHUNK !== 0) throw new Error('delta bomb size must be a multiple of 64 KiB')
  const base = Buffer.alloc(CHUNK, fill)
  // One copy instruction (0x80: offset 0, size 0 meaning 0x10000) per 64 KiB of result.
  const delta = Buffer.concat([Buffer.from([...varint(CHUNK), ...varint(bytes)]), Buffer.alloc(bytes / CHUNK, 0x80)])
  const header = Buffer.alloc(12)
  header.write('PACK', 0)
  header.writeUInt32BE(2, 4)
  header.writeUInt32BE(2, 8)
  const baseEntry = Buffer.concat([packEntryHeader(3, base.length), deflateSync(base)])
  const deltaEntry = Buffer.concat([packEntryHeader(6, delta.length), ofsOffset(baseEntry.length), deflateSync(delta)])
  const body = Buffer.concat([header, baseEntry, deltaEntry])
  const pack = Buffer.concat([body, createHash('sha1').update(body).digest()])
  execFileSync('git', ['index-pack', '--stdin'], { cwd: repo, input: pack })
  const sha = createHash('sha1').update(`blob ${bytes}\0`)
  for (let i = 0; i < bytes / CHUNK; i++) sha.update(base)
  return sha.digest('hex')
}

const PEAK_RSS_HOOK = new URL('./report-peak-rss.mjs', import.meta.url).href

export interface MeasuredRun extends KittyRun {
  /** Bytes the process inflated: the work a test bounds. */
  inflatedBytes: number
  /** Informational (printed, not asserted): they depend on the machine. */
  peakRssMb: number
  ms: number
}

/** Run the built CLI and report the bytes it inflated, its peak RSS (from the process itself) and wall time. */
export async function measuredKitty(cwd: string, args: string[]): Promise<MeasuredRun> {
  const started = performance.now()
  const run = await kitty(cwd, args, {}, ['--import', PEAK_RSS_HOOK])
  const ms = performance.now() - started
  const kb = Number(/kitty-peak-rss-kb=(\d+)/.exec(run.stderr)?.[1] ?? NaN)
  const inflatedBytes = Number(/kitty-inflated-bytes=(\d+)/.exec(run.stderr)?.[1] ?? NaN)
  return { ...run, inflatedBytes, peakRssMb: kb / 1024, ms }
}
