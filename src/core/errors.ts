/**
 * Every failure kitty-github reports carries one stable code. The list below is the contract's
 * allow-list (upstream HEAD) plus the codes our storage and transport add; surfaces never invent codes.
 */
export const ERROR_CODES = [
  // upstream HEAD allow-list
  'USAGE_ERROR',
  'CONTRACT_VERSION_MISMATCH',
  'POLICY_METADATA_REQUIRED',
  'POLICY_VALIDATION_FAILED',
  'MISSION_NOT_FOUND',
  'WP_NOT_FOUND',
  'DEPENDENCIES_NOT_SATISFIED',
  'LANE_ALLOCATION_FAILED',
  'WP_ALREADY_CLAIMED',
  'TRANSITION_REJECTED',
  'HISTORY_COMMIT_FAILED',
  'MISSION_NOT_READY',
  'WORKFLOW_EVIDENCE_REQUIRED',
  'UNSUPPORTED_STRATEGY',
  'PREFLIGHT_FAILED',
  // ours: docs/design.md#envelope and docs/upstream-contract.md#where-upstream-contradicts-itself
  'MISSION_AMBIGUOUS_SELECTOR',
  'MISSION_META_INVALID',
  'WP_FILE_INVALID',
  'DEPENDENCY_CYCLE',
  'MERGE_FAILED',
  'PUSH_FAILED',
  // the remote refused a push by a branch protection rule or ruleset (GH006, GH013): final, never retried
  'BRANCH_PROTECTED',
  'STATE_CONFLICT',
  'WORKTREE_DIRTY',
  'REPOSITORY_NOT_FOUND',
  'CONFIG_INVALID',
  'SUBTASK_NOT_FOUND',
  'INPUT_TOO_LARGE',
  'REMOTE_UNREACHABLE',
  'REMOTE_AUTH_FAILED',
  // upstream's event log (status.events.jsonl) has a line that does not parse
  'EVENT_LOG_INVALID',
  // GitHub surfaces: the person lacks write access, or GitHub could not say (fail closed)
  'PERMISSION_DENIED',
  'INTERNAL_ERROR',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** Codes the contract forbids us from ever emitting (docs/upstream-contract.md#error-codes). */
export const FORBIDDEN_ERROR_CODES = ['FEATURE_NOT_FOUND', 'FEATURE_NOT_READY'] as const

export type ErrorData = Record<string, unknown>

/**
 * The one error type the engine throws for a handled failure. `data` holds the structured payload;
 * the envelope adds `message` to it (docs/upstream-contract.md#failure-data, HEAD rule).
 */
export class KittyError extends Error {
  readonly code: ErrorCode
  readonly data: ErrorData

  constructor(code: ErrorCode, message: string, data: ErrorData = {}) {
    super(message)
    this.name = 'KittyError'
    this.code = code
    this.data = data
  }
}

export class UsageError extends KittyError {
  constructor(message: string, data: ErrorData = {}) {
    super('USAGE_ERROR', message, data)
    this.name = 'UsageError'
  }
}

export class PolicyValidationError extends KittyError {
  constructor(message: string) {
    super('POLICY_VALIDATION_FAILED', message)
    this.name = 'PolicyValidationError'
  }
}

export class TransitionRejectedError extends KittyError {
  constructor(message: string, data: ErrorData = {}) {
    super('TRANSITION_REJECTED', message, data)
    this.name = 'TransitionRejectedError'
  }
}

export class WpFileInvalidError extends KittyError {
  constructor(path: string, reason: string, line?: number) {
    const where = line === undefined ? path : `${path}:${line}`
    super('WP_FILE_INVALID', `Work package file ${where} is invalid: ${reason}`, {
      path,
      ...(line === undefined ? {} : { line }),
      reason,
    })
    this.name = 'WpFileInvalidError'
  }
}

export class MetaInvalidError extends KittyError {
  constructor(path: string, reason: string) {
    super('MISSION_META_INVALID', `Mission metadata ${path} is invalid: ${reason}`, { path, reason })
    this.name = 'MetaInvalidError'
  }
}

/** A line of `status.events.jsonl` that is not an event; names the line, as upstream's StoreError does. */
export class EventLogInvalidError extends KittyError {
  constructor(path: string, line: number, reason: string) {
    super(
      'EVENT_LOG_INVALID',
      `Event log ${path} is invalid on line ${line}: ${reason}. Fix or remove that line (git log -p -- ${path} shows who wrote it); nothing was changed.`,
      {
        path,
        line,
        reason,
      },
    )
    this.name = 'EventLogInvalidError'
  }
}

export class StateConflictError extends KittyError {
  constructor(ref: string, attempts: number) {
    super(
      'STATE_CONFLICT',
      `The state branch ${ref} kept moving while this command ran; gave up after ${attempts} attempt(s). Re-run the command.`,
      { ref, attempts },
    )
    this.name = 'StateConflictError'
  }
}

/** A GitHub user without write access (or whose access could not be checked) asked for a mutation. */
export class PermissionDeniedError extends KittyError {
  constructor(message: string, data: ErrorData = {}) {
    super('PERMISSION_DENIED', message, data)
    this.name = 'PermissionDeniedError'
  }
}

export function isKittyError(err: unknown): err is KittyError {
  return err instanceof KittyError
}

/**
 * Any thrown value as a KittyError: a KittyError keeps its code and data; anything else becomes
 * INTERNAL_ERROR with only the first line of its message, so a stack or a multi-line dump never
 * reaches an envelope.
 */
export function toKittyError(err: unknown): KittyError {
  if (isKittyError(err)) return err
  const message = err instanceof Error ? err.message : String(err)
  return new KittyError('INTERNAL_ERROR', `Internal error: ${message.split('\n')[0]}`)
}
