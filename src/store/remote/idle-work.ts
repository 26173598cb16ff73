/**
 * CPU work a surface knows it will need later (evaluating a module for a REST call at the end of the
 * step, say) that can just as well run while this process waits on the network for a child `git`,
 * which works on the other core. A surface queues it; the remote layer runs the queue, once, right
 * after it starts such a wait. Nothing depends on it running: whoever needs the work still awaits it.
 */

type Task = () => unknown

const queue: Task[] = []

export function doWhileWaiting(task: Task): void {
  queue.push(task)
}

/** Called by the remote layer just after it has handed work to another process. */
export function runIdleWork(): void {
  if (queue.length === 0) return
  const tasks = queue.splice(0)
  setImmediate(() => {
    for (const task of tasks) {
      try {
        void Promise.resolve(task()).catch(() => undefined)
      } catch {
        // A hint, never a failure: the task's owner does the work again when it needs it.
      }
    }
  })
}
