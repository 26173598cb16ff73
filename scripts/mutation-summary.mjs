// Summarise StrykerJS JSON reports (reports/mutation/<scope>/mutation.json) as Markdown: the score per
// file and every surviving or uncovered mutant, for docs/mutation-testing.md.
// Usage: node scripts/mutation-summary.mjs [scope…]   (default: every scope with a report)
import { existsSync, readFileSync } from 'node:fs'
import { SCOPES } from './mutation-scopes.mjs'

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SCOPES)
for (const name of names) {
  const path = `reports/mutation/${name}/mutation.json`
  if (!existsSync(path)) continue
  const report = JSON.parse(readFileSync(path, 'utf8'))
  console.log(
    `\n### scope ${name}\n\n| file | mutants | killed | timeout | survived | no coverage | ignored | score |\n|---|---|---|---|---|---|---|---|`,
  )
  const survivors = []
  for (const [file, { mutants }] of Object.entries(report.files).sort()) {
    const n = (s) => mutants.filter((m) => m.status === s).length
    const [killed, timeout, survived, none, ignored] = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'Ignored'].map(n)
    const valid = killed + timeout + survived + none
    const score = valid === 0 ? 'n/a' : `${((100 * (killed + timeout)) / valid).toFixed(1)}%`
    console.log(
      `| ${file} | ${mutants.length} | ${killed} | ${timeout} | ${survived} | ${none} | ${ignored} | ${score} |`,
    )
    for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
      survivors.push(
        `- ${file}:${m.location.start.line} ${m.status} ${m.mutatorName}: \`${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)}\``,
      )
    }
  }
  const all = Object.values(report.files).flatMap((f) => f.mutants)
  const c = (s) => all.filter((m) => m.status === s).length
  const valid = c('Killed') + c('Timeout') + c('Survived') + c('NoCoverage')
  console.log(
    `\nTotal: ${all.length} mutants, score ${((100 * (c('Killed') + c('Timeout'))) / valid).toFixed(1)}% (${c('Survived')} survived, ${c('NoCoverage')} without coverage, ${c('Ignored')} static ignored).\n`,
  )
  if (survivors.length > 0)
    console.log(
      `<details><summary>${survivors.length} survivors / uncovered</summary>\n\n${survivors.join('\n')}\n\n</details>`,
    )
}
