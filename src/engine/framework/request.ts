import { normalizeWpId } from '../../core/dependency-graph.ts'
import { UsageError } from '../../core/errors.ts'

/** A parsed command request: flag values by flag name (`review-ref`), plus positionals. */
export interface Request {
  flags: Record<string, string | boolean | undefined>
  positionals: string[]
}

export function optionalString(req: Request, name: string): string | undefined {
  const value = req.flags[name]
  return typeof value === 'string' ? value : undefined
}

export function requiredString(req: Request, name: string): string {
  const value = optionalString(req, name)
  if (value === undefined) throw new UsageError(`Missing option '--${name}'.`)
  return value
}

/** `--wp`, normalised (`wp1` → `WP01`); a value that is no WP id is kept, to be answered WP_NOT_FOUND. */
export function optionalWpId(req: Request): string | undefined {
  const raw = optionalString(req, 'wp')
  return raw === undefined ? undefined : (normalizeWpId(raw) ?? raw)
}

export function requiredWpId(req: Request): string {
  requiredString(req, 'wp')
  return optionalWpId(req)!
}

/** true / false when given (`--x` / `--no-x`), undefined when absent. */
export function optionalBoolean(req: Request, name: string): boolean | undefined {
  const value = req.flags[name]
  return typeof value === 'boolean' ? value : undefined
}

const CONTROL = /[\x00-\x1f\x7f]/

/** Actors end up in commit trailers and Activity Log lines, so they must be one printable line. */
export function requiredActor(req: Request): string {
  const actor = requiredString(req, 'actor').trim()
  if (actor === '') throw new UsageError("Option '--actor' must not be empty.")
  if (CONTROL.test(actor) || actor.length > 200) {
    throw new UsageError("Option '--actor' must be one printable line of at most 200 characters.")
  }
  return actor
}

const MAX_NOTE = 10_000

/** Notes may span lines in a commit body; the few places that need one line fold them. */
export function optionalNote(req: Request): string | undefined {
  const note = optionalString(req, 'note')
  if (note !== undefined && note.length > MAX_NOTE)
    throw new UsageError(`Option '--note' is longer than ${MAX_NOTE} characters.`)
  return note
}

export function requiredNote(req: Request): string {
  requiredString(req, 'note')
  return optionalNote(req)!
}

export function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f\u0085\u2028\u2029]+/g, ' ').trim()
}
