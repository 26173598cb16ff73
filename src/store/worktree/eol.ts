import fs from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { hasGitBinary, runGit } from './git-worktree.ts'

/**
 * Line endings as git converts them between the object database and the working tree
 * (core.autocrlf, core.eol, the `text`/`eol`/`crlf` attributes), so that kitty's "is this file
 * clean?" and "write the committed file" agree with `git status` and `git checkout`. The decision
 * table and the text heuristics follow git's convert.c (convert_attrs, crlf_to_git,
 * crlf_to_worktree, gather_stats). Smudge/clean filters, `ident` and working-tree-encoding are not
 * applied.
 */

type Action = 'binary' | 'text' | 'text-input' | 'text-crlf' | 'auto' | 'auto-input' | 'auto-crlf' | 'undefined'

interface CoreSettings {
  autocrlf: 'true' | 'false' | 'input'
  eol: 'lf' | 'crlf' | 'native'
  attributesFile: string | null
}

interface Attrs {
  text: string
  eol: string
  crlf: string
}

const UNSPECIFIED: Attrs = { text: 'unspecified', eol: 'unspecified', crlf: 'unspecified' }

/** The few `core.*` keys we need from one config file's text, later values winning. */
function readCoreKeys(text: string, into: Map<string, string>): void {
  let inCore = false
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)[#;].*$/, '').trim()
    if (line === '') continue
    const section = /^\[\s*([^\]\s"]+)(?:\s+"[^"]*")?\s*\]\s*(.*)$/.exec(line)
    if (section) {
      inCore = section[1]!.toLowerCase() === 'core'
      continue
    }
    if (!inCore) continue
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line)
    if (kv) into.set(kv[1]!.toLowerCase(), (kv[2] ?? 'true').replace(/^"(.*)"$/, '$1').trim())
  }
}

function readText(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? join(process.env['HOME'] ?? homedir(), path.slice(2)) : path
}

/** System, global and repository config, in git's order of precedence (includes are not followed). */
function readCoreSettings(gitdir: string): CoreSettings {
  const env = process.env
  const home = env['HOME'] ?? homedir()
  const xdg = env['XDG_CONFIG_HOME'] || join(home, '.config')
  const files = [
    ...(env['GIT_CONFIG_NOSYSTEM'] ? [] : [env['GIT_CONFIG_SYSTEM'] ?? '/etc/gitconfig']),
    ...(env['GIT_CONFIG_GLOBAL'] !== undefined
      ? [env['GIT_CONFIG_GLOBAL']]
      : [join(xdg, 'git', 'config'), join(home, '.gitconfig')]),
    join(gitdir, 'config'),
  ]
  const keys = new Map<string, string>()
  for (const file of files) readCoreKeys(readText(file), keys)
  const bool = (v: string | undefined): boolean | null =>
    v === undefined ? null : /^(true|yes|on|1)$/i.test(v) ? true : /^(false|no|off|0|)$/i.test(v) ? false : null
  const autocrlfRaw = keys.get('autocrlf')
  const autocrlf = autocrlfRaw?.toLowerCase() === 'input' ? 'input' : bool(autocrlfRaw) ? 'true' : 'false'
  const eolRaw = keys.get('eol')?.toLowerCase()
  const eol = eolRaw === 'crlf' || eolRaw === 'lf' ? eolRaw : 'native'
  const attributesFile = keys.get('attributesfile') ?? join(xdg, 'git', 'attributes')
  return { autocrlf, eol, attributesFile: attributesFile ? expandHome(attributesFile) : null }
}

interface TextStats {
  lonecr: number
  lonelf: number
  crlf: number
  nul: number
  printable: number
  nonprintable: number
}

function gatherStats(buf: Uint8Array): TextStats {
  const s: TextStats = { lonecr: 0, lonelf: 0, crlf: 0, nul: 0, printable: 0, nonprintable: 0 }
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!
    if (c === 13) {
      if (buf[i + 1] === 10) {
        s.crlf++
        i++
      } else s.lonecr++
    } else if (c === 10) s.lonelf++
    else if (c === 127) s.nonprintable++
    else if (c < 32) {
      if (c === 8 || c === 9 || c === 27 || c === 12) s.printable++
      else {
        if (c === 0) s.nul++
        s.nonprintable++
      }
    } else s.printable++
  }
  // A trailing ^Z (DOS end of file) does not make a text file binary.
  if (buf.length > 0 && buf[buf.length - 1] === 26) s.nonprintable--
  return s
}

function isBinary(s: TextStats): boolean {
  return s.lonecr > 0 || s.nul > 0 || s.printable >> 7 < s.nonprintable
}

function isAuto(action: Action): boolean {
  return action === 'auto' || action === 'auto-input' || action === 'auto-crlf'
}

/** convert_attrs: the attributes first, then core.autocrlf for what they leave open. */
function actionFor(attrs: Attrs, core: CoreSettings): Action {
  const fromAttr = (v: string): Action =>
    v === 'set' ? 'text' : v === 'unset' ? 'binary' : v === 'input' ? 'text-input' : v === 'auto' ? 'auto' : 'undefined'
  let action = fromAttr(attrs.text)
  if (action === 'undefined') action = fromAttr(attrs.crlf)
  if (action !== 'binary') {
    if (action === 'auto' && attrs.eol === 'lf') action = 'auto-input'
    else if (action === 'auto' && attrs.eol === 'crlf') action = 'auto-crlf'
    else if (attrs.eol === 'lf') action = 'text-input'
    else if (attrs.eol === 'crlf') action = 'text-crlf'
  }
  if (action === 'text') action = textEolIsCrlf(core) ? 'text-crlf' : 'text-input'
  if (action === 'undefined')
    action = core.autocrlf === 'true' ? 'auto-crlf' : core.autocrlf === 'input' ? 'auto-input' : 'binary'
  return action
}

function textEolIsCrlf(core: CoreSettings): boolean {
  if (core.autocrlf === 'true') return true
  if (core.autocrlf === 'input') return false
  return core.eol === 'crlf'
}

function outputIsCrlf(action: Action, core: CoreSettings): boolean {
  if (action === 'text-crlf' || action === 'auto-crlf') return true
  if (action === 'auto') return textEolIsCrlf(core)
  return false
}

/** CRLF → LF, leaving lone CRs alone (crlf_to_git's loop). */
function stripCr(buf: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(buf.length)
  let n = 0
  for (let i = 0; i < buf.length; i++) if (!(buf[i] === 13 && buf[i + 1] === 10)) out[n++] = buf[i]!
  return out.subarray(0, n)
}

/** Lone LF → CRLF (crlf_to_worktree). */
function addCr(buf: Uint8Array): Buffer {
  const out: number[] = []
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 10 && (i === 0 || buf[i - 1] !== 13)) out.push(13)
    out.push(buf[i]!)
  }
  return Buffer.from(out)
}

export interface EolConversion {
  /** What `git add` would store for this working-tree content; `indexBlob` is the index's (or commit's) blob. */
  toGit(path: string, content: Uint8Array, indexBlob: () => Promise<Uint8Array | null>): Promise<Uint8Array>
  /** What `git checkout` would write for this committed blob. */
  toWorktree(path: string, blob: Uint8Array): Uint8Array
}

const IDENTITY: EolConversion = {
  toGit: async (_path, content) => content,
  toWorktree: (_path, blob) => blob,
}

/** Whether any attributes file could apply to `paths` (so asking git for attributes is worth a spawn). */
function attributeFilesExist(workdir: string, gitdir: string, core: CoreSettings, paths: readonly string[]): boolean {
  const candidates = new Set([join(gitdir, 'info', 'attributes'), join(workdir, '.gitattributes')])
  if (core.attributesFile) candidates.add(core.attributesFile)
  for (const path of paths) {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) candidates.add(join(workdir, ...parts.slice(0, i), '.gitattributes'))
  }
  return [...candidates].some((f) => fs.existsSync(f))
}

/** `text`, `eol` and `crlf` of each path, from git itself (attribute files, macros like `binary`, precedence). */
async function readAttributes(workdir: string, paths: readonly string[]): Promise<Map<string, Attrs>> {
  const { stdout } = await runGit(
    workdir,
    ['check-attr', '-z', '--stdin', 'text', 'eol', 'crlf'],
    30_000,
    `${paths.join('\0')}\0`,
  )
  const fields = stdout.split('\0')
  const out = new Map<string, Attrs>()
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [path, attr, value] = [fields[i]!, fields[i + 1]!, fields[i + 2]!]
    const attrs = out.get(path) ?? { ...UNSPECIFIED }
    if (attr === 'text' || attr === 'eol' || attr === 'crlf') attrs[attr] = value
    out.set(path, attrs)
  }
  return out
}

/**
 * The conversion git applies to `paths` in this checkout. Costs a few stats when nothing is
 * configured; one `git check-attr` when attribute files exist (without git, attributes are not read).
 */
export async function eolConversion(gitdir: string, workdir: string, paths: readonly string[]): Promise<EolConversion> {
  const core = readCoreSettings(gitdir)
  const attributes =
    attributeFilesExist(workdir, gitdir, core, paths) && (await hasGitBinary())
      ? await readAttributes(workdir, paths)
      : null
  if (core.autocrlf === 'false' && core.eol !== 'crlf' && attributes === null) return IDENTITY
  const actionOf = (path: string): Action => actionFor(attributes?.get(path) ?? UNSPECIFIED, core)
  return {
    async toGit(path, content, indexBlob) {
      const action = actionOf(path)
      if (action === 'binary' || content.length === 0) return content
      const stats = gatherStats(content)
      if (stats.crlf === 0) return content
      if (isAuto(action)) {
        if (isBinary(stats)) return content
        // A file committed with CRLF stays CRLF under autocrlf: git's "safer autocrlf" rule.
        const blob = await indexBlob()
        if (blob && blob.includes(13)) {
          const indexStats = gatherStats(blob)
          if (!isBinary(indexStats) && indexStats.crlf > 0) return content
        }
      }
      return stripCr(content)
    },
    toWorktree(path, blob) {
      const action = actionOf(path)
      if (blob.length === 0 || !outputIsCrlf(action, core)) return blob
      const stats = gatherStats(blob)
      if (stats.lonelf === 0) return blob
      if (isAuto(action) && (stats.lonecr > 0 || stats.crlf > 0 || isBinary(stats))) return blob
      return addCr(blob)
    },
  }
}

/** eolConversion for `paths`, worked out on first use only: most dirty checks settle by stat data alone. */
export function lazyEolConversion(
  gitdir: string,
  workdir: string,
  paths: readonly string[],
): () => Promise<EolConversion> {
  let conversion: Promise<EolConversion> | null = null
  return () => (conversion ??= eolConversion(gitdir, workdir, paths))
}
