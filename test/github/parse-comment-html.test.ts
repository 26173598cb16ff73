import fc from 'fast-check'
import MarkdownIt from 'markdown-it'
import { describe, expect, it } from 'vitest'
import type { ParseContext } from '../../src/github/parse-comment.ts'
import { hasCommandLine, parseComment } from '../../src/github/parse-comment.ts'

/**
 * `/kitty` lines inside HTML comments (`<!-- … -->`) are hidden from every reader of the rendered
 * comment, so they never run (D7 of the 2026-12-06 probe), nor can hidden text add words to a command.
 */

const CTX: ParseContext = {
  author: 'octocat',
  url: 'https://github.com/acme/app/pull/7#issuecomment-1',
  headBranch: '099-test-mission-WP02',
  branchPattern: '{mission_slug}-{wp_id}',
}
const run = (body: string) =>
  parseComment(body, CTX).map((l) => (l.kind === 'command' ? l.argv.slice(1).join(' ') : `error: ${l.message}`))

describe('HTML comments hide /kitty lines', () => {
  it.each([
    ['the probe repro (multi-line)', 'Looks fine to me!\n<!--\n/kitty transition canceled --force --note hidden\n-->'],
    ['one line', '<!-- /kitty approve -->'],
    ['unterminated: hidden to the end', 'ok\n<!--\n\n/kitty approve\n\n/kitty block x'],
    ['a line that starts inside a comment', '<!-- a\n-->/kitty approve'],
    ['indented, after text', 'Text <!-- start\n   /kitty approve\nend -->'],
    ['CRLF and CR line ends', '<!--\r\n/kitty approve\r\n-->\r<!--\r/kitty block x'],
  ])('%s: nothing runs', (_what, body) => {
    expect(run(body)).toEqual([])
    expect(hasCommandLine(body)).toBe(false)
  })

  it('several comments in one body: only the lines outside them run', () => {
    const body = '<!-- /kitty block a -->\n/kitty note one\n<!--\n/kitty block b\n-->\n/kitty note two\n<!-- x'
    expect(run(body)).toEqual([
      expect.stringMatching(/^append-history .*--note=one/),
      expect.stringMatching(/^append-history .*--note=two/),
    ])
  })

  it('hidden text inside a command line never becomes part of the command', () => {
    const [argv] = run('/kitty transition canceled <!-- --force --> --note shown <!-- hidden')
    expect(argv).toMatch(/--to=canceled/)
    expect(argv).toMatch(/--note=shown/)
    expect(argv).not.toMatch(/force|hidden/)
  })

  it('an HTML comment inside fenced code is code, not a comment: the fence still decides', () => {
    expect(run('```\n<!--\n```\n/kitty note after')).toEqual([expect.stringMatching(/--note=after/)])
    expect(run('```\n/kitty approve\n```')).toEqual([])
  })

  it('<!--> and <!---> close at once, as GitHub renders them', () => {
    expect(run('<!-->\n/kitty note a\n<!--->\n/kitty note b')).toHaveLength(2)
  })
})

const marker = fc.integer({ min: 0, max: 999_999 }).map((n) => `m${n}`)
type Part = { kind: 'visible'; text: string; marker: string } | { kind: 'hidden' | 'text'; text: string }
const part: fc.Arbitrary<Part> = fc.oneof(
  marker.map((m): Part => ({ kind: 'visible', text: `/kitty note ${m}`, marker: m })),
  // A visible command with a hidden tail: the tail must not reach the command.
  marker.map((m): Part => ({ kind: 'visible', text: `/kitty note ${m} <!-- HIDDEN --force -->`, marker: m })),
  fc
    .tuple(fc.array(fc.constantFrom('/kitty block HIDDEN', ' /kitty approve', 'HIDDEN', '', '<!--'), { maxLength: 4 }))
    .map(([lines]): Part => ({ kind: 'hidden', text: `<!--\n${lines.join('\n')}\n-->` })),
  fc.constantFrom<Part>(
    { kind: 'text', text: 'Looks good.' },
    { kind: 'text', text: '' },
    { kind: 'hidden', text: '<!-- /kitty block HIDDEN -->' },
    { kind: 'text', text: 'before <!-- HIDDEN --> after' },
  ),
)

describe('property: hidden commands never run; visible ones do', () => {
  it('over bodies of visible commands, prose and HTML comments (closed, or one unterminated at the end)', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 10 }), fc.boolean(), (parts, unterminated) => {
        const tail = unterminated ? '\n<!--\n/kitty block HIDDEN' : ''
        const body = parts.map((p) => p.text).join('\n') + tail
        const ran = run(body)
        const visible = parts.flatMap((p) => (p.kind === 'visible' ? [p.marker] : []))
        expect(ran).toHaveLength(Math.min(visible.length, 11))
        expect(ran.join('\n')).not.toMatch(/HIDDEN|force|--to=blocked|--to=approved/)
        for (const [i, m] of visible.slice(0, 10).entries()) expect(ran[i]).toContain(`--note=${m}`)
      }),
    )
  })

  it('every line that runs is visible in a CommonMark rendering (markdown-it, HTML on, comments removed)', () => {
    const md = new MarkdownIt({ html: true })
    const anyLine = fc.oneof(
      fc.constantFrom('<!--', '-->', '<!-->', '/kitty note x1', '  /kitty note x2', 'a <!-- b', '```', '~~~', ''),
      fc.stringMatching(/^[a-z <!>/-]{0,12}$/),
    )
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 12 }), (lines) => {
        const body = lines.join('\n')
        // As a browser parses comments (HTML5): `<!-->` and `<!--->` close at once, an unterminated one runs to the end.
        const shown = md.render(body).replace(/<!--(?:>|->|[\s\S]*?-->|[\s\S]*$)/g, '')
        for (const l of parseComment(body, CTX)) {
          const note = l.kind === 'command' ? /--note=(\S+)/.exec(l.argv.join(' '))?.[1] : undefined
          if (note) expect(shown, body).toContain(`/kitty note ${note}`)
        }
      }),
    )
  })
})
