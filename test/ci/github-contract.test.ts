import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'
import { ROUTED_EVENTS } from '../../src/github/read-event.ts'
import { GRAPHQL_CALLS, OPERATIONS } from '../helpers/github-openapi.ts'

/**
 * docs/github-contract.md against the code and the manifests: the REST calls in src/ are the calls the
 * contract checker knows and the page lists, and app.yml and examples/ ask for the permissions the
 * page's tables say, no more (least privilege) and no less.
 */

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8')
const page = read('docs/github-contract.md')

/** The rows of the Markdown table under `heading`, as arrays of trimmed cells. */
function table(heading: string): string[][] {
  const section = page.slice(page.indexOf(`## ${heading}`))
  const lines = section.split('\n').filter((l) => l.startsWith('|'))
  const end = section.split('\n').findIndex((l, i) => i > 2 && l.startsWith('## '))
  const rows =
    end > 0
      ? section
          .split('\n')
          .slice(0, end)
          .filter((l) => l.startsWith('|'))
      : lines
  return rows.slice(2).map((r) =>
    r
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim().replace(/`/g, '')),
  )
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
  )
}

const LEVEL: Record<string, number> = { read: 1, write: 2 }

describe('REST calls', () => {
  it('src/ makes exactly the calls the contract checker knows (OPERATIONS)', () => {
    const calls = new Set<string>()
    for (const file of sourceFiles('src'))
      for (const m of read(file).matchAll(/request\('(GET|POST|PATCH|PUT|DELETE) (\/[^']+)'/g))
        calls.add(`${m[1]} ${m[2]}`)
    // Calls made with fetch on the API base (the App's set-up page), their method in the options after.
    for (const file of sourceFiles('src'))
      for (const m of read(file).matchAll(/`\$\{githubApiBase\([^)]*\)\}(\/[^`]+)`,\s*\{\s*method: '([A-Z]+)'/g))
        calls.add(`${m[2]} ${m[1]!.replace(/\$\{encodeURIComponent\((\w+)\)\}/g, '{$1}')}`)
    const graphql: readonly string[] = GRAPHQL_CALLS
    expect([...calls].filter((c) => !graphql.includes(c)).sort()).toEqual(
      OPERATIONS.map((o) => `${o.method} ${o.path}`).sort(),
    )
  })

  it('the page lists each of them, with its operation id', () => {
    const rows = table('REST operations').filter((r) => r[0]!.includes(' /'))
    expect(rows.map((r) => `${r[0]} ${r[1]}`).sort()).toEqual(
      OPERATIONS.map((o) => `${o.method} ${o.path} ${o.id}`).sort(),
    )
  })
})

describe('permissions: least privilege, as the page says', () => {
  const who = table('Who asks for what')
  const columns = ['contents', 'checks', 'pull-requests', 'issues', 'metadata']
  const expected = (where: string): Record<string, string> => {
    const row = who.find((r) => r[0]!.startsWith(where))
    expect(row, where).toBeDefined()
    return Object.fromEntries(
      columns.flatMap((c, i) => {
        const level = /^(read|write)\b/.exec(row![i + 1]!)?.[1]
        return level ? [[c, level]] : []
      }),
    )
  }

  it('app.yml asks for what the App calls need, from the REST table', () => {
    const needed: Record<string, string> = { contents: 'write', metadata: 'read' }
    for (const r of table('REST operations').filter((r) => r[2]!.includes('App'))) {
      const m = /^(\w+): (read|write)$/.exec(r[4]!)
      if (!m) continue
      if ((LEVEL[m[2]!] ?? 0) > (LEVEL[needed[m[1]!] ?? ''] ?? 0)) needed[m[1]!] = m[2]!
    }
    const manifest = parse(read('app.yml')) as { default_permissions: Record<string, string>; default_events: string[] }
    expect(manifest.default_permissions).toEqual(needed)
    const summary = expected('app.yml')
    expect(
      Object.fromEntries(Object.entries(manifest.default_permissions).map(([k, v]) => [k.replace('_', '-'), v])),
    ).toEqual(summary)
    expect(manifest.default_events.sort()).toEqual(
      table('Webhook events')
        .map((r) => r[0])
        .sort(),
    )
    // The receiver queues exactly these; an event added to app.yml but not routed would be dropped.
    expect(manifest.default_events.sort()).toEqual([...ROUTED_EVENTS].sort())
  })

  const examples = readdirSync(join(PROJECT_ROOT, 'examples')).filter((f) => f.endsWith('.yml'))
  it.each(examples)('examples/%s asks for what its table row says', (file) => {
    const workflow = parse(read(`examples/${file}`)) as { permissions: Record<string, string> }
    expect(workflow.permissions).toEqual(expected(`\`examples/${file}\``.replace(/`/g, '')))
  })
})
