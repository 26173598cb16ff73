import type { CommandSpec } from '../engine/framework/command-spec.ts'
import { paramsOf } from '../engine/framework/command-spec.ts'
import { COMMANDS } from '../engine/framework/registry.ts'

/**
 * Usage as data, built from the command specs: `--help` answers it as JSON, and help-text.ts renders
 * the same objects as text for a terminal.
 */

/** Values for a generated example; flags not listed here get `<name>`. */
const SAMPLE_VALUES: Readonly<Record<string, string>> = {
  mission: '001-demo-checkout',
  wp: 'WP01',
  to: 'for_review',
  actor: 'claude',
  policy: '"$POLICY"',
  note: '"Ready for review"',
  status: 'done',
  'provider-version': '0.1.0',
}

/** How a command is typed after `kitty`: `orchestrator-api <name>`, `agent tasks <name>`, or kitty's own `<name>`. */
function invocation(spec: CommandSpec): string {
  if (spec.group === 'kitty') return spec.name
  return spec.group === 'orchestrator-api' ? `orchestrator-api ${spec.name}` : `agent tasks ${spec.name}`
}

export function commandLine(spec: CommandSpec): string {
  return `kitty ${invocation(spec)}`
}

/** The required flags, plus --policy where the command takes one (most that take it need it). */
function example(spec: CommandSpec): string {
  const params = paramsOf(spec).filter((p) => p.required || p.name === 'policy')
  const positionals = (spec.positionals ?? []).map((p) => (p.name.startsWith('task') ? 'T001 T002' : `<${p.name}>`))
  const flags = params.map((p) =>
    p.type === 'boolean' ? `--${p.name}` : `--${p.name} ${SAMPLE_VALUES[p.name] ?? `<${p.name}>`}`,
  )
  return [commandLine(spec), ...positionals, ...flags].join(' ')
}

function usage(spec: CommandSpec): string {
  const positionals = (spec.positionals ?? []).map((p) => `<${p.name}>…`)
  const required = paramsOf(spec)
    .filter((p) => p.required)
    .map((p) => `--${p.name} <${p.name}>`)
  const optional = paramsOf(spec).some((p) => !p.required) ? ['[flags]'] : []
  return [commandLine(spec), ...positionals, ...required, ...optional].join(' ')
}

/** A command's usage, as data: what `<command> --help` answers. */
export function describeCommand(spec: CommandSpec) {
  return {
    command: invocation(spec),
    summary: spec.summary,
    access: spec.access,
    usage: usage(spec),
    example: example(spec),
    positionals: spec.positionals ?? [],
    options: paramsOf(spec).map((p) => ({
      flag: p.type === 'boolean' && p.negatable ? `--[no-]${p.name}` : `--${p.name}`,
      type: p.type,
      required: p.required ?? false,
      description: p.description,
    })),
  }
}
export type CommandHelp = ReturnType<typeof describeCommand>

/** Flags the CLI itself takes, outside any command. */
export const GLOBAL_FLAGS = [
  { flag: '-h, --help', description: 'Show help: text on a terminal, JSON when stdout is not one.' },
  {
    flag: '--json',
    description: 'With --help: answer JSON even on a terminal (KITTY_HELP_FORMAT=text|json does the same).',
  },
  { flag: '--version', description: 'Print the version of kitty-github.' },
] as const

/** The whole CLI's usage: what `kitty --help` and `kitty orchestrator-api --help` answer. */
export function describeGroup() {
  return {
    usage: [
      'kitty orchestrator-api <command> [flags]',
      'kitty agent tasks mark-status <task_id>… --status <status> --mission <mission>',
      'kitty reconcile|migrate --mission <mission> [flags]',
      'kitty board --mission <mission> --out <file.html> | kitty board --serve [--port <port>] (kitty board --help)',
    ],
    summary:
      "Git-native host for spec-kitty's orchestrator-api contract. Every command prints one JSON envelope on stdout.",
    commands: COMMANDS.map(describeCommand),
    flags: GLOBAL_FLAGS.map((f) => ({ ...f })),
    example: describeCommand(COMMANDS.find((c) => c.name === 'mission-state')!).example,
    more: 'kitty orchestrator-api <command> --help',
  }
}
export type GroupHelp = ReturnType<typeof describeGroup>
