import { describe, expect, it } from 'vitest'
import { commitSubject, formatCommitMessage, parseTrailers } from '../../src/core/trailers.ts'

describe('commit trailers', () => {
  it('formats subject, note and one trailer block, and reads it back', () => {
    const msg = formatCommitMessage({
      subject: 'kitty(m/WP01): planned -> claimed',
      body: 'Because.\n\nKey: looks like a trailer',
      trailers: { 'Kitty-Command': 'transition', 'Kitty-WP': 'WP01', 'Kitty-Actor': 'a\nKitty-Force: true' },
    })
    expect(msg).toBe(
      'kitty(m/WP01): planned -> claimed\n\nBecause.\n\nKey: looks like a trailer\n\nKitty-Command: transition\nKitty-WP: WP01\nKitty-Actor: a Kitty-Force: true\n',
    )
    expect(parseTrailers(msg)).toEqual({
      'Kitty-Command': 'transition',
      'Kitty-WP': 'WP01',
      'Kitty-Actor': 'a Kitty-Force: true',
    })
  })
  it('drops empty trailers', () => {
    expect(formatCommitMessage({ subject: 's', trailers: { 'Kitty-Force': undefined, 'Kitty-WP': ' ' } })).toBe(
      's\n\n\n',
    )
  })
})

describe('commit trailers: edges', () => {
  it('folds every line break git or a reader could see into a space, in subject and trailers', () => {
    const msg = formatCommitMessage({
      subject: ' a\rb\tc\u2028d\u2029e\u0085f\vg\fh ',
      trailers: { 'Kitty-Actor': 'x\r\ny' },
    })
    expect(msg).toBe('a b c d e f g h\n\nKitty-Actor: x y\n')
  })

  it('the note keeps its own lines, CRLF turned into LF, trimmed; an empty note is left out', () => {
    expect(
      formatCommitMessage({ subject: 's', body: '  line 1\r\nline 2\r\r\n', trailers: { 'Kitty-WP': 'WP01' } }),
    ).toBe('s\n\nline 1\nline 2\n\nKitty-WP: WP01\n')
    expect(formatCommitMessage({ subject: 's', body: ' \n ', trailers: { 'Kitty-WP': 'WP01' } })).toBe(
      's\n\nKitty-WP: WP01\n',
    )
  })

  it('trailers are written in one fixed order, whatever order they were given in', () => {
    const msg = formatCommitMessage({
      subject: 's',
      trailers: { 'Kitty-Delivery': 'd', 'Kitty-Command': 'c', 'Kitty-To': 't', 'Kitty-From': 'f' },
    })
    expect(msg).toBe('s\n\nKitty-Command: c\nKitty-From: f\nKitty-To: t\nKitty-Delivery: d\n')
  })

  it('reads only the last paragraph and only known Kitty-* keys; CRLF messages and a missing space read too', () => {
    const message =
      'subject\r\n\r\nKitty-WP: WP09\r\n\r\nKitty-Command:transition\r\nKitty-Unknown: x\r\nOther: y\r\nKitty-To: done\r\n\r\n'
    expect(parseTrailers(message)).toEqual({ 'Kitty-Command': 'transition', 'Kitty-To': 'done' })
    expect(parseTrailers('')).toEqual({})
    expect(parseTrailers('only a subject')).toEqual({})
  })

  it('the subject is the first line', () => {
    expect(commitSubject('first\nsecond')).toBe('first')
    expect(commitSubject('')).toBe('')
  })
})

describe('commit trailers: lone CR line breaks and anchored keys', () => {
  it('a lone CR in the note becomes a line break', () => {
    expect(formatCommitMessage({ subject: 's', body: 'line 1\rline 2', trailers: { 'Kitty-WP': 'WP01' } })).toBe(
      's\n\nline 1\nline 2\n\nKitty-WP: WP01\n',
    )
  })
  it('a message with lone CR line breaks reads like one with LF', () => {
    expect(parseTrailers('subject\r\rKitty-WP: WP01\rKitty-To: done\r')).toEqual({
      'Kitty-WP': 'WP01',
      'Kitty-To': 'done',
    })
  })
  it('a key must start its line', () => {
    expect(parseTrailers('s\n\nSee Kitty-WP: WP01\nKitty-To: done')).toEqual({ 'Kitty-To': 'done' })
  })
  it('the value is the rest of the line, past a U+2028 or U+2029, as git interpret-trailers reads it', () => {
    expect(parseTrailers('s\n\nKitty-WP: WP01\u2028Kitty-To: done\nKitty-Actor: a\u2029b')).toEqual({
      'Kitty-WP': 'WP01\u2028Kitty-To: done',
      'Kitty-Actor': 'a\u2029b',
    })
  })
})
