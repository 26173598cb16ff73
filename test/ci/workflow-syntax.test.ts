import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser'
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { outputsOf } from '../../src/action/action-outputs.ts'
import { readInputs } from '../../src/action/read-inputs.ts'
import { makeEnvelope } from '../../src/core/envelope.ts'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'

/**
 * action.yml, our workflows and every example a user copies, read by GitHub's own parser
 * (@actions/workflow-parser, what the Actions service and the VS Code extension use): unknown keys,
 * broken expressions, permission names and event types GitHub does not know are errors here, before a
 * user's first run finds them.
 */

async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter())
  const errors = parsed.context.errors.getErrors().map((e) => e.message)
  // Conversion checks what the schema alone cannot: job needs, matrix, concurrency, the events' filters.
  if (parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value)
    for (const e of template.errors ?? []) errors.push((e as { Message: string }).Message)
  }
  return [...new Set(errors)]
}

function actionErrors(name: string, content: string): string[] {
  const parsed = parseAction({ name, content }, new NoOperationTraceWriter())
  const errors = parsed.context.errors.getErrors().map((e) => e.message)
  if (parsed.value && errors.length === 0) convertActionTemplate(parsed.context, parsed.value)
  return [...new Set([...errors, ...parsed.context.errors.getErrors().map((e) => e.message)])]
}

const yamlIn = (dir: string) =>
  readdirSync(join(PROJECT_ROOT, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `${dir}/${f}`)

const WORKFLOWS = [...yamlIn('.github/workflows'), ...yamlIn('examples')]

describe("GitHub's workflow parser accepts every workflow we ship", () => {
  it('finds them all (the release workflow and the five examples at least)', () => {
    expect(WORKFLOWS).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/release.yml']))
    expect(WORKFLOWS.filter((f) => f.startsWith('examples/')).length).toBeGreaterThanOrEqual(5)
  })
  it.each(WORKFLOWS)('%s', async (file) => {
    expect(await workflowErrors(file, readFileSync(join(PROJECT_ROOT, file), 'utf8'))).toEqual([])
  })
})

describe('action.yml', () => {
  const content = readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')
  it("passes GitHub's action metadata schema", () => {
    expect(actionErrors('action.yml', content)).toEqual([])
  })
  it('declares exactly the inputs the Action reads and the outputs it sets', () => {
    const declared = parse(content) as { inputs: Record<string, unknown>; outputs: Record<string, unknown> }
    const read: string[] = []
    readInputs((name) => (read.push(name), ''))
    expect(Object.keys(declared.inputs).sort()).toEqual([...new Set(read)].sort())
    const set = new Set(Object.keys(outputsOf('x', makeEnvelope('x', true, {}), null)))
    const action = readdirSync(join(PROJECT_ROOT, 'src/action')).filter((f) => f.endsWith('.ts'))
    const texts = action.map((f) => readFileSync(join(PROJECT_ROOT, 'src/action', f), 'utf8')).join('\n')
    for (const m of texts.matchAll(/setOutput\('([a-z-]+)'/g)) set.add(m[1]!)
    expect(Object.keys(declared.outputs).sort()).toEqual([...set].sort())
  })
  it('runs node24 on a main file that exists', () => {
    expect(content).toMatch(/^ {2}using: node24$/m)
    const main = /^ {2}main: (\S+)$/m.exec(content)?.[1]
    expect(main).toBe('dist/index.js')
    expect(existsSync(join(PROJECT_ROOT, main!))).toBe(true)
  })
})

describe('the parser refuses what GitHub would (planted bad files: these tests can fail)', () => {
  const bad = (lines: string) => workflowErrors('planted.yml', lines)
  const base = (patch: Record<string, string>) =>
    [
      'name: planted',
      patch['on'] ?? 'on:\n  issue_comment:\n    types: [created]',
      patch['permissions'] ?? 'permissions:\n  contents: write',
      'jobs:',
      '  kitty:',
      `    if: ${patch['if'] ?? "contains(github.event.comment.body, '/kitty')"}`,
      '    runs-on: ubuntu-latest',
      patch['job'] ?? '',
      '    steps:',
      '      - uses: OWNER/kitty-github@v1',
    ]
      .filter((l) => l !== '')
      .join('\n')

  it('the unpatched file is clean (so each failure below is the planted fault)', async () => {
    expect(await bad(base({}))).toEqual([])
  })
  it('an event type GitHub does not have', async () => {
    expect((await bad(base({ on: 'on:\n  pull_request:\n    types: [labelled]' }))).join()).toMatch(/labelled/)
  })
  it('an event GitHub does not have', async () => {
    expect((await bad(base({ on: 'on:\n  issue_coment:' }))).join()).toMatch(/issue_coment/)
  })
  it('a permission name GitHub does not have', async () => {
    expect((await bad(base({ permissions: 'permissions:\n  pullrequests: write' }))).join()).toMatch(/pullrequests/)
  })
  it('a permission level GitHub does not have', async () => {
    expect((await bad(base({ permissions: 'permissions:\n  contents: writ' }))).join()).toMatch(/writ/)
  })
  it('a broken expression', async () => {
    expect((await bad(base({ if: '${{ github.event.issue.pull_request && }}' }))).join()).toMatch(/expression/)
  })
  it('an unknown key', async () => {
    expect((await bad(base({ job: '    timeout: 5' }))).join()).toMatch(/timeout/)
  })
  it('an action.yml with an unknown runtime and an unknown key', () => {
    const planted = content.replace('using: node24', 'using: node25').replace('branding:', 'brandin:')
    const errors = actionErrors('action.yml', planted).join()
    expect(errors).toMatch(/node25/)
    expect(errors).toMatch(/brandin/)
  })
  const content = readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')
})
