import fc from 'fast-check'
import { expect } from 'vitest'

/**
 * Frontmatter as people write it by hand (issue 15): full-line comments (indented too), trailing
 * comments, runs of spaces and tabs, all three quote styles, any key order, and each shape of list
 * spec-kitty files use. Values start with `v` so none reads as a YAML boolean, null or number.
 */
const word = fc.stringMatching(/^v[a-z]{0,5}$/)
/** Plain text with runs of spaces inside, which a YAML re-rendering would squeeze. */
const phrase = fc
  .tuple(word, fc.array(fc.tuple(fc.constantFrom(' ', '  ', '   '), word), { maxLength: 3 }))
  .map(([w, rest]) => w + rest.map(([s, x]) => s + x).join(''))
const quoted = (text: fc.Arbitrary<string>) =>
  fc.oneof(
    text,
    text.map((t) => `'${t}'`),
    text.map((t) => `"${t}"`),
  )
const separator = fc.constantFrom(': ', ':  ', ':   ', ':\t')
const trailing = fc.constantFrom('', '', ' ', '   ', '  # note', ' #x', '\t# tabbed', '   #  spaced   comment  ')
const fullLineComment = fc.constantFrom(
  '',
  '',
  '# comment',
  '#',
  '  # indented',
  '#   spaced   out  ',
  '# key: not a key',
)

const history = fc.constantFrom(
  (sep: string, tail: string) => [`history${sep}[]${tail}`],
  (_sep: string, tail: string) => [
    `history:${tail}`,
    "- timestamp: '2026-01-01T00:00:00Z'",
    '  lane: planned',
    '  agent: system',
    "  shell_pid: ''",
    '  action: Prompt created',
  ],
  (_sep: string, tail: string) => [
    `history:${tail}`,
    '  - timestamp: "2026-01-01T00:00:00Z"',
    '    lane: "planned"   # first',
    '    agent: system',
    '    shell_pid: ""',
    '    action:  Prompt   created',
  ],
  (_sep: string, tail: string) => [
    `history:${tail}`,
    '  # the prompt',
    '  - {timestamp: "2026-01-01T00:00:00Z", lane: "planned", agent: "system", shell_pid: "", action: "Prompt"}',
  ],
)
const subtasks = fc.constantFrom(
  (sep: string, tail: string) => [`subtasks${sep}[T001, T002]${tail}`],
  (sep: string, tail: string) => [`subtasks${sep}[T001,T002]${tail}`],
  (_sep: string, tail: string) => [`subtasks:${tail}`, '  - T001', '  -   T002   # spaced'],
)

interface Entry {
  key: string
  render: (sep: string, tail: string) => string[]
}
/** A top-level entry: its key and its lines, given the separator after the key and what trails the value. */
const scalar = (key: string, value: fc.Arbitrary<string>): fc.Arbitrary<Entry> =>
  value.map((v) => ({ key, render: (sep, tail) => [`${key}${sep}${v}${tail}`] }))

export function frontmatterFor(id: string): fc.Arbitrary<string[]> {
  const entries = fc.tuple(
    scalar('work_package_id', quoted(fc.constant(id))),
    scalar('title', quoted(phrase)),
    scalar('lane', quoted(fc.constant('planned'))),
    scalar('dependencies', fc.constantFrom('[]', '[ ]')),
    subtasks.map((render) => ({ key: 'subtasks', render })),
    history.map((render) => ({ key: 'history', render })),
    scalar('phase', quoted(phrase)),
    scalar('notes', quoted(phrase)),
  )
  const styled = fc.tuple(separator, trailing, fullLineComment)
  return entries
    .chain((list) =>
      fc.tuple(
        fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
        fc.array(styled, { minLength: list.length, maxLength: list.length }),
        fullLineComment,
      ),
    )
    .map(([list, styles, last]) => [
      ...list.flatMap((entry, i) => {
        const [sep, tail, comment] = styles[i]!
        return [...(comment === '' ? [] : [comment]), ...entry.render(sep, tail)]
      }),
      ...(last === '' ? [] : [last]),
    ])
}

export const wpText = (frontmatter: string[], id: string) =>
  [
    '---',
    ...frontmatter,
    '---',
    '',
    `# ${id}  title`,
    '',
    'Body   text.',
    '',
    '## Activity Log',
    '',
    '- 2026-01-01T00:00:00Z – system – lane=planned – Prompt created.',
    '',
  ].join('\n')

const keyOf = (line: string) => /^([A-Za-z_][\w-]*)[ \t]*:/.exec(line)?.[1]
function frontmatterAndBody(text: string): { fm: string[]; body: string[] } {
  const lines = text.split('\n')
  const end = lines.indexOf('---', 1)
  return { fm: lines.slice(1, end), body: lines.slice(end + 1) }
}

/** `kept` appears in `all` in order (each line byte for byte); returns the first line that does not. */
export function missingInOrder(kept: string[], all: string[]): string | null {
  let j = 0
  for (const line of kept) {
    while (j < all.length && all[j] !== line) j++
    if (j === all.length) return line
    j++
  }
  return null
}

/** Every frontmatter line whose key the command does not set, and every body line, survive in order. */
export function expectKept(before: string, after: string, touched: readonly string[], what: string): void {
  const b = frontmatterAndBody(before)
  const a = frontmatterAndBody(after)
  const untouched = b.fm.filter((line) => !touched.includes(keyOf(line) ?? ''))
  expect(
    missingInOrder(untouched, a.fm),
    `${what}: a frontmatter line was lost or rewritten\n--- before\n${before}\n--- after\n${after}`,
  ).toBeNull()
  expect(missingInOrder(b.body, a.body), `${what}: a body line was lost`).toBeNull()
}
