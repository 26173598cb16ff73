import fc from 'fast-check'
import MarkdownIt from 'markdown-it'
import { describe, expect, it } from 'vitest'
import {
  escapeMarkdown,
  escapeTableCell,
  fenceCodeBlock,
  formatInlineCode,
  JOINER,
} from '../../src/github/escape-markdown.ts'

/**
 * Rendered by a real CommonMark/GFM renderer with raw HTML and linkify on (the most a renderer could
 * make of the text), the escaped words must come out as one text node equal to the input, with no
 * tag, link or image, and none of the patterns GitHub's text filters turn into mentions or references.
 */

const md = new MarkdownIt({ html: true, linkify: true })

const HOSTILE = [
  '<img/src=https://evil.example/x.png>',
  '<a/href=//evil.example>x</a>',
  '</details>',
  '<h1>x</h1>',
  '<!-- c -->',
  '<script>alert(1)</script>',
  '@org/team',
  '@acme/everyone',
  'x@octocat',
  '![x](https://evil.example/t.png)',
  '[x](javascript:alert(1))',
  '[x]: https://evil.example',
  '[^1]',
  '<https://x.example>',
  '<mail@evil.example>',
  'https://evil.example/a?b=c',
  'HTTP://EVIL.EXAMPLE',
  '//localhost/x',
  'www.evil.example',
  'mailto:mail@evil.example',
  'mail@evil.example',
  '`',
  '```',
  '``x``',
  '|',
  '\\|',
  '\\',
  '&lt;',
  '&#64;',
  '&amp;',
  '&commat;',
  '#123',
  'owner/repo#1',
  'GH-12',
  'deadbeefcafe1234',
  '0123456789abcdef0123456789abcdef01234567',
  '*em*',
  '_em_',
  '**b**',
  '~~s~~',
  '# h',
  '- li',
  '1. li',
  '2) li',
  '> q',
  '---',
  '===',
  '$x$',
  '$$',
  ':tada:',
  '\n',
  '\r\n',
  '\n\n    code',
  '\t',
  '    ',
  '\u0000',
  '\u2028',
  '＠org',
  '＜img＞',
  'ｈｔｔｐｓ：／／x',
  '\u202e',
  '\u200b',
  JOINER,
  '\u00a0',
  'x',
  ' ',
  'WP01',
]

const hostile = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''))

function decode(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}

/** What a reader sees: controls as spaces, whitespace runs as one, no joiners. */
function visible(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replaceAll(JOINER, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Nothing GitHub's post-render filters would make live: mentions, references, commit ids, bare URLs. */
function expectNothingLive(text: string): void {
  expect(text).not.toMatch(/(^|[^A-Za-z0-9_])@[A-Za-z0-9]/)
  expect(text).not.toMatch(/#\d/)
  expect(text).not.toMatch(/\bgh-\d/i)
  expect(text).not.toMatch(/[0-9a-f]{7,}/i)
  expect(text).not.toMatch(/:\/\//)
  expect(text).not.toMatch(/www\./i)
}

/** The one paragraph `x <escaped> y` renders to, or fail. */
function paragraphText(markdown: string): string {
  const html = md.render(markdown)
  const m = /^<p>([^<]*)<\/p>\n$/.exec(html)
  expect(m, html).not.toBeNull()
  return decode(m![1]!)
}

describe('escapeMarkdown', () => {
  it('hostile words mid-line render as their own text: no tag, link, image, mention or reference', () => {
    fc.assert(
      fc.property(hostile, (input) => {
        const text = paragraphText(`x ${escapeMarkdown(input)} y`)
        expectNothingLive(text)
        expect(visible(text)).toBe(visible(`x ${input} y`))
      }),
      { numRuns: 1_500 },
    )
  })

  it('in a heading, the same: the text neither closes the heading nor adds markup', () => {
    fc.assert(
      fc.property(hostile, (input) => {
        const html = md.render(`### kitty: ${escapeMarkdown(input)}`)
        const m = /^<h3>([^<]*)<\/h3>\n$/.exec(html)
        expect(m, html).not.toBeNull()
        expectNothingLive(decode(m![1]!))
        expect(visible(decode(m![1]!))).toBe(visible(`kitty: ${input}`))
      }),
      { numRuns: 500 },
    )
  })

  it("with codeSpans, the text's own code spans stay code and everything outside them is inert", () => {
    fc.assert(
      fc.property(hostile, (input) => {
        const html = md.render(`x ${escapeMarkdown(input, { codeSpans: true })} y`)
        const m = /^<p>((?:[^<]|<code>[^<]*<\/code>)*)<\/p>\n$/.exec(html)
        expect(m, html).not.toBeNull()
        expectNothingLive(decode(m![1]!.replace(/<code>[^<]*<\/code>/g, ' ')))
        const text = decode(m![1]!.replace(/<\/?code>/g, ''))
        expect(visible(text).replace(/[` ]/g, '')).toBe(visible(`x ${input} y`).replace(/[` ]/g, ''))
      }),
      { numRuns: 500 },
    )
  })

  it('plain words stay plain; the length is bounded; a cut keeps surrogate pairs whole', () => {
    expect(escapeMarkdown('not a lane')).toBe('not a lane')
    expect(escapeMarkdown('USAGE_ERROR: list-ready')).toBe('USAGE_ERROR\\: list-ready')
    expect(escapeMarkdown('_em_ - li')).toBe('\\_em\\_ \\- li')
    expect(escapeMarkdown("'<img/src=x>' is not a lane")).toBe("'\\<img\\/src\\=x\\>' is not a lane")
    expect(escapeMarkdown('@acme/everyone')).toBe(`\\@${JOINER}acme\\/everyone`)
    expect(escapeMarkdown('x'.repeat(5_000))).toHaveLength(2_000)
    expect(escapeMarkdown('x'.repeat(50), { max: 10 })).toBe(`${'x'.repeat(9)}…`)
    expect(escapeMarkdown(`${'x'.repeat(8)}😀yy`, { max: 10 })).toBe(`${'x'.repeat(8)}…`)
    expect(escapeMarkdown('deadbeefcafe')).toBe(`deadbe${JOINER}efcafe`)
  })
})

describe('escapeTableCell', () => {
  it('a hostile cell stays one cell of one row, its text as given', () => {
    fc.assert(
      fc.property(hostile, (input) => {
        const html = md.render(`| a | b |\n| --- | --- |\n| ${escapeTableCell(input)} | z |`)
        const m = /<tbody>\n<tr>\n<td>([^<]*)<\/td>\n<td>z<\/td>\n<\/tr>\n<\/tbody>\n<\/table>\n$/.exec(html)
        expect(m, html).not.toBeNull()
        expect(html.match(/<tr>/g)).toHaveLength(2)
        expectNothingLive(decode(m![1]!))
        expect(visible(decode(m![1]!))).toBe(visible(input))
      }),
      { numRuns: 1_000 },
    )
  })

  it('is never empty and at most 200 characters of input', () => {
    expect(escapeTableCell('')).toBe(' ')
    expect(escapeTableCell(null)).toBe(' ')
    expect(escapeTableCell('x'.repeat(500))).toBe(`${'x'.repeat(199)}…`)
  })
})

describe('formatInlineCode and fenceCodeBlock', () => {
  it('one code span holding exactly the text, whatever backticks it has', () => {
    fc.assert(
      fc.property(hostile, (input) => {
        const code = formatInlineCode(input)
        const html = md.render(`x ${code} y`)
        if (code === '') return
        const m = /^<p>x <code>([^<]*)<\/code> y<\/p>\n$/.exec(html)
        expect(m, html).not.toBeNull()
        expect(visible(decode(m![1]!))).toBe(visible(input))
      }),
      { numRuns: 1_000 },
    )
  })

  it('a fenced block no line of its text can close', () => {
    fc.assert(
      fc.property(hostile, (input) => {
        const html = md.render(`${fenceCodeBlock(input, 'json')}\n\nafter`)
        const m = /^<pre><code class="language-json">([^<]*)<\/code><\/pre>\n<p>after<\/p>\n$/.exec(html)
        expect(m, html).not.toBeNull()
        expect(decode(m![1]!)).toBe(`${input.replace(/\r\n?/g, '\n').replace(/\0/g, '\ufffd')}\n`)
      }),
      { numRuns: 1_000 },
    )
  })

  it('a text ending in a lone CR keeps its last line (found by FC_SEED=432037240)', () => {
    for (const input of ['\r', 'a\r', 'a\r\r', '\r\n\r']) {
      const html = md.render(`${fenceCodeBlock(input, 'json')}\n\nafter`)
      const lines = input.replace(/\r\n?/g, '\n')
      expect(html).toBe(`<pre><code class="language-json">${lines}\n</code></pre>\n<p>after</p>\n`)
    }
  })
})
