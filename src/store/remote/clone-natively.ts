import { spawn } from 'node:child_process'
import type { ProgressSink } from '../progress.ts'
import fs from 'node:fs/promises'
import { join } from 'node:path'
import { isomorphicGit } from '../isomorphic-git.ts'
import type { Credentials } from './remote-url.ts'
import type { Repository } from '../repository.ts'
import { runIdleWork } from './idle-work.ts'
import { ownerTag, sweepStaleTemps } from '../safe-fs/temp-files.ts'

/**
 * The first fill of an empty remote cache by the `git` binary instead of isomorphic-git. Indexing a
 * fetched pack in JavaScript (inflate, hash and delta-resolve every object) was the largest single
 * cost of a cold Action step; git's index-pack does it natively, on the runner's other core. This is
 * only an accelerator: whenever it cannot be sure of its result (no git, an empty repository, a
 * missing branch, a redirect, any error), it leaves nothing behind and the caller fetches as before,
 * so errors are still reported by the one remote layer.
 *
 * Credentials reach git only through its environment (an `http.extraHeader` in GIT_CONFIG_*), never
 * its arguments or a file; git's own and the user's configuration are ignored, redirects are not
 * followed (so the header cannot leave the named origin), and nothing but http(s) may be spoken.
 */

export interface NativeCloneRequest {
  /** The URL without userinfo (remote-url.ts). */
  url: string
  credentials: Credentials | null
  branch: string | null
  depth: number
  timeoutMs: number
  /** Told git's own progress (objects counted, received, resolved); unset: git runs --quiet. */
  onProgress?: ProgressSink | undefined
}

/** The variables git may see: where to find itself and the runner's proxy, nothing that alters git's behaviour. */
const PASSED = [
  'PATH',
  'HOME',
  'TMPDIR',
  'http_proxy',
  'https_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'no_proxy',
  'NO_PROXY',
  'SYSTEMROOT',
]

function gitEnvironment(env: NodeJS.ProcessEnv, credentials: Credentials | null): NodeJS.ProcessEnv {
  const config: Array<[string, string]> = [
    ['http.followRedirects', 'false'],
    ['credential.helper', ''],
    ['core.askPass', ''],
    ['protocol.allow', 'never'],
    ['protocol.http.allow', 'always'],
    ['protocol.https.allow', 'always'],
  ]
  if (credentials) {
    const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`])
  }
  const out: NodeJS.ProcessEnv = {
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  }
  for (const name of PASSED) if (env[name] !== undefined) out[name] = env[name]
  out['GIT_CONFIG_COUNT'] = String(config.length)
  config.forEach(([key, value], i) => {
    out[`GIT_CONFIG_KEY_${i}`] = key
    out[`GIT_CONFIG_VALUE_${i}`] = value
  })
  return out
}

/**
 * git's `--progress` lines ("Receiving objects:  45% (123/456), 1.2 MiB | …", ended by \r) as progress
 * events. Only a bounded tail of stderr is kept, whatever git prints.
 */
function progressReader(sink: ProgressSink, what: string): (chunk: Buffer) => void {
  let pending = ''
  return (chunk) => {
    const parts = (pending + chunk.toString('utf8')).split(/[\r\n]/)
    pending = parts.pop()!.slice(-4096)
    for (const line of parts) {
      const m = /^(?:remote: )?([A-Z][A-Za-z ]{2,40}):\s+\d+% \((\d+)\/(\d+)\)/.exec(line)
      if (m) sink({ task: `${what}: ${m[1]}`, loaded: Number(m[2]), total: Number(m[3]) })
    }
  }
}

/** Run git; true when it exited 0 within the deadline. Its output is dropped (failures fall back), but for progress. */
function runGit(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  onStderr?: (chunk: Buffer) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { env, stdio: ['ignore', 'ignore', onStderr ? 'pipe' : 'ignore'] })
    if (onStderr) child.stderr?.on('data', onStderr)
    runIdleWork()
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', () => {
      clearTimeout(timer)
      resolve(false)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve(code === 0)
    })
  })
}

/** True when the cache has never received a pack: the only case this module handles. */
export async function cacheIsEmpty(cache: Repository): Promise<boolean> {
  const packs = await fs.readdir(join(cache.gitdir, 'objects', 'pack')).catch(() => [] as string[])
  return !packs.some((name) => name.endsWith('.pack'))
}

async function readHead(gitdir: string): Promise<{ branch: string; tip: string } | null> {
  const git = await isomorphicGit()
  const head = (await fs.readFile(join(gitdir, 'HEAD'), 'utf8').catch(() => '')).trim()
  const m = /^ref: refs\/heads\/(.+)$/.exec(head)
  if (!m) return null
  const tip = await git.resolveRef({ fs, gitdir, ref: `refs/heads/${m[1]}` }).catch(() => null)
  return tip ? { branch: m[1]!, tip } : null
}

/** Move the clone's packs and shallow list into the cache, then point the cache's refs at its tip. */
async function adopt(
  cache: Repository,
  clone: string,
  fetched: { branch: string; tip: string },
  setHead: boolean,
): Promise<void> {
  const git = await isomorphicGit()
  const from = join(clone, 'objects', 'pack')
  const to = join(cache.gitdir, 'objects', 'pack')
  await fs.mkdir(to, { recursive: true })
  // The index last: a reader that finds an .idx finds its .pack beside it.
  const names = (await fs.readdir(from)).sort((a, b) => Number(a.endsWith('.idx')) - Number(b.endsWith('.idx')))
  for (const name of names) await fs.rename(join(from, name), join(to, name))
  const shallow = await fs.readFile(join(clone, 'shallow'), 'utf8').catch(() => '')
  if (shallow) await fs.writeFile(join(cache.gitdir, 'shallow'), shallow)
  for (const ref of [`refs/heads/${fetched.branch}`, `refs/remotes/origin/${fetched.branch}`]) {
    await git.writeRef({ fs: cache.fs, gitdir: cache.gitdir, ref, value: fetched.tip, force: true })
  }
  if (setHead)
    await git.writeRef({
      fs: cache.fs,
      gitdir: cache.gitdir,
      ref: 'HEAD',
      value: `refs/heads/${fetched.branch}`,
      symbolic: true,
      force: true,
    })
}

/**
 * Clone `request.branch` (the remote's default when null) at `request.depth` into the empty cache.
 * Returns the branch and its tip, or null when the caller must fetch the usual way.
 */
export async function cloneNatively(
  cache: Repository,
  request: NativeCloneRequest,
  env: NodeJS.ProcessEnv,
): Promise<{ branch: string; tip: string } | null> {
  if (env['KITTY_NATIVE_GIT'] === '0' || !/^https?:\/\//i.test(request.url)) return null
  await sweepStaleTemps([cache.gitdir])
  const clone = join(cache.gitdir, `.${ownerTag()}.clone`)
  try {
    const progress = request.onProgress
      ? progressReader(request.onProgress, `fetching ${request.branch ?? 'the default branch'}`)
      : undefined
    const args = [
      'clone',
      '--bare',
      progress ? '--progress' : '--quiet',
      '--no-tags',
      '--single-branch',
      `--depth=${request.depth}`,
      '--template=',
    ]
    if (request.branch) args.push(`--branch=${request.branch}`)
    args.push('--', request.url, clone)
    if (!(await runGit(args, gitEnvironment(env, request.credentials), request.timeoutMs, progress))) return null
    const fetched = await readHead(clone)
    // A named branch must be what came: `--branch` also accepts a tag.
    if (!fetched || (request.branch !== null && fetched.branch !== request.branch)) return null
    await adopt(cache, clone, fetched, request.branch === null)
    return fetched
  } finally {
    await fs.rm(clone, { recursive: true, force: true })
  }
}
