import { cpus, loadavg, totalmem } from 'node:os'
import { git } from './git-exec.ts'
import type { Row } from './scenario-bench.ts'
import { ratio, round } from './stats.ts'

/** The one stdout table, the cross-scenario ratios and the machine description of results.json. */

const COLUMNS = [
  'scenario',
  'command',
  'runs',
  'median ms',
  'p95 ms',
  'peak RSS MB',
  'git baseline median ms',
  'ratio',
] as const

function cells(row: Row): string[] {
  const num = (v: number | null): string => (v === null ? '–' : String(v))
  if (row.runs === 0 && row.note) return [row.scenario, row.command, '0', row.note, '', '', '', '']
  const ratioCell = row.ratio === null ? '–' : `${row.ratio}×`
  return [
    row.scenario,
    row.command,
    String(row.runs),
    num(row.medianMs),
    num(row.p95Ms),
    num(row.peakRssMb),
    num(row.baselineMedianMs),
    ratioCell,
  ]
}

export function formatTable(rows: Row[]): string {
  const body = rows.map(cells)
  // A placeholder row's note may overflow its cell rather than widen the column for every row.
  const measured = body.filter((_, i) => rows[i]!.runs > 0 || !rows[i]!.note)
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...measured.map((r) => r[i]!.length)))
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(COLUMNS), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n')
}

export interface ScaleRatio {
  command: string
  small: number | null
  large: number | null
  ratio: number | null
  withinBar: boolean | null
}

/** docs/design.md#quality-bars: cost must not grow with other missions and history; large / small ≤ 1.5. */
export function scaleRatios(rows: Row[], commands: string[]): ScaleRatio[] {
  return commands.map((command) => {
    const small = rows.find((r) => r.scenario === 'small' && r.command === command)?.medianMs ?? null
    const large = rows.find((r) => r.scenario === 'large' && r.command === command)?.medianMs ?? null
    const q = round(ratio(large, small), 2)
    return { command, small, large, ratio: q, withinBar: q === null ? null : q <= 1.5 }
  })
}

export function formatScale(ratios: ScaleRatio[]): string {
  return ratios
    .map((r) =>
      r.ratio === null
        ? `${r.command}: large/small n/a (run both scenarios)`
        : `${r.command}: large ${r.large} ms / small ${r.small} ms = ${r.ratio}× (quality bar ≤ 1.5×: ${r.withinBar ? 'met' : 'NOT met'})`,
    )
    .join('\n')
}

export interface SpecCheck {
  check: string
  measuredMs: number | null
  barMs: number
  met: boolean | null
}

/**
 * The absolute bars of docs/design.md#quality-bars that this bench measures directly: the per-call bars on the corpus;
 * merge-mission of a 20-WP mission ≤ 2 s on the corpus and on each synthetic scenario that was run.
 */
export function specChecks(rows: Row[]): SpecCheck[] {
  const at = (command: string, scenario = 'corpus'): number | null =>
    rows.find((r) => r.scenario === scenario && r.command === command)?.medianMs ?? null
  const merge = 'merge-mission (20 WPs)'
  const synthetic = ['small', 'large'].filter((s) => rows.some((r) => r.scenario === s && r.command === merge))
  const checks: Array<[string, number | null, number]> = [
    ['corpus mission-state median ≤ 150 ms', at('mission-state'), 150],
    ['corpus start-implementation median ≤ 250 ms', at('start-implementation'), 250],
    ['corpus transition median ≤ 250 ms', at('transition'), 250],
    ['corpus append-history median ≤ 250 ms', at('append-history'), 250],
    ...['corpus', ...synthetic].map((s): [string, number | null, number] => [
      `${s} ${merge} median ≤ 2 s`,
      at(merge, s),
      2000,
    ]),
  ]
  return checks.map(([check, measuredMs, barMs]) => ({
    check,
    measuredMs,
    barMs,
    met: measuredMs === null ? null : measuredMs <= barMs,
  }))
}

export async function machine(rssMethod: string): Promise<Record<string, unknown>> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: round(totalmem() / 1024 ** 3),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    git: (await git(process.cwd(), ['--version'])).replace(/^git version /, ''),
    rss_method: rssMethod,
    // Other processes on a shared machine skew wall times; the load average makes that visible.
    loadavg_1m_at_end: round(loadavg()[0]!, 2),
    date: new Date().toISOString(),
  }
}

export function formatChecks(checks: SpecCheck[]): string {
  return checks
    .map((c) => `${c.check}: ${c.measuredMs === null ? 'n/a' : `${c.measuredMs} ms, ${c.met ? 'met' : 'NOT met'}`}`)
    .join('\n')
}
