import type { WorkPackage } from '../../core/work-package.ts'
import type { FrontmatterEdit } from '../../store/state-files/frontmatter.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import type { AnnotationDraft } from '../lanes/event-log.ts'

/**
 * WP frontmatter keys an older kitty wrote that upstream's strict frontmatter model rejects (issue 21,
 * D10). Reads say which files hold one, since upstream cannot read that mission until they are gone;
 * `kitty reconcile` removes them, keeping the review reference where upstream keeps references.
 */

export function retiredKeyWarnings(mission: MissionView, wps: readonly WorkPackage[]): string[] {
  const holders = wps.filter((wp) => wp.retiredReviewRef !== undefined)
  if (holders.length === 0) return []
  const files = holders.map((wp) => wp.path).join(', ')
  return [
    `${files} ${holders.length === 1 ? 'has' : 'have'} a review_ref: frontmatter key (written by an older kitty), which upstream spec-kitty's WPMetadata rejects: its mission-state and list-ready fail on this mission until it is gone. ` +
      `Move it with kitty reconcile --mission ${mission.dir} (the reference stays on the event line or in the commit).`,
  ]
}

/** Where a moved reference is kept afterwards. */
export type ReviewRefHome = 'event_line' | 'annotation' | 'commit_message'

export interface ReviewRefMove {
  wp_id: string
  review_ref: string
  now_in: ReviewRefHome
}

export interface RetiredKeyPlan {
  moves: ReviewRefMove[]
  /** Frontmatter edits per WP id. */
  edits: Map<string, FrontmatterEdit[]>
  /** Notes for references no event line of the WP carries yet (log missions only). */
  annotations: AnnotationDraft[]
}

/** What moving every retired key of `wps` takes: delete the key; keep the reference once, where upstream reads it. */
export function planRetiredKeyMoves(mission: MissionView, wps: readonly WorkPackage[], actor: string): RetiredKeyPlan {
  const plan: RetiredKeyPlan = { moves: [], edits: new Map(), annotations: [] }
  for (const wp of wps) {
    if (wp.retiredReviewRef === undefined) continue
    plan.edits.set(wp.id, [{ kind: 'delete', key: 'review_ref' }])
    const ref = wp.retiredReviewRef
    if (ref === '') continue
    const onLine = mission.events?.stream.transitions.some((e) => e.wp_id === wp.id && e.review_ref === ref) ?? false
    const nowIn: ReviewRefHome = onLine ? 'event_line' : mission.events ? 'annotation' : 'commit_message'
    plan.moves.push({ wp_id: wp.id, review_ref: ref, now_in: nowIn })
    if (nowIn === 'annotation') {
      plan.annotations.push({
        kind: 'annotation',
        wpId: wp.id,
        actor,
        delta: { note: `review_ref ${ref} (moved from the WP frontmatter by kitty reconcile)` },
      })
    }
  }
  return plan
}
