import type { CommandHelp, GroupHelp } from './describe-commands.ts'

/**
 * Help for people, rendered from the same data `--help` answers as JSON (describe-commands.ts:
 * describeCommand / describeGroup): nothing here names a command or a flag of its own.
 */

const INDENT = '  '

function columns(rows: [string, string][]): string[] {
  const width = Math.min(Math.max(...rows.map(([left]) => left.length)), 38)
  return rows.map(([left, right]) =>
    left.length > width
      ? `${INDENT}${left}\n${INDENT}${' '.repeat(width + 2)}${right}`
      : `${INDENT}${left.padEnd(width)}  ${right}`,
  )
}

export function renderGroupHelp(help: GroupHelp): string {
  const lines = [
    `Usage: ${help.usage.join('\n       ')}`,
    '',
    help.summary,
    '',
    'Commands:',
    ...columns(help.commands.map((c) => [c.command, c.summary])),
    '',
    'Flags:',
    ...columns(help.flags.map((f) => [f.flag, f.description])),
    '',
    'Example:',
    `${INDENT}${help.example}`,
    '',
    `Run '${help.more}' for a command's flags.`,
  ]
  return `${lines.join('\n')}\n`
}

export function renderCommandHelp(help: CommandHelp): string {
  const flag = (o: CommandHelp['options'][number]) => (o.type === 'string' ? `${o.flag} <value>` : o.flag)
  const lines = [`Usage: ${help.usage}`, '', help.summary, '']
  if (help.positionals.length > 0)
    lines.push('Arguments:', ...columns(help.positionals.map((p) => [p.name, p.description])), '')
  lines.push(
    'Flags:',
    ...columns([
      ...help.options.map((o): [string, string] => [flag(o), `${o.required ? '(required) ' : ''}${o.description}`]),
      ['-h, --help', 'Show this help (text on a terminal, JSON otherwise or with --json).'],
    ]),
    '',
    'Example:',
    `${INDENT}${help.example}`,
  )
  return `${lines.join('\n')}\n`
}
