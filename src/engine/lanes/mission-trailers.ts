import type { Trailers } from '../../core/trailers.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { EngineContext } from '../framework/context.ts'

// Its own module, not plan-lane-change.ts's: reads name their pending upstream writes with these
// trailers, and plan-lane-change.ts brings the YAML writer (frontmatter.ts, yaml) that reads skip.

/** The trailers every kitty commit on a mission carries: what ran, on which mission, by whom. */
export function missionTrailers(
  ctx: EngineContext,
  mission: Pick<MissionView, 'identity'>,
  command: string,
  actor: string,
): Trailers {
  return {
    'Kitty-Command': command,
    'Kitty-Mission': mission.identity.mission_slug,
    'Kitty-Mission-Id': mission.identity.mission_id ?? undefined,
    'Kitty-Actor': actor,
    'Kitty-Correlation-Id': ctx.correlationId,
  }
}
