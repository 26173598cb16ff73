import type { LogLike } from '../../src/app/handle-delivery.ts'

export interface LogLine {
  level: string
  msg: string
  fields: object
}

/** A log that keeps its lines in `lines`, a child's bindings merged into each line's fields. */
export function recordingLog(lines: LogLine[], bound: object = {}): LogLike {
  const line = (level: string) => (fields: object, msg?: string) =>
    void lines.push({ level, msg: msg ?? '', fields: { ...bound, ...fields } })
  return {
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (b) => recordingLog(lines, { ...bound, ...b }),
  }
}
