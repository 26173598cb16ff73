/**
 * isomorphic-git, imported on first use. Reads (read-ref.ts, the object reader) and a local commit
 * (write-object.ts, update-ref.ts) do without it; fetch, push, merges' remote steps, deleting refs and
 * the index fallback without git still use it, and ~160 KiB of it is too much for every command to
 * compile. One `import()` for all of them, so the bundle keeps it in one chunk.
 */
type IsomorphicGit = typeof import('isomorphic-git').default

let loading: Promise<IsomorphicGit> | undefined

export function isomorphicGit(): Promise<IsomorphicGit> {
  loading ??= import('isomorphic-git').then((m) => m.default)
  return loading
}
