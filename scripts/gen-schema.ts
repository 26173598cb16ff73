// Regenerate schema/kitty-config.schema.json from the zod schema (the source of truth).
import { writeFileSync } from 'node:fs'
import { configJsonSchema } from '../src/engine/config/config-json-schema.ts'

writeFileSync(
  new URL('../schema/kitty-config.schema.json', import.meta.url),
  `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
)
