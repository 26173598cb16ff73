import type { Snapshot } from '../../store/objects/snapshot.ts'
import { MAX_CONFIG_BYTES } from '../../store/state-files/limits.ts'
import type { KittyConfig } from './config.ts'

/**
 * The settings every command opens with. config.ts holds their zod schema (with zod and `yaml`, ~15%
 * of a bare Node start to evaluate); it is imported only when a repository has a settings file, and
 * most have none: the defaults are written out here (test/engine/config/config.test.ts holds them equal
 * to the schema's).
 */

export const CONFIG_PATH = '.github/kitty.yml'

export const DEFAULT_CONFIG: KittyConfig = {
  legacy_feature_aliases: false,
  worktrees: true,
  max_attempts: 5,
  merge: { strategy: 'merge', branch_pattern: '{mission_slug}-{wp_id}', label: 'kitty:merge', via: 'push' },
}

/** Read and validate the settings file of a snapshot; absent means defaults. */
export async function loadConfig(snapshot: Snapshot): Promise<KittyConfig> {
  const text = await snapshot.readText(CONFIG_PATH, MAX_CONFIG_BYTES)
  if (text === null) return DEFAULT_CONFIG
  const { parseConfig } = await import('./config.ts')
  return parseConfig(text)
}
