import { KittyError } from '../core/errors.ts'
import type { EngineContext } from '../engine/framework/context.ts'
import type { SurfaceEnvironment } from './open-context.ts'

/** contract-version needs no repository; it gets a context whose repository parts are unusable. */
export function detachedContext(io: SurfaceEnvironment, correlationId: string): EngineContext {
  const unavailable = () => {
    throw new KittyError('INTERNAL_ERROR', 'this command has no repository')
  }
  return new Proxy({ correlationId, now: io.now ?? (() => new Date()), warnings: [] as string[] } as EngineContext, {
    get: (target, key) => (key in target ? target[key as keyof EngineContext] : unavailable()),
  })
}
