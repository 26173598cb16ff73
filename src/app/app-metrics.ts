import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The App's Prometheus metrics, on a registry of its own (not prom-client's global one), so several
 * servers in one process (tests, the bench) never share or double-register counters.
 */
export interface AppMetrics {
  registry: Registry
  commands: Counter<'command' | 'outcome'>
  duration: Histogram<'command'>
  stateRetries: Counter
  deliveries: Counter<'event' | 'action'>
  refusals: Counter<'reason'>
}

export function createAppMetrics(queueDepth: () => number): AppMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const commands = new Counter({
    name: 'kitty_commands_total',
    help: 'Commands answered, by engine command and outcome (success or the envelope error code).',
    labelNames: ['command', 'outcome'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'kitty_command_duration_seconds',
    help: 'Time an engine command took, from its turn in the repository queue to its envelope.',
    labelNames: ['command'] as const,
    // A warm command is a few hundred ms; merge-mission on a cold cache can take tens of seconds.
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  })
  const stateRetries = new Counter({
    name: 'kitty_state_conflict_retries_total',
    help: 'Lost compare-and-swaps on a state branch that were re-read, re-validated and retried.',
    registers: [registry],
  })
  const deliveries = new Counter({
    name: 'kitty_webhook_deliveries_total',
    help: 'Webhook deliveries that passed signature verification, by event and action.',
    labelNames: ['event', 'action'] as const,
    registers: [registry],
  })
  const refusals = new Counter({
    name: 'kitty_webhook_refusals_total',
    help: 'Webhook requests refused before any handler ran (size, headers, signature, JSON), by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  new Gauge({
    name: 'kitty_queue_depth',
    help: 'Deliveries waiting or running in the per-repository queues of this process.',
    registers: [registry],
    collect() {
      this.set(queueDepth())
    },
  })
  return { registry, commands, duration, stateRetries, deliveries, refusals }
}
