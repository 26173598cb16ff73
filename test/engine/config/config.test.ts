import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, KittyConfigSchema } from '../../../src/engine/config/config.ts'
import { configJsonSchema } from '../../../src/engine/config/config-json-schema.ts'
import { PROJECT_ROOT } from '../../helpers/git-repo.ts'

describe('settings schema', () => {
  it('the committed JSON Schema is the one the zod schema generates (npm run schema)', () => {
    const committed = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schema', 'kitty-config.schema.json'), 'utf8'))
    expect(committed).toEqual(configJsonSchema())
  })
  it('defaults, and unknown keys refused', () => {
    expect(DEFAULT_CONFIG).toEqual({
      legacy_feature_aliases: false,
      worktrees: true,
      max_attempts: 5,
      merge: { strategy: 'merge', branch_pattern: '{mission_slug}-{wp_id}', label: 'kitty:merge' },
    })
    expect(KittyConfigSchema.safeParse({ typo: true }).success).toBe(false)
    expect(KittyConfigSchema.safeParse({ merge: { branch_pattern: 'no-placeholder' } }).success).toBe(false)
  })
})
