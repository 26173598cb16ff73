import { createRequire } from 'node:module'

type Sqlite = typeof import('node:sqlite')

let loaded: Sqlite | null = null

/**
 * node:sqlite, loaded without its ExperimentalWarning (Node 22 and early 24 print one on first load):
 * the App's stderr is JSON log lines, and an operator's first sight of it should not be a warning about
 * a module the App chose on purpose. Only that one warning is dropped; every other warning passes.
 */
export function loadSqlite(): Sqlite {
  if (loaded) return loaded
  const emit = process.emitWarning
  process.emitWarning = function filtered(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type
    const text = typeof warning === 'string' ? warning : warning.message
    const kind = typeof warning === 'string' ? type : warning.name
    if (kind === 'ExperimentalWarning' && /sqlite/i.test(text)) return
    return (emit as (...a: unknown[]) => void).call(this, warning, ...rest)
  } as typeof process.emitWarning
  try {
    loaded = createRequire(import.meta.url)('node:sqlite') as Sqlite
  } finally {
    process.emitWarning = emit
  }
  return loaded
}
