import type { CommandSpec } from './command-spec.ts'
import type { CommandMeta } from './command-meta.ts'
import { COMMAND_META } from './command-meta.ts'

/**
 * A command as surfaces see it before running it: its declaration (command-meta.ts, which the command's
 * module spreads too) and a `run` that imports the module on its first call, so routing one command
 * does not evaluate every command and the store, isomorphic-git, yaml and zod behind them.
 * test/engine/command-registry.test.ts holds each loader to the module of the same command.
 */
export interface RegisteredCommand extends CommandSpec {
  /** The command's module's own spec, `run` included. */
  load(): Promise<CommandSpec>
}

function lazy(meta: CommandMeta, load: () => Promise<CommandSpec>): RegisteredCommand {
  return { ...meta, load, run: async (ctx, req) => (await load()).run(ctx, req) }
}

/**
 * Each command's module, imported on its first run: contract-version alone, any other with the rest of
 * its kind (read-commands.ts, write-commands.ts), so a read never evaluates the write path.
 */
const LOADERS: Readonly<Record<string, () => Promise<CommandSpec>>> = {
  'orchestrator-api contract-version': async () => (await import('../commands/contract-version.ts')).contractVersion,
  'orchestrator-api mission-state': async () => (await import('./read-commands.ts')).missionState,
  'orchestrator-api list-ready': async () => (await import('./read-commands.ts')).listReady,
  'orchestrator-api resolve-workspace': async () => (await import('./read-commands.ts')).resolveWorkspace,
  'orchestrator-api start-implementation': async () => (await import('./write-commands.ts')).startImplementation,
  'orchestrator-api start-review': async () => (await import('./write-commands.ts')).startReview,
  'orchestrator-api transition': async () => (await import('./write-commands.ts')).transition,
  'orchestrator-api append-history': async () => (await import('./write-commands.ts')).appendHistory,
  'orchestrator-api accept-mission': async () => (await import('./write-commands.ts')).acceptMission,
  'orchestrator-api merge-mission': async () => (await import('./write-commands.ts')).mergeMission,
  'orchestrator-api transitions': async () => (await import('./read-commands.ts')).transitions,
  'orchestrator-api history': async () => (await import('./read-commands.ts')).history,
  'agent tasks mark-status': async () => (await import('./write-commands.ts')).markStatus,
  'kitty reconcile': async () => (await import('./write-commands.ts')).reconcile,
  'kitty migrate': async () => (await import('./write-commands.ts')).migrate,
}

function loaderOf(meta: CommandMeta): () => Promise<CommandSpec> {
  const load = LOADERS[`${meta.group} ${meta.name}`]
  if (!load) throw new Error(`no module for ${meta.group} ${meta.name}`)
  return load
}

/** Every command, once. Surfaces route through this table and nothing else. */
export const COMMANDS: readonly RegisteredCommand[] = COMMAND_META.map((meta) => lazy(meta, loaderOf(meta)))

export function findCommand(group: CommandSpec['group'], name: string): RegisteredCommand | undefined {
  return COMMANDS.find((c) => c.group === group && c.name === name)
}

/** Contract 1.0 names and their replacements (docs/design.md#legacy-10-names). */
export const LEGACY_COMMANDS: Readonly<Record<string, string>> = {
  'feature-state': 'mission-state',
  'accept-feature': 'accept-mission',
  'merge-feature': 'merge-mission',
}
