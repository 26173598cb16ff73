import type { Envelope } from '../core/envelope.ts'

/**
 * The step outputs of one envelope: the envelope itself, success, the error code, and the fields a
 * workflow branches on, flattened to strings (outputs are strings; lists are comma-separated).
 */
export function outputsOf(command: string, envelope: Envelope, commit: string | null): Record<string, string> {
  const d = envelope.data
  const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')
  const ids = (v: unknown): string =>
    Array.isArray(v)
      ? v
          .map((x) => (typeof x === 'string' ? x : text((x as Record<string, unknown>)?.['wp_id'])))
          .filter(Boolean)
          .join(',')
      : ''
  const out: Record<string, string> = {
    envelope: JSON.stringify(envelope),
    success: String(envelope.success),
    'error-code': envelope.error_code ?? '',
    command,
    mission: text(d['mission_slug']),
    'wp-id': text(d['wp_id']),
    'from-lane': text(d['from_lane']),
    'to-lane': text(d['to_lane']),
    commit: commit ?? text(d['state_commit']),
    'merge-commit': text(d['merge_commit']),
    'merged-wps': ids(d['merged_wps']),
    'ready-wps': ids(d['ready_work_packages']),
    'lane-counts': d['summary'] && typeof d['summary'] === 'object' ? JSON.stringify(d['summary']) : '',
  }
  return out
}
