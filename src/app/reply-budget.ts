/**
 * How many answers one person who has not shown write access can cause on one pull request per
 * window: anyone can comment on a public repository, and each `/kitty` comment costs the installation a
 * reply and a reaction (REST writes, rate-limited per installation). A writer's write is never limited.
 */
export class ReplyBudget {
  private readonly spent = new Map<string, number[]>()

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
    /** Keys remembered at most; the oldest are forgotten first, so memory stays bounded under a flood. */
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether one more answer under `key` fits the window; counts it when it does. */
  take(key: string): boolean {
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
    return true
  }
}
