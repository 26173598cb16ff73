import { describe, expect, it } from 'vitest'
import { formatCommitMessage, parseTrailers } from '../../src/core/trailers.ts'

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
    expect(parseTrailers(msg)).toEqual({ 'Kitty-Command': 'transition', 'Kitty-WP': 'WP01', 'Kitty-Actor': 'a Kitty-Force: true' })
  })
  it('drops empty trailers', () => {
    expect(formatCommitMessage({ subject: 's', trailers: { 'Kitty-Force': undefined, 'Kitty-WP': ' ' } })).toBe('s\n\n\n')
  })
})
