import type { CommandSpec } from './command-spec.ts'
import { acceptMission } from '../commands/accept-mission.ts'
import { appendHistory } from '../commands/append-history.ts'
import { contractVersion } from '../commands/contract-version.ts'
import { history } from '../commands/history.ts'
import { listReady } from '../commands/list-ready.ts'
import { markStatus } from '../commands/mark-status.ts'
import { mergeMission } from '../commands/merge-mission.ts'
import { migrate } from '../commands/migrate.ts'
import { missionState } from '../commands/mission-state.ts'
import { reconcile } from '../commands/reconcile.ts'
import { resolveWorkspace } from '../commands/resolve-workspace.ts'
import { startImplementation } from '../commands/start-implementation.ts'
import { startReview } from '../commands/start-review.ts'
import { transition } from '../commands/transition.ts'
import { transitions } from '../commands/transitions.ts'

/** Every command, once. Surfaces route through this table and nothing else. */
export const COMMANDS: readonly CommandSpec[] = [
  contractVersion,
  missionState,
  listReady,
  resolveWorkspace,
  startImplementation,
  startReview,
  transition,
  appendHistory,
  acceptMission,
  mergeMission,
  transitions,
  history,
  markStatus,
  reconcile,
  migrate,
]

export function findCommand(group: CommandSpec['group'], name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.group === group && c.name === name)
}

/** Contract 1.0 names and their replacements (docs/design.md#legacy-10-names). */
export const LEGACY_COMMANDS: Readonly<Record<string, string>> = {
  'feature-state': 'mission-state',
  'accept-feature': 'accept-mission',
  'merge-feature': 'merge-mission',
}
