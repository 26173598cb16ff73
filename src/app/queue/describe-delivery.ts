import type { Delivery } from './delivery-queue.ts'

/**
 * A verified webhook as a queue record: the headers' id and event, the raw body kept byte for byte,
 * and the two fields the queue orders and paces by (repository, installation) read from it. A body
 * that is not the JSON GitHub sends still becomes a record: the worker decides to ignore it, and the
 * receiver's only job is to record what it acknowledged.
 */
export interface WebhookInput {
  /** X-GitHub-Delivery */
  id: string
  /** X-GitHub-Event */
  event: string
  body: string
  receivedAt?: number
  /** The body already parsed (the receiver has it): not parsed a second time. */
  payload?: object
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

function parse(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

export function describeDelivery(input: WebhookInput): Delivery {
  const delivery: Delivery = {
    id: input.id,
    event: input.event,
    body: input.body,
    receivedAt: input.receivedAt ?? Date.now(),
  }
  const payload = (input.payload as Record<string, unknown> | undefined) ?? parse(input.body)
  const installation = (payload?.['installation'] as { id?: unknown } | undefined)?.id
  if (typeof installation === 'number' && Number.isSafeInteger(installation)) delivery.installationId = installation
  const repo = payload?.['repository'] as
    | { full_name?: unknown; name?: unknown; owner?: { login?: unknown } }
    | undefined
  const owner = text(repo?.owner?.login)
  const name = text(repo?.name)
  const repository = owner && name ? `${owner}/${name}` : text(repo?.full_name)
  // GitHub names are case-insensitive: one repository, one line, however a payload spells it.
  if (repository) delivery.repository = repository.toLowerCase()
  return delivery
}
