/**
 * The bytes of one receive-pack exchange (git's pack-protocol, smart HTTP): the request that updates
 * one ref, and the report-status answer. isomorphic-git keeps the same pieces in models/GitPktLine.js
 * and wire/parseReceivePackResponse.js; pushCommit (remote.ts) does the HTTP around them.
 */

const ZERO_OID = '0'.repeat(40)
const FLUSH_PKT = Buffer.from('0000', 'latin1')

/** One pkt-line: four hex digits giving the length (themselves included), then the text. */
export function pktLine(text: string): Buffer {
  const body = Buffer.from(text, 'utf8')
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'latin1'), body])
}

/**
 * A receive-pack request moving `ref` from `expected` (null: it must not exist yet) to `next`, asking
 * for report-status without side-band, then the pack.
 */
export function receivePackRequest(ref: string, expected: string | null, next: string, pack: Buffer): Buffer {
  const command = pktLine(`${expected ?? ZERO_OID} ${next} ${ref}\0report-status agent=kitty-github\n`)
  return Buffer.concat([command, FLUSH_PKT, pack])
}

/** The report-status lines of a receive-pack answer (requested without side-band). */
export function reportLines(body: Buffer): string[] {
  const lines: string[] = []
  for (let i = 0; i + 4 <= body.length; ) {
    const size = Number.parseInt(body.subarray(i, i + 4).toString('latin1'), 16)
    if (!Number.isFinite(size)) break
    if (size < 4) {
      i += 4
      continue
    }
    lines.push(
      body
        .subarray(i + 4, i + size)
        .toString('utf8')
        .replace(/\n$/, ''),
    )
    i += size
  }
  return lines
}

/** What the remote reported for one ref: stored, or refused with its reason. */
export type RefReport = { ok: true } | { ok: false; reason: string }

/**
 * The report for `ref` in a receive-pack answer: the objects must have unpacked (`unpack ok`) and the
 * ref's own line be `ok <ref>`; `ng <ref> <reason>` carries the remote's reason. No report at all is a
 * refusal, never a success.
 */
export function parseReportStatus(body: Buffer, ref: string): RefReport {
  const lines = reportLines(body)
  const unpack = lines.find((l) => l.startsWith('unpack '))
  if (unpack !== 'unpack ok') {
    const reason = unpack ? `the remote could not store the objects (${unpack.slice(7)})` : 'no report from the remote'
    return { ok: false, reason }
  }
  const status = lines.find((l) => l.startsWith(`ok ${ref}`) || l.startsWith(`ng ${ref} `))
  if (status === undefined) return { ok: false, reason: 'no report from the remote' }
  return status.startsWith('ok ') ? { ok: true } : { ok: false, reason: status.slice(`ng ${ref} `.length) }
}
