import { createRequire } from 'node:module'

type Sqlite = typeof import('node:sqlite')

let loaded: Sqlite | null = null

/**
 * Run `work` with node:sqlite's ExperimentalWarning dropped (Node 22 and early 24 print one when the
 * module first loads): the App's stderr is JSON log lines, and an operator's first sight of it should
 * not be a warning about a module the App chose on purpose. Every other warning passes.
 */
export function withoutSqliteWarning<T>(work: () => T): T {
  const emit = process.emitWarning
  process.emitWarning = function filtered(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type
    const text = typeof warning === 'string' ? warning : warning.message
    const kind = typeof warning === 'string' ? type : warning.name
    if (kind === 'ExperimentalWarning' && /sqlite/i.test(text)) return
    return (emit as (...a: unknown[]) => void).call(this, warning, ...rest)
  } as typeof process.emitWarning
  try {
    return work()
  } finally {
    process.emitWarning = emit
  }
}

/** node:sqlite, loaded synchronously and quietly. */
export function loadSqlite(): Sqlite {
  loaded ??= withoutSqliteWarning(() => createRequire(import.meta.url)('node:sqlite') as Sqlite)
  return loaded
}
