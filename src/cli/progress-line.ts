import type { ProgressEvent, ProgressSink } from '../store/progress.ts'

/**
 * Progress on one rewritten stderr line, for a person at a terminal: stdout keeps exactly one JSON
 * line, and nothing is drawn unless the caller decided stderr is a terminal (and not --quiet).
 */
export interface ProgressLine {
  sink: ProgressSink
  /** End the line, so the shell prompt does not land on it. */
  finish: () => void
}

const REDRAW_MS = 100

export function describeProgress(e: ProgressEvent): string {
  if (e.total === undefined || e.total <= 0 || e.loaded === undefined)
    return e.loaded === undefined ? e.task : `${e.task} ${e.loaded.toLocaleString('en')}`
  const percent = Math.min(100, Math.floor((e.loaded / e.total) * 100))
  return `${e.task} ${percent}% (${e.loaded.toLocaleString('en')}/${e.total.toLocaleString('en')})`
}

export function progressLine(write: (text: string) => void, now: () => number = Date.now): ProgressLine {
  let drawn = false
  let lastTask = ''
  let lastAt = 0
  return {
    sink: (e) => {
      // Redraw at most every 100 ms, except when the step changes (so every step is seen).
      const at = now()
      if (e.task === lastTask && at - lastAt < REDRAW_MS) return
      lastTask = e.task
      lastAt = at
      write(`\r\x1b[2Kkitty: ${describeProgress(e)}`)
      drawn = true
    },
    finish: () => {
      if (drawn) write('\r\x1b[2K')
    },
  }
}
