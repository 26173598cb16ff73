/**
 * The acceptance gate on GitHub workflow changes (upstream HEAD, accept-mission): a mission whose
 * work changes `.github/workflows/` must show that the changed workflows ran, in
 * `<mission_dir>/workflow-evidence.md`.
 */

export const WORKFLOW_FILE = /^\.github\/workflows\/[^/]+\.ya?ml$/

export const EVIDENCE_FILE = 'workflow-evidence.md'

const RUN_URL = /https?:\/\/[^\s/]+\/[^\s/]+\/[^\s/]+\/actions\/runs\/\d+/
// A bare number would take any date; a run id is one the text calls so ("run 123456", "run id: 123456").
const RUN_ID = /\brun(?:[ _-]?id)?\s*[:#=]?\s*\d{5,}\b/i

/** Whether the evidence names a real Actions run: its URL, or a run id of at least 5 digits. */
export function holdsRunEvidence(text: string): boolean {
  return RUN_URL.test(text) || RUN_ID.test(text)
}
