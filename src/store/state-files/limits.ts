/**
 * The most kitty reads of each state file (docs/limits.md). Checked from the blob's header
 * before it is inflated, so a small compressed bomb costs nothing; real files are far below them (the
 * largest in the spec-kitty corpus: a 52 KB WP file, a 36 KB tasks.md, a 4 KB meta.json).
 */
export const MAX_WP_FILE_BYTES = 1024 * 1024
export const MAX_TASKS_MD_BYTES = 1024 * 1024
export const MAX_META_JSON_BYTES = 1024 * 1024
export const MAX_EVIDENCE_BYTES = 1024 * 1024
export const MAX_CONFIG_BYTES = 64 * 1024
/** status.events.jsonl grows by ~400 bytes a transition; the corpus's largest is 30 KB. */
export const MAX_EVENT_LOG_BYTES = 16 * 1024 * 1024
export const MAX_STATUS_JSON_BYTES = 4 * 1024 * 1024
