import { UsageError } from '../../core/errors.ts'
import { readHistory } from '../../store/history/read-history.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { REPO_PARAMS } from '../framework/command-spec.ts'
import { loadMission } from '../mission/load-mission.ts'
import type { Request } from '../framework/request.ts'
import { optionalString, optionalWpId } from '../framework/request.ts'
import { readTip } from '../mission/state-branch.ts'
import { identityOf } from '../mission/workspace.ts'

function count(req: Request, name: string, fallback: number, max: number): number {
  const raw = optionalString(req, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) > max)
    throw new UsageError(`Option '--${name}' must be a whole number up to ${max}.`)
  return Number(raw)
}

export const history: CommandSpec = {
  name: 'history',
  group: 'orchestrator-api',
  summary: 'The audit trail: kitty commits on the state branch, newest first, filtered by mission, WP or actor.',
  access: 'read',
  needsRepository: true,
  params: [
    { name: 'mission', type: 'string', description: 'Only this mission (any selector).' },
    { name: 'wp', type: 'string', description: 'Only this WP.' },
    { name: 'actor', type: 'string', description: 'Only commits by this actor.' },
    { name: 'limit', type: 'string', description: 'At most this many entries (default 50, max 1000).' },
    { name: 'offset', type: 'string', description: 'Skip this many matching entries first.' },
    ...REPO_PARAMS,
  ],
  async run(ctx, req) {
    const limit = count(req, 'limit', 50, 1000)
    const offset = count(req, 'offset', 0, 1_000_000)
    const snapshot = await readTip(ctx)
    const handle = optionalString(req, 'mission')
    const mission = handle === undefined ? null : await loadMission(snapshot, handle)
    const wp = optionalWpId(req)
    const actor = optionalString(req, 'actor')
    const { matches, exhausted } = await readHistory(
      ctx.repo,
      snapshot.commit,
      ({ trailers: t }) =>
        (!mission || t['Kitty-Mission'] === mission.identity.mission_slug) &&
        (wp === undefined || t['Kitty-WP'] === wp) &&
        (actor === undefined || t['Kitty-Actor'] === actor),
      offset + limit + 1,
    )
    const page = matches.slice(offset, offset + limit)
    return {
      ...(mission ? identityOf(mission) : {}),
      branch: ctx.branch.branch,
      limit,
      offset,
      has_more: matches.length > offset + limit || (!exhausted && matches.length >= offset + limit + 1),
      entries: page.map(({ commit, timestamp, subject, trailers: t }) => ({
        commit,
        timestamp: new Date(timestamp * 1000).toISOString().replace('.000Z', 'Z'),
        subject,
        command: t['Kitty-Command'] ?? null,
        mission_slug: t['Kitty-Mission'] ?? null,
        mission_id: t['Kitty-Mission-Id'] ?? null,
        wp_id: t['Kitty-WP'] ?? null,
        from_lane: t['Kitty-From'] ?? null,
        to_lane: t['Kitty-To'] ?? null,
        actor: t['Kitty-Actor'] ?? null,
        correlation_id: t['Kitty-Correlation-Id'] ?? null,
        force: t['Kitty-Force'] === 'true',
        review_ref: t['Kitty-Review-Ref'] ?? null,
        delivery: t['Kitty-Delivery'] ?? null,
      })),
    }
  },
}
