import { UsageError } from '../../core/errors.ts'

/**
 * A remote URL taken apart once, by the WHATWG parser (what Node's http client uses too), so every
 * consumer agrees on where the userinfo ends: the last `@` of the authority, not the first.
 */
export interface Credentials {
  username: string
  password: string
}

export interface RemoteUrl {
  /** The URL without userinfo: where requests go, what the cache records and is keyed by. */
  url: string
  /** scheme://host:port — the only origin credentials may be sent to. */
  origin: string
  /** The userinfo, percent-decoded as git does; null when the URL has none. */
  credentials: Credentials | null
}

const SCHEMES = new Set(['http:', 'https:'])

function parse(raw: string): URL | null {
  try {
    return new URL(raw)
  } catch {
    return null
  }
}

/** A `%` that is no escape stays as typed (the parser leaves it), as isomorphic-git does. */
function decode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function hasUserinfo(u: URL): boolean {
  return u.username !== '' || u.password !== ''
}

/** Trailing slashes off, as git does: the client appends `/info/refs` and `/git-*-pack` itself. */
function address(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}${u.search}`
}

/**
 * The parts of an http(s) URL, or null for anything else (an ssh or scp-like origin of a checkout is
 * left to isomorphic-git, which names what it cannot speak).
 */
export function splitRemoteUrl(raw: string): RemoteUrl | null {
  const u = parse(raw)
  if (!u || !SCHEMES.has(u.protocol) || u.hostname === '') return null
  const credentials = hasUserinfo(u) ? { username: decode(u.username), password: decode(u.password) } : null
  return { url: address(u), origin: u.origin, credentials }
}

// For a string the parser refuses: everything from the scheme to the last `@` before the path might be
// userinfo (a raw `@`, `/` or `\` inside a password breaks the authority), so all of it goes.
const UNPARSED_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^]*@/i

/** A URL fit to print: the userinfo, whatever it holds, replaced by `***` as a whole. */
export function redactUrl(raw: string): string {
  const u = parse(raw)
  if (!u) return raw.replace(UNPARSED_USERINFO, '$1***@')
  if (!hasUserinfo(u)) return raw
  u.username = ''
  u.password = ''
  return u.href.replace('//', '//***@')
}

/** What names a remote's cache: the same for every credential (or none) the URL is given with. */
export function remoteIdentity(raw: string): string {
  return splitRemoteUrl(raw)?.url ?? redactUrl(raw)
}

const PORT = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i

/**
 * `--remote` checked before anything is created: an http(s) URL the parser accepts, with a host and a
 * port in 1–65535. The message shows the URL redacted.
 */
export function parseRemoteUrl(raw: string): RemoteUrl {
  const shown = redactUrl(raw)
  const port = PORT.exec(raw)?.[1]
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) {
    throw new UsageError(`Option '--remote': port ${port} is out of range (1–65535) in ${shown}.`, { remote: shown })
  }
  const u = parse(raw)
  if (!u) throw new UsageError(`Option '--remote' is not a valid URL: ${shown}.`, { remote: shown })
  if (!SCHEMES.has(u.protocol)) {
    throw new UsageError(
      `Option '--remote' must be an http(s) URL (isomorphic-git speaks smart HTTP only), not ${shown}.`,
      { remote: shown },
    )
  }
  const parts = splitRemoteUrl(raw)
  if (!parts) throw new UsageError(`Option '--remote' has no host: ${shown}.`, { remote: shown })
  return parts
}
