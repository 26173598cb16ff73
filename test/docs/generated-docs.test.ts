import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  renderSchemaJson,
  renderSettingsTable,
  SCHEMA_PATH,
  SETTINGS_PAGE_PATH,
  spliceSettingsTable,
} from '../../scripts/render-settings-docs.ts'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'

const committed = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8')
const STALE = 'is stale: run `npm run schema` and commit the result'

describe('what `npm run schema` generates is what is committed', () => {
  it(`${SCHEMA_PATH} matches the zod schema`, () => {
    expect(committed(SCHEMA_PATH), `${SCHEMA_PATH} ${STALE}`).toBe(renderSchemaJson())
  })

  it(`${SETTINGS_PAGE_PATH} carries the current settings table between its markers`, () => {
    const page = committed(SETTINGS_PAGE_PATH)
    expect(page, `${SETTINGS_PAGE_PATH} ${STALE}`).toBe(spliceSettingsTable(page))
  })

  it('the table has a row, a type, a default and a description for every key, nested ones included', () => {
    const table = renderSettingsTable()
    for (const key of ['legacy_feature_aliases', 'worktrees', 'max_attempts', 'merge.strategy', 'merge.label'])
      expect(table).toContain(`| \`${key}\` |`)
    expect(table).toContain('| `max_attempts` | integer, 1–50 | `5` | How many times')
    expect(table).toContain('`merge` or `squash` or `rebase`')
  })

  it('splicing replaces only what lies between the markers, and refuses a page without them', () => {
    const page = committed(SETTINGS_PAGE_PATH)
    const edited = page.replace('| `worktrees` | boolean |', '| `worktrees` | string |')
    expect(edited).not.toBe(page)
    expect(spliceSettingsTable(edited)).toBe(page)
    expect(() => spliceSettingsTable('# no markers\n')).toThrow(/markers/)
  })
})
