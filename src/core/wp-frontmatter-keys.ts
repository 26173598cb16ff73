/**
 * The WP frontmatter keys kitty writes. Upstream parses WP frontmatter with a strict model
 * (`WPMetadata`, `extra="forbid"`, status/wp_metadata.py): one key it does not know makes its
 * mission-state and list-ready fail for the whole mission, so every key here must be one of its fields
 * (test/fixtures/upstream/wp-metadata-fields.json holds that list and where it came from).
 */
export const WRITTEN_WP_KEYS = [
  'work_package_id',
  'title',
  'lane',
  'dependencies',
  'subtasks',
  'assignee',
  'agent',
  'reviewer',
  'review_status',
  'reviewed_by',
  'history',
] as const

export type WrittenWpKey = (typeof WRITTEN_WP_KEYS)[number]

/**
 * Keys older kitty versions wrote that upstream rejects. They are still read (a file holding one is
 * valid here), never written, and `kitty reconcile` removes them: the review reference they carried
 * already lives where upstream keeps it, on the event line (`review_ref`) and in status.json.
 */
export const RETIRED_WP_KEYS = ['review_ref'] as const

export type RetiredWpKey = (typeof RETIRED_WP_KEYS)[number]
