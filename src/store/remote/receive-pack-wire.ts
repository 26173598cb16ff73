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
 * for report-status, then the pack. With `sideBand` (only when the remote advertised side-band-64k)
 * the answer is multiplexed, so the remote's messages reach us: GitHub explains a protected-branch
 * refusal (GH006, GH013) only there, the report itself just says the hook declined.
 */
export function receivePackRequest(
  ref: string,
  expected: string | null,
  next: string,
  pack: Buffer,
  sideBand = false,
): Buffer {
  const caps = sideBand ? 'report-status side-band-64k' : 'report-status'
  const command = pktLine(`${expected ?? ZERO_OID} ${next} ${ref}\0${caps} agent=kitty-github\n`)
  return Buffer.concat([command, FLUSH_PKT, pack])
}

/** A side-band answer taken apart: channel 1 (the report-status pkt-lines) and the remote's messages (2 and 3). */
export interface SideBandAnswer {
  data: Buffer
  /** One entry per line the remote printed, as git shows them after `remote: `; empty lines dropped. */
  messages: string[]
}

export function demuxSideBand(body: Buffer): SideBandAnswer {
  const data: Buffer[] = []
  let text = ''
  for (let i = 0; i + 4 <= body.length; ) {
    const size = Number.parseInt(body.subarray(i, i + 4).toString('latin1'), 16)
    if (!Number.isFinite(size)) break
    if (size < 5) {
      i += 4
      continue
    }
    const channel = body[i + 4]
    const payload = body.subarray(i + 5, i + size)
    if (channel === 1) data.push(payload)
    else if (channel === 2 || channel === 3) text += payload.toString('utf8')
    i += size
  }
  const messages = text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
  return { data: Buffer.concat(data), messages }
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
