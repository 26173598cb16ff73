// `npm run schema`: regenerate schema/kitty-config.schema.json and the settings table in docs/configuration.md from
// the zod schema in src/engine/config/config.ts (the source of truth). test/docs/generated-docs.test.ts fails when either
// committed file differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs'
import { renderSchemaJson, SCHEMA_PATH, SETTINGS_PAGE_PATH, spliceSettingsTable } from './render-settings-docs.ts'

const root = new URL('../', import.meta.url)
writeFileSync(new URL(SCHEMA_PATH, root), renderSchemaJson())
const page = new URL(SETTINGS_PAGE_PATH, root)
writeFileSync(page, spliceSettingsTable(readFileSync(page, 'utf8')))
