/**
 * How many answers one person who has not shown write access can cause on one pull request per
 * window: anyone can comment on a public repository, and each `/kitty` comment costs the installation a
 * reply and a reaction (REST writes, rate-limited per installation). A writer's write is never limited.
 */
export class ReplyBudget {
  private readonly spent = new Map<string, number[]>()
  /** Deliveries already counted, by delivery id and key: a retried delivery is one answer, not one per attempt. */
  private readonly counted = new Set<string>()

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
    /** Keys (and deliveries) remembered at most; the oldest are forgotten first, so memory stays bounded under a flood. */
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether one more answer under `key` fits the window; counts it when it does. With `deliveryId`, a
   * delivery that was counted once fits again without counting (its retry answers what it already owed).
   */
  take(key: string, deliveryId?: string): boolean {
    const delivery = deliveryId === undefined ? null : `${deliveryId}\n${key}`
    if (delivery !== null && this.counted.has(delivery)) return true
    const now = this.now()
    const recent = (this.spent.get(key) ?? []).filter((t) => now - t < this.windowMs)
    this.spent.delete(key)
    if (recent.length >= this.limit) {
      this.spent.set(key, recent)
      return false
    }
    recent.push(now)
    this.spent.set(key, recent)
    if (this.spent.size > this.maxKeys) this.spent.delete(this.spent.keys().next().value!)
    if (delivery !== null) this.remember(delivery)
    return true
  }

  private remember(delivery: string): void {
    this.counted.add(delivery)
    if (this.counted.size > this.maxKeys) this.counted.delete(this.counted.values().next().value!)
  }
}
