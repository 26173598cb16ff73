import { POLICY_REQUIRED_LANES } from '../../core/lanes.ts'
import { allowedTransitions } from '../../core/transitions.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { loadMission } from '../mission/load-mission.ts'
import { optionalWpId, requiredString } from '../framework/request.ts'
import { readTip } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'

export const transitions: CommandSpec = {
  ...commandMeta('orchestrator-api', 'transitions'),
  async run(ctx, req) {
    const mission = await loadMission(await readTip(ctx), requiredString(req, 'mission'))
    const only = optionalWpId(req)
    const loaded = only === undefined ? await mission.all() : [await mission.wp(only)]
    return {
      ...identityOf(mission),
      work_packages: loaded.map(({ wp }) => ({
        wp_id: wp.id,
        lane: wp.lane,
        allowed: allowedTransitions(wp.lane).map((edge) => ({
          to: edge.to,
          requires_policy: POLICY_REQUIRED_LANES.has(edge.to),
          guards: edge.guards,
        })),
        force: 'any lane with --force and a --note',
      })),
    }
  },
}
