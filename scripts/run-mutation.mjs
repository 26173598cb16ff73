// `npm run test:mutation [-- scope…]`: StrykerJS over each scope of scripts/mutation-scopes.mjs in turn,
// one mutant at a time; reports land in reports/mutation/<scope>/ (summary: docs/mutation-testing.md).
import { spawnSync } from 'node:child_process'
import { SCOPES } from './mutation-scopes.mjs'

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SCOPES)
for (const name of names) {
  if (!SCOPES[name]) throw new Error(`unknown scope ${name}; scopes: ${Object.keys(SCOPES).join(', ')}`)
  console.info(`\n== mutation scope ${name}: ${SCOPES[name].mutate.join(' ')}`)
  const run = spawnSync('stryker', ['run'], { stdio: 'inherit', env: { ...process.env, KITTY_MUTATION_SCOPE: name } })
  if (run.status !== 0) process.exit(run.status ?? 1)
}
