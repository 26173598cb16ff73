import fs from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Write through a temporary file and rename: a reader (a Pages deploy) never sees half a page. */
export function writeFileAtomic(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  try {
    fs.writeFileSync(temp, text, { flag: 'wx' })
    fs.renameSync(temp, path)
  } catch (err) {
    fs.rmSync(temp, { force: true })
    throw err
  }
}
