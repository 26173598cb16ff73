// `node scripts/mutation-recheck.mjs <scope> [file…]`: every mutant Stryker's last run of the scope
// reported as survived or uncovered, applied by hand (the mutated text written into the source file)
// and the scope's tests run against it, one at a time; the file is restored after each. Stryker
// evaluates a module-level constant (a regular expression, a lookup table) once, at import, before it
// activates a mutant, so it reports such mutants as survived even when a test would kill them; this
// says which survivors really survive. Reads reports/mutation/<scope>/mutation.json (a partial run's
// report is under <scope>.partial: pass that name). Files: only mutants in paths ending so.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { SCOPES } from './mutation-scopes.mjs'

const [scopeName, ...only] = process.argv.slice(2)
const scope = SCOPES[(scopeName ?? '').replace(/\.partial$/, '')]
if (!scope) {
  console.error(`usage: node scripts/mutation-recheck.mjs <${Object.keys(SCOPES).join('|')}>[.partial] [file…]`)
  process.exit(2)
}
const report = JSON.parse(readFileSync(`reports/mutation/${scopeName}/mutation.json`, 'utf8'))

/** Offset of a Stryker location ({ line, column }, both from 1) in `text`. */
function offset(text, { line, column }) {
  let at = 0
  for (let l = 1; l < line; l++) at = text.indexOf('\n', at) + 1
  return at + column - 1
}

let restore = null
const restoreNow = () => restore?.()
process.on('SIGINT', () => {
  restoreNow()
  process.exit(130)
})

const rows = []
for (const [file, { mutants }] of Object.entries(report.files)) {
  if (only.length > 0 && !only.some((f) => file.endsWith(f))) continue
  const original = readFileSync(file, 'utf8')
  restore = () => writeFileSync(file, original)
  try {
    for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
      const from = offset(original, m.location.start)
      const to = offset(original, m.location.end)
      writeFileSync(file, original.slice(0, from) + m.replacement + original.slice(to))
      const run = spawnSync('npx', ['vitest', 'run', ...scope.tests], { encoding: 'utf8' })
      const at = `${file}:${m.location.start.line}:${m.location.start.column}`
      rows.push({ at, mutator: m.mutatorName, status: m.status, killed: run.status !== 0 })
      console.error(
        `${rows.at(-1).killed ? 'killed  ' : 'survives'} ${at} ${m.mutatorName} → ${m.replacement.slice(0, 60)}`,
      )
    }
  } finally {
    restoreNow()
    restore = null
  }
}
const killed = rows.filter((r) => r.killed).length
console.info(
  `${killed} of ${rows.length} reported survivors are killed when applied by hand; ${rows.length - killed} survive.`,
)
