import { KittyError } from '../../core/errors.ts'
import type { Policy } from '../../core/policy.ts'
import { EXAMPLE_POLICY_JSON, parsePolicy } from '../../core/policy.ts'
import type { Request } from '../framework/request.ts'
import { optionalString } from '../framework/request.ts'

/** Policies are small; a megabyte of "policy" is a mistake or an attack. */
const MAX_POLICY_BYTES = 64 * 1024

function checkedPolicy(raw: string): Policy {
  if (raw.length > MAX_POLICY_BYTES) {
    throw new KittyError('POLICY_VALIDATION_FAILED', `--policy is larger than ${MAX_POLICY_BYTES} bytes`)
  }
  return parsePolicy(raw)
}

/**
 * A policy the command cannot run without; an empty string counts as missing
 * (docs/upstream-contract.md#policy-validation).
 */
export function requirePolicy(req: Request, what: string): Policy {
  const raw = optionalString(req, 'policy')
  if (raw === undefined || raw.trim() === '') {
    throw new KittyError(
      'POLICY_METADATA_REQUIRED',
      `--policy is required for ${what}: pass --policy '<JSON>', e.g. --policy '${EXAMPLE_POLICY_JSON}'`,
    )
  }
  return checkedPolicy(raw)
}

/** A policy that may be absent but must be valid when given. */
export function optionalPolicy(req: Request): Policy | null {
  const raw = optionalString(req, 'policy')
  return raw === undefined || raw.trim() === '' ? null : checkedPolicy(raw)
}
