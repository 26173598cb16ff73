import { describe, expect, it } from 'vitest'
import {
  parseReportStatus,
  pktLine,
  receivePackRequest,
  reportLines,
} from '../../../src/store/remote/receive-pack-wire.ts'

const REF = 'refs/heads/kitty/state'
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)

/** A receive-pack answer as git's report-status writes it: pkt-lines, then a flush. */
function answer(...lines: string[]): Buffer {
  return Buffer.concat([...lines.map((l) => pktLine(`${l}\n`)), Buffer.from('0000')])
}

describe('receive-pack wire', () => {
  it('frames a pkt-line with its length in four hex digits, counting the digits and UTF-8 bytes', () => {
    expect(pktLine('a\n').toString()).toBe('0006a\n')
    expect(pktLine('é').toString('latin1')).toBe('0006\xc3\xa9')
    expect(pktLine('x'.repeat(300)).subarray(0, 4).toString()).toBe('0130')
  })

  it('asks to move one ref from the expected oid (zeros for a new ref) with report-status, then the pack', () => {
    const pack = Buffer.from('PACK-bytes')
    const update = receivePackRequest(REF, A, B, pack).toString('latin1')
    expect(update).toBe(
      `${pktLine(`${A} ${B} ${REF}\0report-status agent=kitty-github\n`).toString('latin1')}0000PACK-bytes`,
    )
    const create = receivePackRequest(REF, null, B, pack).toString('latin1')
    expect(create.slice(4, 85)).toBe(`${'0'.repeat(40)} ${B}`)
  })

  it('reads report lines across flush packets and stops at a length that is not hex', () => {
    expect(reportLines(answer('unpack ok', `ok ${REF}`))).toEqual(['unpack ok', `ok ${REF}`])
    expect(
      reportLines(Buffer.concat([pktLine('one\n'), Buffer.from('0000'), pktLine('two'), Buffer.from('zzzz')])),
    ).toEqual(['one', 'two'])
  })

  it.each([
    ['the ref was stored', answer('unpack ok', `ok ${REF}`), { ok: true }],
    [
      'the remote refused the ref',
      answer('unpack ok', `ng ${REF} non-fast-forward`),
      { ok: false, reason: 'non-fast-forward' },
    ],
    [
      'the objects did not unpack',
      answer('unpack index-pack abnormal exit', `ng ${REF} unpacker error`),
      { ok: false, reason: 'the remote could not store the objects (index-pack abnormal exit)' },
    ],
    ['no unpack line', answer(`ok ${REF}`), { ok: false, reason: 'no report from the remote' }],
    [
      'another ref only',
      answer('unpack ok', 'ok refs/heads/other'),
      { ok: false, reason: 'no report from the remote' },
    ],
    ['an empty answer', Buffer.alloc(0), { ok: false, reason: 'no report from the remote' }],
  ])('reports %s', (_name, body, expected) => {
    expect(parseReportStatus(body, REF)).toEqual(expected)
  })
})
