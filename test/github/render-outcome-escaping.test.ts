import MarkdownIt from 'markdown-it'
import { describe, expect, it } from 'vitest'
import { makeEnvelope, makeFailure } from '../../src/core/envelope.ts'
import { adviseCommenters } from '../../src/github/advise-commenters.ts'
import { envelopeBlock, renderOutcome } from '../../src/github/render-outcome.ts'

/** What the bot posts, rendered by a real CommonMark/GFM renderer: the words people wrote stay words. */

const md = new MarkdownIt({ html: true, linkify: true })

/** The rendered HTML outside code (where GitHub neither links nor mentions). */
function prose(markdown: string): string {
  return md
    .render(markdown)
    .replace(/<pre>[^]*?<\/pre>/g, '')
    .replace(/<code>[^<]*<\/code>/g, '')
}

describe('renderOutcome with hostile words', () => {
  it("a commenter's word quoted in the error: no tag, link or mention in the heading, the error line or the title", () => {
    const word = '<img/src=https://evil.example/x.png></details><h1>x</h1>@acme/owners'
    const envelope = makeFailure(
      'transition',
      'USAGE_ERROR',
      `'${word}' is not a lane. Usage: \`/kitty transition <lane>\``,
    )
    const r = renderOutcome({
      command: 'transition',
      envelope,
      label: `/kitty transition ${word}`,
      advise: adviseCommenters,
    })
    for (const markdown of [r.reply, r.checkRun.summary, r.jobSummary]) {
      const html = prose(markdown)
      expect(html).not.toMatch(/<(img|a|h1)\b/)
      expect(html).not.toMatch(/<\/details>[^]*<details>/)
      expect(html).not.toMatch(/@[a-z]/)
      // The usage the message quotes as code stays code.
      expect(md.render(markdown)).toContain('<code>/kitty transition &lt;lane&gt;</code>')
    }
    // The check run's title is plain text on GitHub: the words as written, no escapes to read.
    expect(r.checkRun.title).toBe(`USAGE_ERROR: '${word}' is not a lane. Usage: \`/kitty transition <lane>\``)
  })

  it('a WP title with mentions, an image and a reference: inert in the WP table', () => {
    const envelope = makeEnvelope('list-ready', true, {
      mission_slug: '099-m',
      ready_work_packages: [
        { wp_id: 'WP01', title: 'Ship @acme/everyone ![x](https://evil.example/t.png) #12', lane: 'planned' },
      ],
    })
    const html = prose(renderOutcome({ command: 'list-ready', envelope }).reply)
    expect(html).not.toMatch(/<(img|a)\b/)
    expect(html).not.toMatch(/@[a-z]|#\d/)
    expect(html.replaceAll('\u2060', '')).toContain('Ship @acme/everyone ![x](https://evil.example/t.png) #12')
  })

  // Pretty JSON puts no backtick at a line start, so a 3-backtick fence held already; the longer fence keeps
  // that true for any text the block may hold (defence in depth, not a repro).
  it('the envelope block has a fence longer than any backtick run in it, whole and cut', () => {
    const envelope = makeEnvelope('mission-state', true, {
      mission_slug: '099-m',
      work_packages: [{ wp_id: 'WP01', title: 'x\n````\n<img src=x>\n````', lane: 'planned' }],
    })
    expect(envelopeBlock(envelope).startsWith('`````json\n')).toBe(true)
    for (const block of [envelopeBlock(envelope), envelopeBlock(envelope, 300)]) {
      const html = md.render(`${block}\n\nafter`)
      expect(html).toMatch(/^<pre><code class="language-json">[^<]*<\/code><\/pre>\n/)
      expect(html).not.toContain('<img')
    }
    const reply = renderOutcome({ command: 'mission-state', envelope }).reply
    expect(md.render(reply)).not.toContain('<img')
  })
})
