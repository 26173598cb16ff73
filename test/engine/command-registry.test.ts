import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src/engine/framework/registry.ts'

/**
 * The registry repeats each command's metadata so that routing does not import the command (see
 * src/engine/framework/registry.ts); a flag or summary changed on one side only must fail here.
 */
describe('the registry describes each command as its module does', () => {
  it.each(COMMANDS.map((c) => [`${c.group} ${c.name}`, c] as const))('%s', async (_name, registered) => {
    const { run, ...spec } = await registered.load()
    const { run: _lazyRun, load: _load, ...meta } = registered
    expect(typeof run).toBe('function')
    expect(meta).toEqual(spec)
  })

  it('names each command once', () => {
    const keys = COMMANDS.map((c) => `${c.group} ${c.name}`)
    expect(new Set(keys).size).toBe(keys.length)
  })
})
