/**
 * One repository's deliveries run one at a time in this process (its remote cache is locked per
 * command anyway; queueing avoids lock contention and keeps the order GitHub delivered them in).
 * Different repositories run side by side. Across processes, the compare-and-swap on the state ref
 * serializes writers; nothing here needs to be shared.
 */
export class RepoQueue {
  #tails = new Map<string, Promise<void>>()
  #depth = 0
  #idle: Array<() => void> = []

  /** Deliveries waiting or running. */
  get depth(): number {
    return this.#depth
  }

  /** Run `task` after every earlier task of `key`; its result (or error) is the caller's. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.#depth++
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const result = previous.then(task)
    const tail = result.then(
      () => undefined,
      () => undefined,
    )
    this.#tails.set(key, tail)
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
      if (--this.#depth === 0) for (const wake of this.#idle.splice(0)) wake()
    })
    return result
  }

  /** Resolves true once nothing is queued or running, or false when `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.#depth === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      this.#idle.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }
}
