import { KittyError, UsageError } from '../../core/errors.ts'
import type { Lane } from '../../core/lanes.ts'
import { normalizeLane } from '../../core/lanes.ts'
import type { ReducedLog } from '../../core/reduce-status-events.ts'
import { displayLane, reduceStatusEvents } from '../../core/reduce-status-events.ts'
import type { TransitionEvent } from '../../core/status-events.ts'
import { EVENT_LOG_FILE, parseEventTime, pythonIsoUtc, STATUS_JSON_FILE } from '../../core/status-events.ts'
import type { TasksMdWorkPackage } from '../../core/tasks-md-work-packages.ts'
import { tasksMdWorkPackages } from '../../core/tasks-md-work-packages.ts'
import type { MutationPlan } from '../../store/history/commit-mutation.ts'
import type { MissionEvents } from '../../store/state-files/read-event-log.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { Snapshot } from '../../store/objects/snapshot.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import type { EngineContext } from '../framework/context.ts'
import type { TransitionDraft } from '../lanes/event-log.ts'
import { appendEvents, finalizeSeed } from '../lanes/event-log.ts'
import { loadMission } from '../mission/load-mission.ts'
import { missionTrailers } from '../lanes/mission-trailers.ts'
import { optionalBoolean, requiredString } from '../framework/request.ts'
import { mutate } from '../mission/state-branch.ts'
import { warn } from '../framework/warnings.ts'
import { identityOf } from '../mission/workspace.ts'
import { optionalActor, planOrPreview } from './reconcile.ts'

/**
 * `kitty migrate --mission M --to frontmatter|events [--dry-run]`, one commit each way.
 * To frontmatter: write a task file for every WP only the event log knows (title, dependencies and
 * subtasks from tasks.md, lane and history from the log). To events: seed an event log from the WP
 * files' recorded history, one event per recorded lane change, for a team adopting upstream.
 */

interface Migrated {
  mission: MissionView
  to: 'frontmatter' | 'events'
  wps: Array<{ wp_id: string; lane: Lane; path?: string; events?: number }>
  files: string[]
}

const encoder = new TextEncoder()

/** A file name from a title: `WP03-migration-engine-rewrite.md`. */
function fileNameFor(id: string, plan: TasksMdWorkPackage | undefined): string {
  if (plan?.promptFile) return plan.promptFile
  const slug = (plan?.title ?? '')
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '')
  return slug ? `${id}-${slug}.md` : `${id}.md`
}

function eventsOf(log: MissionEvents, wpId: string): TransitionEvent[] {
  const seen = new Set<string>()
  return log.stream.transitions
    .filter((e) => e.wp_id === wpId && !seen.has(e.event_id) && seen.add(e.event_id))
    .sort((a, b) => (a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.event_id < b.event_id ? -1 : 1))
}

/**
 * The task file of a WP known only to the log, in the flat layout kitty and upstream both read.
 * `yaml` is imported here: the other write commands edit frontmatter without loading it when they can.
 */
async function materialisedWp(id: string, log: MissionEvents, plan: TasksMdWorkPackage | undefined): Promise<string> {
  const { stringify } = await import('yaml')
  const state = log.reduced.work_packages[id]
  const lane = displayLane(state)
  const history = eventsOf(log, id)
    // The finalize-tasks seed (genesis → planned) is bookkeeping, not a change anyone made.
    .filter((e) => e.from_lane !== 'genesis' && e.to_lane !== 'genesis' && e.to_lane !== 'uninitialized')
    .map((e) => ({
      timestamp: e.at,
      lane: e.to_lane,
      agent: e.actor,
      shell_pid: '',
      action: e.reason ?? `${e.from_lane} -> ${e.to_lane}`,
    }))
  const holds = lane === 'claimed' || lane === 'in_progress' || lane === 'in_review'
  const data: Record<string, unknown> = {
    work_package_id: id,
    title: plan?.title ?? id,
    lane,
    dependencies: plan?.dependencies ?? [],
    subtasks: plan?.subtasks ?? [],
    ...(holds && state?.actor ? { assignee: state.actor } : {}),
    history,
  }
  const body = plan ? `${plan.section}\n` : `# ${id}\n`
  return `---\n${stringify(data, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' })}---\n\n${body}`
}

async function toFrontmatter(
  ctx: EngineContext,
  mission: MissionView,
  actor: string,
): Promise<MutationPlan<Migrated> | Migrated> {
  const log = mission.events
  const result: Migrated = { mission, to: 'frontmatter', wps: [], files: [] }
  if (!log) return result
  const plans = tasksMdWorkPackages(await mission.tasksMd())
  const changes = new Map<string, Uint8Array>()
  for (const id of mission.eventOnlyIds()) {
    const path = `${mission.path}/tasks/${fileNameFor(id, plans.get(id))}`
    if (changes.has(path) || (await mission.snapshot.entry(path))) {
      throw new KittyError(
        'WP_FILE_INVALID',
        `Cannot materialise ${id}: ${path} already exists and is not ${id}'s task file. Rename it, then retry.`,
        { path, wp_id: id },
      )
    }
    changes.set(path, encoder.encode(await materialisedWp(id, log, plans.get(id))))
    result.wps.push({ wp_id: id, lane: displayLane(log.reduced.work_packages[id]), path })
  }
  result.files = [...changes.keys()].sort()
  if (changes.size === 0) return result
  return {
    kind: 'commit',
    message: {
      subject: `kitty(${mission.identity.mission_slug}): migrate to frontmatter`,
      body: `Materialised ${result.wps.map((w) => w.wp_id).join(', ')} from the event log and tasks.md.`,
      trailers: missionTrailers(ctx, mission, 'migrate', actor),
    },
    changes,
    result,
  }
}

/** The recorded lane changes of one WP file, oldest first as written: one event each. */
function historyDrafts(wpId: string, history: unknown): TransitionDraft[] {
  const drafts: TransitionDraft[] = []
  let previous: Lane = 'planned'
  for (const entry of Array.isArray(history) ? history : []) {
    if (!entry || typeof entry !== 'object') continue
    const e = entry as Record<string, unknown>
    const lane = typeof e['lane'] === 'string' ? normalizeLane(e['lane']) : null
    const at =
      typeof e['timestamp'] === 'string'
        ? e['timestamp'].trim()
        : e['timestamp'] instanceof Date
          ? e['timestamp'].toISOString()
          : ''
    if (!lane || lane === previous || parseEventTime(at) === null) continue
    const who = [e['agent'], e['actor']].find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined
    const action =
      typeof e['action'] === 'string' && e['action'].trim() !== ''
        ? e['action'].trim()
        : 'historical_frontmatter_to_jsonl:v1'
    drafts.push({
      kind: 'transition',
      wpId,
      from: previous,
      to: lane,
      actor: who ?? 'migration',
      force: true,
      reason: action,
      reviewRef: null,
      policy: null,
      executionMode: 'direct_repo',
      at,
    })
    previous = lane
  }
  return drafts
}

/**
 * Every WP starts with upstream's finalize-tasks seed (genesis → planned): upstream refuses to start a
 * WP that has none ("not finalized"). It takes the first recorded time, and sorts first by its id.
 */
function seeded(wpId: string, drafts: TransitionDraft[]): TransitionDraft[] {
  return [finalizeSeed(wpId, drafts[0]?.at), ...drafts]
}

function emptyLog(mission: MissionView): MissionEvents {
  const reduced: ReducedLog = reduceStatusEvents({ transitions: [], annotations: [] })
  return {
    path: `${mission.path}/${EVENT_LOG_FILE}`,
    text: '',
    statusPath: `${mission.path}/${STATUS_JSON_FILE}`,
    statusText: null,
    stream: { transitions: [], annotations: [] },
    reduced,
  }
}

async function toEvents(
  ctx: EngineContext,
  mission: MissionView,
  actor: string,
): Promise<MutationPlan<Migrated> | Migrated> {
  if (mission.events) {
    throw new UsageError(
      `${mission.dir} already has an event log (${mission.events.path}); use kitty reconcile --mission ${mission.dir} to bring the two in line.`,
    )
  }
  const result: Migrated = { mission, to: 'events', wps: [], files: [] }
  const wps = await mission.all()
  if (wps.length === 0) return result
  const files = await Promise.all(wps.map((loaded) => loaded.file()))
  const drafts = wps.flatMap(({ wp }, i) => seeded(wp.id, historyDrafts(wp.id, files[i]!.data['history'])))
  // One clock for both builds below, so the closing events' stamps stay after the first build's.
  const now = ctx.now()
  const clock = { now: () => now }
  let written = appendEvents(clock, mission, emptyLog(mission), drafts)
  // History can be out of order or short of the current lane: close each such WP with one forced
  // event, stamped after everything recorded (a history entry may even be dated in the future).
  const latest = drafts.reduce(
    (max, d) => (d.at && (parseEventTime(d.at) ?? 0n) > max ? parseEventTime(d.at)! : max),
    0n,
  )
  const afterStamped = BigInt(now.getTime()) * 1000n + BigInt(drafts.length) + 1n
  const closingAt = pythonIsoUtc(afterStamped > latest + 1_000_000n ? afterStamped : latest + 1_000_000n)
  const closing: TransitionDraft[] = wps
    .filter(({ wp }) => displayLane(written.reduced.work_packages[wp.id]) !== wp.lane)
    .map(({ wp }) => ({
      kind: 'transition',
      wpId: wp.id,
      from: displayLane(written.reduced.work_packages[wp.id]),
      to: wp.lane,
      actor: wp.lastActor ?? 'migration',
      force: true,
      reason: 'migrate: the lane the task file records',
      reviewRef: null,
      policy: null,
      executionMode: 'direct_repo',
      at: closingAt,
    }))
  if (closing.length > 0) written = appendEvents(clock, mission, emptyLog(mission), [...drafts, ...closing])
  for (const { wp } of wps) {
    result.wps.push({
      wp_id: wp.id,
      lane: wp.lane,
      events: [...drafts, ...closing].filter((d) => d.wpId === wp.id).length,
    })
  }
  result.files = [...written.changes.keys()].sort()
  return {
    kind: 'commit',
    message: {
      subject: `kitty(${mission.identity.mission_slug}): migrate to events`,
      body: `Seeded ${EVENT_LOG_FILE} with ${drafts.length + closing.length} event(s) from the WP files' history.`,
      trailers: missionTrailers(ctx, mission, 'migrate', actor),
    },
    changes: written.changes,
    result,
  }
}

async function planMigrate(
  ctx: EngineContext,
  snapshot: Snapshot,
  handle: string,
  to: 'frontmatter' | 'events',
  actor: string,
) {
  const mission = await loadMission(snapshot, handle)
  return to === 'frontmatter' ? toFrontmatter(ctx, mission, actor) : toEvents(ctx, mission, actor)
}

export const migrate: CommandSpec = {
  ...commandMeta('kitty', 'migrate'),
  async run(ctx, req) {
    const handle = requiredString(req, 'mission')
    const to = requiredString(req, 'to')
    if (to !== 'frontmatter' && to !== 'events')
      throw new UsageError(`Option '--to' must be frontmatter or events, not ${JSON.stringify(to)}.`)
    const actor = optionalActor(req)
    const dryRun = optionalBoolean(req, 'dry-run') ?? false
    const { result, commit } = await mutate<Migrated>(ctx, async (snapshot) =>
      planOrPreview(await planMigrate(ctx, snapshot, handle, to, actor), dryRun),
    )
    if (to === 'frontmatter' && !result.mission.events)
      warn(ctx, [`${result.mission.dir} has no event log; every WP already has its file.`])
    return {
      ...identityOf(result.mission),
      to,
      dry_run: dryRun,
      work_packages: result.wps,
      files: result.files,
      commit: dryRun ? null : commit,
    }
  },
}
