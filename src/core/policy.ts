import { PolicyValidationError } from './errors.ts'
import { describeJsonError } from './json-error.ts'

/** The policy as recorded on every mutation: exactly these eight keys (docs/upstream-contract.md#policy-validation). */
export interface Policy {
  orchestrator_id: string
  orchestrator_version: string
  agent_family: string
  approval_mode: string
  sandbox_mode: string
  network_mode: string
  dangerous_flags: string[]
  tool_restrictions: string | null
}

const SCALAR_FIELDS = [
  'orchestrator_id',
  'orchestrator_version',
  'agent_family',
  'approval_mode',
  'sandbox_mode',
  'network_mode',
] as const

const REQUIRED_FIELDS = [...SCALAR_FIELDS, 'dangerous_flags'] as const

export const BANNED_FLAGS: readonly string[] = [
  '--full-auto',
  '--yolo',
  '--dangerously-bypass-approvals-and-sandbox',
  '--dangerously-skip-permissions',
]

/** Upstream's deliberately blunt substring scan over values (docs/upstream-contract.md#secret-scan). */
const SECRET_PATTERN = /token|secret|key|password|credential/i
const SECRET_WORDS = 'token|secret|key|password|credential'

/**
 * Real credentials rarely contain any of upstream's words (`ghp_…` does not), and whatever passes is
 * committed for good in the Kitty-Policy trailer. So the scan also knows the shapes of common tokens.
 * Anchored on a non-word boundary so `risk-assessment` is not an `sk-` key.
 */
const TOKEN_SHAPES: ReadonlyArray<readonly [name: string, shape: RegExp]> = [
  ['GitHub token', /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{20,}/],
  ['GitHub fine-grained token', /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{20,}/],
  ['API secret key (sk-…)', /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}/],
  ['AWS access key id', /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/],
  ['Slack token', /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}/],
  ['PEM private key', /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/],
  ['JSON Web Token', /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/],
]

/** Which rule a string trips, by name (never the matched text), or null. */
function secretMatch(value: string): string | null {
  if (SECRET_PATTERN.test(value)) return SECRET_WORDS
  return TOKEN_SHAPES.find(([, shape]) => shape.test(value))?.[0] ?? null
}

function tokenShaped(value: string): boolean {
  return TOKEN_SHAPES.some(([, shape]) => shape.test(value))
}

/** Deeper than any real policy; a bound keeps hostile nesting from exhausting the stack. */
export const MAX_POLICY_DEPTH = 32

interface SecretFound {
  path: string
  rule: string
}

/**
 * A member name for a field path. Keys are not scanned for upstream's words (upstream does not), but a
 * token used as a key is still a token: it is refused, and never written into the message.
 */
function memberPath(path: string, key: string): string {
  return tokenShaped(key) ? `${path}.<key>` : `${path}.${key}`
}

/**
 * Find the first value that looks like a secret, depth first in document order; return its field
 * path and the rule it tripped, never the value. Iterative, with a depth bound, so hostile nesting
 * cannot crash the scan.
 */
function findSecret(root: unknown, rootPath: string): SecretFound | null {
  const stack: [unknown, string, number][] = [[root, rootPath, 0]]
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop()!
    if (typeof value === 'string') {
      const rule = secretMatch(value)
      if (rule) return { path, rule }
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (depth >= MAX_POLICY_DEPTH) fail(`--policy field '${path}' is nested deeper than ${MAX_POLICY_DEPTH} levels`)
    if (!Array.isArray(value)) {
      const key = Object.keys(value).find(tokenShaped)
      if (key !== undefined)
        return { path: memberPath(path, key), rule: TOKEN_SHAPES.find(([, shape]) => shape.test(key))![0] }
    }
    const children: [unknown, string, number][] = Array.isArray(value)
      ? value.map((v, i) => [v, `${path}[${i}]`, depth + 1])
      : Object.entries(value).map(([k, v]) => [v, memberPath(path, k), depth + 1])
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
  }
  return null
}

/** A policy to copy: every required field, with upstream's documented example values. */
/** A complete, valid policy: shown in refusals, and the base of the demo's, the tests' and the bench's. */
export const EXAMPLE_POLICY = {
  orchestrator_id: 'my-orchestrator',
  orchestrator_version: '0.1.0',
  agent_family: 'claude',
  approval_mode: 'supervised',
  sandbox_mode: 'sandbox',
  network_mode: 'restricted',
  dangerous_flags: [] as string[],
}
export const EXAMPLE_POLICY_JSON = JSON.stringify(EXAMPLE_POLICY)

/**
 * Every missing or mistyped field, in upstream's check order, so one run names them all; the first is
 * upstream's exact message (clients match on its prefix). Values are never quoted.
 */
function shapeProblems(obj: Record<string, unknown>): string[] {
  const missing = REQUIRED_FIELDS.filter((field) => !(field in obj))
  const problems = missing.length > 0 ? [`--policy missing required field: '${missing[0]}'`] : []
  if (missing.length > 1)
    problems.push(
      `missing ${missing
        .slice(1)
        .map((f) => `'${f}'`)
        .join(', ')}`,
    )
  for (const field of SCALAR_FIELDS) {
    if (field in obj && typeof obj[field] !== 'string') problems.push(`--policy.${field} must be a string`)
  }
  const flags = obj['dangerous_flags']
  if ('dangerous_flags' in obj && !Array.isArray(flags)) problems.push('--policy.dangerous_flags must be a JSON array')
  else if (Array.isArray(flags) && !flags.every((f) => typeof f === 'string'))
    problems.push('--policy.dangerous_flags entries must be strings')
  return problems
}

function fail(message: string): never {
  throw new PolicyValidationError(message)
}

/**
 * Validate a `--policy` string with HEAD's checks in HEAD's order. Messages never quote a value, so a
 * secret passed by mistake cannot reach stdout, a check run or a log.
 */
export function parsePolicy(raw: string): Policy {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (err) {
    fail(`--policy is not valid JSON: ${describeJsonError(err)}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail('--policy must be a JSON object')
  const obj = parsed as Record<string, unknown>
  const problems = shapeProblems(obj)
  if (problems.length > 0) {
    const more = problems.length > 1 ? `; also ${problems.slice(1).join('; ')}` : ''
    fail(`${problems[0]}${more}. A complete policy: ${EXAMPLE_POLICY_JSON}`)
  }
  const flags = obj['dangerous_flags'] as string[]
  const banned = flags.find((f) => BANNED_FLAGS.includes(f))
  if (banned !== undefined) {
    fail(
      `--policy.dangerous_flags contains a banned flag: '${banned}'. ` +
        'Orchestrators must not run agents with approval or sandbox bypass flags.',
    )
  }
  const tools = obj['tool_restrictions']
  if (tools !== undefined && tools !== null && typeof tools !== 'string') {
    fail('--policy.tool_restrictions must be a string or null')
  }
  const topLevel = Object.keys(obj).find(tokenShaped)
  if (topLevel !== undefined) fail('--policy has a key shaped like a credential. Do not pass secrets via --policy.')
  for (const [key, value] of Object.entries(obj)) {
    const found = findSecret(value, key)
    if (found) {
      fail(
        `--policy field '${found.path}' appears to contain a secret (matched pattern: ${found.rule}). Do not pass secrets via --policy.`,
      )
    }
  }
  return {
    orchestrator_id: obj['orchestrator_id'] as string,
    orchestrator_version: obj['orchestrator_version'] as string,
    agent_family: obj['agent_family'] as string,
    approval_mode: obj['approval_mode'] as string,
    sandbox_mode: obj['sandbox_mode'] as string,
    network_mode: obj['network_mode'] as string,
    dangerous_flags: [...flags],
    tool_restrictions: typeof tools === 'string' ? tools : null,
  }
}

/** Compact JSON for the `Kitty-Policy` trailer, keys in recorded order. */
export function policyTrailer(policy: Policy): string {
  return JSON.stringify(policy)
}
