import fs from 'node:fs/promises'
import { join } from 'node:path'
import { KittyError } from '../../core/errors.ts'

/**
 * Paths kitty writes in a working tree must stay inside it. Node's fs follows symbolic links in every
 * component of a path, so a directory replaced by a link (committed or made by hand) would send a
 * write, a mkdir or a delete to wherever the link points. git never writes through a link in the
 * working tree either: it treats the link as the entry and refuses.
 */

/** The entry at `path`, not following a final link (stat data to the nanosecond); null when nothing is there. */
export async function lstatOrNull(path: string): Promise<import('node:fs').BigIntStats | null> {
  try {
    return await fs.lstat(path, { bigint: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw err
  }
}

/**
 * The first component of `path` (relative to `workdir`) that is a symbolic link in the working tree,
 * or null. `includeSelf` also checks the last component (for a folder kitty creates things in);
 * otherwise only the parent directories are checked (the file itself is replaced, never followed).
 */
export async function symlinkAlong(workdir: string, path: string, includeSelf = false): Promise<string | null> {
  const parts = path.split('/').filter((p) => p !== '')
  const upTo = includeSelf ? parts.length : parts.length - 1
  for (let i = 1; i <= upTo; i++) {
    const prefix = parts.slice(0, i).join('/')
    const stat = await lstatOrNull(join(workdir, prefix))
    // Nothing there: the rest is made as real directories when written.
    if (!stat) return null
    if (stat.isSymbolicLink()) return prefix
  }
  return null
}

/** The symbolic links (deduplicated) that stand in the way of writing `paths`. */
export async function symlinksInTheWay(workdir: string, paths: readonly string[]): Promise<string[]> {
  const links = new Set<string>()
  for (const path of paths) {
    const link = await symlinkAlong(workdir, path)
    if (link !== null) links.add(link)
  }
  return [...links].sort()
}

export async function linkTarget(workdir: string, link: string): Promise<string> {
  return fs.readlink(join(workdir, link)).catch(() => '?')
}

/**
 * WORKTREE_DIRTY, because that is what git sees too: the directory it checked out is gone and an
 * untracked link stands in its place. Nothing was written.
 */
export async function symlinkInWorktreeError(
  workdir: string,
  links: string[],
  paths: readonly string[],
): Promise<KittyError> {
  const described = await Promise.all(links.map(async (l) => `${l} -> ${await linkTarget(workdir, l)}`))
  return new KittyError(
    'WORKTREE_DIRTY',
    `${described.join(', ')} ${links.length === 1 ? 'is a symbolic link' : 'are symbolic links'} in the working tree where git has a directory; ` +
      'kitty never writes through a link. Replace it with the real directory (rm the link, then git checkout -- ' +
      `${links.join(' ')}) and retry; nothing was changed.`,
    { paths: [...paths], symlinks: links },
  )
}

/**
 * Make the directory `dir` (relative to `workdir`) one real component at a time, refusing a link on
 * the way: a recursive mkdir would follow it.
 */
export async function makeRealDirs(workdir: string, dir: string): Promise<void> {
  const parts = dir.split('/').filter((p) => p !== '' && p !== '.')
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/')
    const full = join(workdir, prefix)
    const stat = await lstatOrNull(full)
    if (stat?.isSymbolicLink()) throw await symlinkInWorktreeError(workdir, [prefix], [dir])
    if (stat) continue
    await fs.mkdir(full).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    })
    // Someone may have raced a link into place between the lstat and the mkdir.
    if ((await lstatOrNull(full))?.isSymbolicLink()) throw await symlinkInWorktreeError(workdir, [prefix], [dir])
  }
}
