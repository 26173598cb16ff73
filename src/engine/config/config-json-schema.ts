import * as z from 'zod/mini'
import { KittyConfigSchema } from './config.ts'

/** The published JSON Schema of .github/kitty.yml (every key optional on input: defaults apply). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(KittyConfigSchema, { io: 'input' }),
    $id: 'https://github.com/kitty-github/kitty-github/schema/kitty-config.schema.json',
    title: '.github/kitty.yml',
  }
}
