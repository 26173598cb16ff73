import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { describeCommand } from '../../src/cli/describe-commands.ts'
import { COMMANDS } from '../../src/engine/framework/registry.ts'
import { cleanupTempDirs, kitty, makeRepo, PROJECT_ROOT } from '../helpers/git-repo.ts'
import { kittyInPty } from '../helpers/pty.ts'

afterAll(cleanupTempDirs)

const VERSION = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version as string
const TEXT = { KITTY_HELP_FORMAT: 'text' }
const HELP_ASKS = [['--help'], ['-h'], ['help'], ['orchestrator-api', '--help'], ['orchestrator-api', '-h']]

describe('help: JSON for programs, text for people', () => {
  it.each(HELP_ASKS.map((a) => [a]))('%j: one JSON envelope when stdout is not a terminal', async (args) => {
    const run = await kitty('/', args)
    expect(run.code).toBe(0)
    expect(run.stdout.trim().split('\n')).toHaveLength(1)
    expect(run.envelope.success).toBe(true)
    expect(run.envelope.data.commands.map((c: { command: string }) => c.command)).toEqual(
      COMMANDS.map((c) => describeCommand(c).command),
    )
    expect(run.envelope.data.version).toBe(VERSION)
  })

  it('on a real terminal (a pty), --help is text: usage, every command with one line, flags, an example', async () => {
    const { terminal, code } = await kittyInPty('/', ['--help'])
    expect(code).toBe(0)
    expect(terminal).toMatch(/^Usage: kitty orchestrator-api <command> \[flags\]/)
    for (const spec of COMMANDS)
      expect(terminal).toMatch(
        new RegExp(`\\n  ${describeCommand(spec).command} +\\S|\\n  ${describeCommand(spec).command}\\r?\\n +\\S`),
      )
    expect(terminal).toContain('Example:\r\n  kitty orchestrator-api mission-state --mission 001-demo-checkout')
    expect(terminal).not.toContain('"contract_version"')
  })

  it('on a terminal, --json still answers the JSON envelope', async () => {
    const { terminal, code } = await kittyInPty('/', ['orchestrator-api', '--help', '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(terminal).data.commands).toHaveLength(COMMANDS.length)
  })

  it('<command> --help on a terminal lists every flag of the JSON help, one line each, and an example', async () => {
    const { terminal } = await kittyInPty('/', ['orchestrator-api', 'transition', '--help'])
    const json = describeCommand(COMMANDS.find((c) => c.name === 'transition')!)
    expect(terminal).toMatch(
      /^Usage: kitty orchestrator-api transition --mission <mission> --wp <wp> --to <to> --actor <actor> \[flags\]/,
    )
    for (const option of json.options) {
      const line = terminal
        .split('\r\n')
        .find((l) => l.trimStart().startsWith(`${option.flag} `) || l.trim() === option.flag)
      expect(line, option.flag).toBeDefined()
    }
    expect(terminal).toContain(`Example:\r\n  ${json.example}`)
  })

  it.each(COMMANDS.map((c) => [describeCommand(c).command, c] as const))(
    '%s --help: the text renders the JSON help, nothing written twice',
    async (name, spec) => {
      const args = name.split(' ').concat('--help')
      const [text, json] = await Promise.all([kitty('/', args, TEXT), kitty('/', args)])
      expect(json.envelope.data).toEqual(describeCommand(spec))
      expect(text.stdout).toContain(json.envelope.data.usage)
      expect(text.stdout).toContain(json.envelope.data.summary)
      for (const o of json.envelope.data.options) expect(text.stdout).toContain(o.description)
    },
  )

  it('bare kitty prints the usage: text on a terminal, a USAGE_ERROR envelope listing the commands otherwise (exit 2 both ways)', async () => {
    const pty = await kittyInPty('/', [])
    expect(pty.code).toBe(2)
    expect(pty.terminal).toMatch(/^Usage: kitty orchestrator-api <command>/)
    const piped = await kitty('/', [])
    expect(piped.code).toBe(2)
    expect(piped.envelope.error_code).toBe('USAGE_ERROR')
    expect(piped.envelope.data.message).toMatch(
      /^Missing command\. Usage: kitty orchestrator-api <command> \[flags\]; commands: contract-version, mission-state, /,
    )
  })

  it('--version prints the version (JSON with --json)', async () => {
    const text = await kittyInPty('/', ['--version'])
    expect(text.terminal.trim()).toBe(`kitty-github ${VERSION} (orchestrator-api contract 1.3.0)`)
    const json = await kitty('/', ['--version', '--json'])
    expect(json.envelope.data).toEqual({ version: VERSION, contract_version: '1.3.0' })
  })

  it('--json outside help stays the usage error upstream has (109)', async () => {
    const run = await kitty('/', ['orchestrator-api', 'contract-version', '--json'])
    expect(run.code).toBe(2)
    expect(run.envelope.data.message).toContain('--json')
  })
})

describe('did-you-mean, and usage errors that name their command', () => {
  const repo = makeRepo()
  it.each([
    [
      ['orchestrator-api', 'mision-state'],
      "No such command 'mision-state'. Did you mean 'mission-state'?",
      'orchestrator-api.unknown',
    ],
    [
      ['mission-state', '--mission', 'x'],
      "No such command 'mission-state'. Did you mean 'orchestrator-api mission-state'?",
      'orchestrator-api.unknown',
    ],
    [
      ['orchestrator-api', 'transitons'],
      "Did you mean one of 'transitions', 'transition'?",
      'orchestrator-api.unknown',
    ],
    [['agent', 'taks'], "No such command 'taks'. Did you mean 'tasks'?", 'orchestrator-api.unknown'],
    [
      ['orchestrator-api', 'history', '--limt', '3'],
      "No such option: --limt. Did you mean '--limit'?",
      'orchestrator-api.history',
    ],
    [
      [
        'orchestrator-api',
        'transition',
        '--mission',
        'x',
        '--wp',
        'WP01',
        '--to',
        'done',
        '--actor',
        'a',
        '--review-results-json',
        '{}',
      ],
      "Did you mean '--review-result-json'?",
      'orchestrator-api.transition',
    ],
    [
      ['orchestrator-api', 'transition', '--mission', 'x'],
      "Missing option '--wp'. 'transition' needs --mission, --wp, --to, --actor.",
      'orchestrator-api.transition',
    ],
  ])('%j', async (args, message, command) => {
    const run = await kitty(repo, args as string[])
    expect(run.code).toBe(2)
    expect(run.envelope).toMatchObject({ error_code: 'USAGE_ERROR', command })
    expect(run.envelope.data.message).toContain(message)
  })
})
