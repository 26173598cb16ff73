// Which source files each mutation run mutates, and the in-process tests that cover them (issue 15).
// `npm run test:mutation` runs every scope in turn; `npm run test:mutation -- core` runs one.
// Tests that spawn the CLI, the Action or the App run a bundle that no mutant reaches, so none is here.
export const SCOPES = {
  core: {
    mutate: ['src/core/**/*.ts'],
    tests: ['test/core/**/*.test.ts'],
  },
  text: {
    mutate: [
      'src/store/state-files/frontmatter.ts',
      'src/store/state-files/edit-in-place.ts',
      'src/store/state-files/preserve-lines.ts',
      'src/store/state-files/meta-json.ts',
      'src/store/state-files/activity-log.ts',
    ],
    tests: [
      'test/store/state-files/frontmatter.test.ts',
      'test/store/state-files/lossless-frontmatter.test.ts',
      'test/store/state-files/preserve-lines.test.ts',
      'test/store/state-files/edit-in-place.test.ts',
    ],
  },
  git: {
    mutate: [
      'src/store/history/update-ref.ts',
      'src/store/history/move-branch.ts',
      'src/store/history/commit-mutation.ts',
      'src/store/objects/write-tree.ts',
      'src/store/objects/write-object.ts',
      'src/store/history/read-ref.ts',
      'src/store/history/git-config.ts',
    ],
    tests: [
      'test/store/history/compare-and-swap.test.ts',
      'test/store/history/write-path.test.ts',
      'test/store/history/commit-mutation.test.ts',
      'test/store/history/update-ref.test.ts',
      'test/store/history/move-branch.test.ts',
      'test/store/objects/write-object.test.ts',
      'test/store/history/read-ref.test.ts',
      'test/store/history/git-config.test.ts',
    ],
  },
}

export function scope() {
  const name = process.env['KITTY_MUTATION_SCOPE'] ?? 'core'
  const found = SCOPES[name]
  if (!found) throw new Error(`KITTY_MUTATION_SCOPE must be one of ${Object.keys(SCOPES).join(', ')}`)
  // KITTY_MUTATION_FILES=a.ts,b.ts mutates only those files of the scope, with the scope's tests, and
  // reports under reports/mutation/<scope>.partial/ so the whole scope's incremental file is kept.
  const only = (process.env['KITTY_MUTATION_FILES'] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
  if (only.length > 0) return { name: `${name}.partial`, ...found, mutate: only }
  return { name, ...found }
}
