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

  /** Deliveries waiting or running, plus answers still being published. */
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
      this.#settle()
    })
    return result
  }

  /**
   * Count `work` that runs outside any repository's turn (publishing answers on GitHub, which the
   * REST client paces at about one write a second) in the depth and in drain().
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.#depth++
    void work.then(
      () => this.#settle(),
      () => this.#settle(),
    )
    return work
  }

  #settle(): void {
    if (--this.#depth === 0) for (const wake of this.#idle.splice(0)) wake()
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
