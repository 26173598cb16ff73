import type { ErrorCode, ErrorData } from './errors.ts'

export const CONTRACT_VERSION = '1.3.0'
export const MIN_PROVIDER_VERSION = '0.1.0'
export const UNKNOWN_COMMAND = 'unknown'

/** The seven keys, in contract order (docs/upstream-contract.md#envelope-shape). */
export interface Envelope {
  contract_version: string
  command: string
  timestamp: string
  correlation_id: string
  success: boolean
  error_code: ErrorCode | null
  data: Record<string, unknown>
}

/**
 * Python's `datetime.isoformat()` for an aware UTC value: microseconds when non-zero, `+00:00` suffix.
 * Upstream clients compare against that form, so we reproduce it rather than `toISOString()`.
 */
export function isoTimestamp(date: Date): string {
  const base = date.toISOString().slice(0, 19)
  const ms = date.getUTCMilliseconds()
  return ms === 0 ? `${base}+00:00` : `${base}.${String(ms * 1000).padStart(6, '0')}+00:00`
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the form of Activity Log lines and frontmatter history. */
export function zuluSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`
}

/**
 * `corr-` and 32 hex digits, new for every envelope. The id names one call in logs and commit trailers
 * and guards nothing, so it must be unique, not unguessable: the time in milliseconds (12 digits), then
 * 80 bits of Math.random, which V8 seeds per process from the operating system's randomness. It was
 * node:crypto's randomUUID, which made every command load that module: ~30% of an empty script's start.
 */
export function newCorrelationId(): string {
  const time = Date.now().toString(16).padStart(12, '0').slice(-12)
  let random = ''
  while (random.length < 20)
    random += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')
  return `corr-${time}${random.slice(0, 20)}`
}

export interface EnvelopeOptions {
  now?: Date | undefined
  correlationId?: string | undefined
}

export function makeEnvelope(
  command: string,
  success: boolean,
  data: Record<string, unknown>,
  errorCode: ErrorCode | null = null,
  options: EnvelopeOptions = {},
): Envelope {
  return {
    contract_version: CONTRACT_VERSION,
    // A bare name is an orchestrator-api subcommand; a dotted one is already qualified.
    command: command.includes('.') ? command : `orchestrator-api.${command}`,
    timestamp: isoTimestamp(options.now ?? new Date()),
    correlation_id: options.correlationId ?? newCorrelationId(),
    success,
    error_code: success ? null : errorCode,
    data,
  }
}

/**
 * HEAD failure rule: structured data plus `message`, the explicit message winning
 * (docs/upstream-contract.md#failure-data).
 */
export function failureData(message: string, data: ErrorData = {}): Record<string, unknown> {
  return { ...data, message }
}

export function makeFailure(
  command: string,
  code: ErrorCode,
  message: string,
  data: ErrorData = {},
  options: EnvelopeOptions = {},
): Envelope {
  return makeEnvelope(command, false, failureData(message, data), code, options)
}
