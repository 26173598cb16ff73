// Preloaded into a CLI process (`node --import`) by the crash-safety tests: counts the process's
// file-system writes and SIGKILLs it just before write number KITTY_KILL_AT_WRITE, so a kill point
// is a place in the program's own sequence of writes, the same on a fast or a loaded machine.
// With KITTY_COUNT_WRITES_TO it only counts, and writes the total to that file at exit.
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'

const killAt = Number(process.env['KITTY_KILL_AT_WRITE'] ?? 0)
const countTo = process.env['KITTY_COUNT_WRITES_TO']
const writeFileSync = fs.writeFileSync
let writes = 0

const WRITES = [
  'writeFile',
  'appendFile',
  'rename',
  'mkdir',
  'rm',
  'rmdir',
  'unlink',
  'link',
  'symlink',
  'copyFile',
  'truncate',
  'utimes',
  'chmod',
  'mkdtemp',
  'cp',
]
/** An open for writing is a write; opens for reading are not kill points. */
const opensForWrite = (flags) =>
  typeof flags === 'string' ? /[wax+]/.test(flags) : typeof flags === 'number' && (flags & 3) !== 0

function wrap(target, key, isWrite) {
  const original = target[key]
  if (typeof original !== 'function') return
  target[key] = function (...args) {
    if (isWrite(args) && ++writes === killAt) process.kill(process.pid, 'SIGKILL')
    return original.apply(this, args)
  }
}
for (const name of WRITES) {
  wrap(fs.promises, name, () => true)
  wrap(fs, name, () => true)
  wrap(fs, `${name}Sync`, () => true)
}
wrap(fs.promises, 'open', (args) => opensForWrite(args[1]))
wrap(fs, 'open', (args) => opensForWrite(args[1]))
wrap(fs, 'openSync', (args) => opensForWrite(args[1]))
syncBuiltinESMExports()

if (countTo) process.on('exit', () => writeFileSync(countTo, String(writes)))
