/**
 * Tree and commit objects → the values isomorphic-git's readTree and readCommit report, from content
 * the object reader returned (no I/O here).
 */
export interface TreeItem {
  mode: string
  path: string
  oid: string
  type: 'blob' | 'tree' | 'commit'
}

/** Tree object → entries, modes normalised to six digits as isomorphic-git reports them. */
export function parseTree(content: Buffer): TreeItem[] {
  const entries: TreeItem[] = []
  let i = 0
  while (i < content.length) {
    const space = content.indexOf(0x20, i)
    const nul = content.indexOf(0, space)
    const mode = content.subarray(i, space).toString().padStart(6, '0')
    const path = content.subarray(space + 1, nul).toString('utf8')
    const oid = content.subarray(nul + 1, nul + 21).toString('hex')
    const type = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob'
    entries.push({ mode, path, oid, type })
    i = nul + 21
  }
  return entries
}

interface Person {
  name: string
  email: string
  timestamp: number
  timezoneOffset: number
}

/** A commit as isomorphic-git's `readCommit` reports it (same fields, same quirks). */
export interface CommitObject {
  tree: string
  parent: string[]
  author: Person
  committer: Person
  message: string
  gpgsig?: string
  [header: string]: unknown
}

function parsePerson(value: string): Person {
  const m = /^(.*) <(.*)> (.*) (.*)$/.exec(value)
  if (!m) return { name: value, email: '', timestamp: 0, timezoneOffset: 0 }
  const tz = /([+-])(\d\d)(\d\d)/.exec(m[4]!)
  const minutes = tz ? (tz[1] === '+' ? 1 : -1) * (Number(tz[2]) * 60 + Number(tz[3])) : 0
  // isomorphic-git reports offsets as Date#getTimezoneOffset does: UTC+1 is -60.
  return { name: m[1]!, email: m[2]!, timestamp: Number(m[3]), timezoneOffset: minutes === 0 ? 0 : -minutes }
}

/**
 * Parse a commit the way git (and isomorphic-git) read it: `tree` first, then the run of `parent`
 * lines right after it; for any other header the first occurrence wins; continuation lines (a leading
 * space, as in `gpgsig`) join the header above.
 */
export function parseCommitObject(content: Buffer): CommitObject {
  const text = content.toString('utf8')
  const cut = text.indexOf('\n\n')
  const headers: string[] = []
  for (const line of (cut === -1 ? text : text.slice(0, cut)).split('\n')) {
    if (line.startsWith(' ') && headers.length > 0) headers[headers.length - 1] += `\n${line.slice(1)}`
    else headers.push(line)
  }
  const key = (h: string) => h.slice(0, h.indexOf(' '))
  const value = (h: string) => h.slice(h.indexOf(' ') + 1)
  if (headers.length === 0 || key(headers[0]!) !== 'tree') throw new Error('commit does not start with a tree header')
  const out: Record<string, unknown> = { tree: value(headers[0]!), parent: [] as string[] }
  let i = 1
  for (; i < headers.length && key(headers[i]!) === 'parent'; i++) (out['parent'] as string[]).push(value(headers[i]!))
  const seen = new Set(['tree', 'parent'])
  for (; i < headers.length; i++) {
    const k = key(headers[i]!)
    if (seen.has(k)) continue
    seen.add(k)
    out[k] = k === 'author' || k === 'committer' ? parsePerson(value(headers[i]!)) : value(headers[i]!)
  }
  out['message'] = cut === -1 ? '' : text.slice(cut + 2)
  return out as CommitObject
}

export interface CommitInfo {
  tree: string
  parents: string[]
  committerTimestamp: number
  message: string
}

export function parseCommit(content: Buffer): CommitInfo {
  const commit = parseCommitObject(content)
  return {
    tree: commit.tree,
    parents: commit.parent,
    committerTimestamp: commit.committer?.timestamp ?? 0,
    message: commit.message,
  }
}
