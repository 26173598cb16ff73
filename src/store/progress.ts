/**
 * How long steps (a fetch, a worktree checkout, deepening history for a merge) say what they are
 * doing. The store only emits events; a surface decides whether and where they are shown (the CLI:
 * stderr, when it is a terminal).
 */
export interface ProgressEvent {
  task: string
  loaded?: number | undefined
  total?: number | undefined
}

export type ProgressSink = (event: ProgressEvent) => void

const TICK_MS = 1_000

/**
 * Run `work`, reporting `task` with the seconds elapsed once a second: for steps whose own progress
 * cannot be read (git writing a worktree's files), time is the honest measure of how far along.
 */
export async function withElapsed<T>(sink: ProgressSink | undefined, task: string, work: () => Promise<T>): Promise<T> {
  if (!sink) return work()
  const started = Date.now()
  sink({ task })
  const timer = setInterval(() => sink({ task: `${task} (${Math.round((Date.now() - started) / 1000)} s)` }), TICK_MS)
  timer.unref?.()
  try {
    return await work()
  } finally {
    clearInterval(timer)
    sink({ task: `${task}: done in ${((Date.now() - started) / 1000).toFixed(1)} s` })
  }
}
