import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { KittyError } from '../../../src/core/errors.ts'
import { KittyConfigSchema } from '../../../src/engine/config/config.ts'
import { DEFAULT_CONFIG, loadConfig } from '../../../src/engine/config/load-config.ts'
import { configJsonSchema } from '../../../src/engine/config/config-json-schema.ts'
import type { Snapshot } from '../../../src/store/objects/snapshot.ts'
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
      merge: { strategy: 'merge', branch_pattern: '{mission_slug}-{wp_id}', label: 'kitty:merge', via: 'push' },
    })
    // Written out in load-config.ts so a repository without settings loads no zod: the schema's own defaults.
    expect(DEFAULT_CONFIG).toEqual(KittyConfigSchema.parse({}))
    expect(KittyConfigSchema.safeParse({ typo: true }).success).toBe(false)
    expect(KittyConfigSchema.safeParse({ merge: { branch_pattern: 'no-placeholder' } }).success).toBe(false)
    // merge.via and merge.auto_merge: closed lists.
    expect(KittyConfigSchema.parse({ merge: { via: 'pull_request', auto_merge: 'squash' } }).merge).toMatchObject({
      via: 'pull_request',
      auto_merge: 'squash',
    })
    expect(KittyConfigSchema.safeParse({ merge: { via: 'pr' } }).success).toBe(false)
    expect(KittyConfigSchema.safeParse({ merge: { auto_merge: 'fast-forward' } }).success).toBe(false)
  })
})

describe('loadConfig: CONFIG_INVALID names the key', () => {
  const load = (text: string) => loadConfig({ readText: async () => text } as unknown as Snapshot)
  const refusal = async (text: string) => {
    const err = await load(text).then(
      () => null,
      (e: unknown) => e as KittyError,
    )
    expect(err?.code, text).toBe('CONFIG_INVALID')
    return { message: err!.message, data: err!.data as { key: string; issues: Array<{ path: string }> } }
  }

  it.each([
    ['merge:\n  branch_pattern: "{wp_id}/{mission_slug}-{wp_id}"\n', /merge\.branch_pattern uses \{wp_id\} 2 times/],
    ['merge:\n  branch_pattern: "{mission_slug}/{mission_slug}-{wp_id}"\n', /\{mission_slug\} 2 times/],
    ['merge:\n  branch_pattern: "{mission_slug}"\n', /merge\.branch_pattern must contain \{wp_id\}/],
  ])('a branch_pattern the matcher cannot use: %s', async (text, message) => {
    const { message: got, data } = await refusal(text)
    expect(got).toMatch(message)
    expect(data.key).toBe('merge.branch_pattern')
  })

  it('an unknown key, top-level or nested, is named (not path "")', async () => {
    const top = await refusal('branch: HEAD\n')
    expect(top.message).toBe('.github/kitty.yml: branch is not a known setting')
    expect(top.data.key).toBe('branch')
    const nested = await refusal('merge:\n  lable: ship-it\n')
    expect(nested.data.key).toBe('merge.lable')
    expect(nested.data.issues.map((i) => i.path)).not.toContain('')
  })

  it('usable patterns load', async () => {
    for (const p of ['{mission_slug}-{wp_id}', 'kitty/{mission_slug}/{wp_id}', '{wp_id}', 'x.(y)+[z]-{wp_id}'])
      expect((await load(`merge:\n  branch_pattern: "${p}"\n`)).merge.branch_pattern).toBe(p)
  })
})
