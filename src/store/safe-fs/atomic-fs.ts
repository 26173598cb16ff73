import nodeFs from 'node:fs'
import { dirname, join } from 'node:path'
import type { PromiseFsClient } from 'isomorphic-git'
import { ownerTag, tempPathFor } from './temp-files.ts'

const p = nodeFs.promises

/**
 * The file system isomorphic-git writes through. Its own writes go straight to the final path, so a
 * process killed mid-write leaves a truncated object that later writes of the same content skip
 * (objects are written only when absent): a corrupt repository. Here every write lands in a temporary
 * file first and is renamed into place, which is atomic on one file system.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options?: unknown): Promise<void> {
  const tmp = tempNameFor(path)
  try {
    await p.writeFile(tmp, data, options as nodeFs.WriteFileOptions)
    await p.rename(tmp, path)
  } catch (err) {
    await p.rm(tmp, { force: true })
    throw err
  }
}

/**
 * Temporary names git itself ignores if a kill leaves them behind: `tmp_obj_*` beside loose objects
 * (fsck and gc know them), `*.lock` anywhere else (never read as a ref).
 */
function tempNameFor(path: string): string {
  const dir = dirname(path)
  return /[/\\]objects[/\\][0-9a-f]{2}$/.test(dir) ? join(dir, `tmp_obj_${ownerTag()}`) : tempPathFor(path, '.lock')
}

export const atomicFs: PromiseFsClient & { promises: Record<string, unknown> } = {
  promises: {
    readFile: p.readFile.bind(p),
    writeFile: writeFileAtomic,
    unlink: p.unlink.bind(p),
    readdir: p.readdir.bind(p),
    mkdir: p.mkdir.bind(p),
    rmdir: p.rmdir.bind(p),
    rm: p.rm.bind(p),
    stat: p.stat.bind(p),
    lstat: p.lstat.bind(p),
    readlink: p.readlink.bind(p),
    symlink: p.symlink.bind(p),
    chmod: p.chmod.bind(p),
  },
}
