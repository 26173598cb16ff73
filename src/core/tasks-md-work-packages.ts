import { normalizeWpId } from './dependency-graph.ts'

/**
 * What tasks.md says about each WP: its section `## Work Package WP03: Title (Priority: P1)` (or
 * `## WP03 – Title`), the subtask rows in it, the WPs its Dependencies part names, and the prompt
 * file it points at. This is all a WP known only to the event log has for a title and dependencies.
 */
export interface TasksMdWorkPackage {
  id: string
  title: string | null
  dependencies: string[]
  subtasks: string[]
  /** `**Prompt**: /tasks/WP01-x.md`: the file name the WP was meant to have, when safe to use. */
  promptFile: string | null
  /** The section's text, heading included. */
  section: string
}

const WP_HEADING = /^(#{2,3})\s+(?:work\s+package\s+)?(WP\d+)\b\s*[:\-–—]?\s*(.*)$/i
const HEADING = /^(#{1,6})\s/
const SUBTASK_ROW = /^\s*[-*]\s\[[ xX]\]\s+(?:\*\*)?(T\d+)\b/
const PROMPT = /\*\*Prompt\*\*:?\s*`?(?:\/?tasks\/)?([^`\s]+\.md)`?/i
const SAFE_FILE = /^WP\d+[A-Za-z0-9._-]*\.md$/

function titleOf(rest: string): string | null {
  const title = rest.replace(/\s*\((?:priority|prio)[^)]*\)\s*$/i, '').trim()
  return title === '' ? null : title
}

function dependenciesIn(lines: string[], self: string): string[] {
  const deps = new Set<string>()
  let inPart = false
  for (const line of lines) {
    const heading = HEADING.exec(line)
    if (heading) inPart = /dependenc/i.test(line)
    const inline = /^\s*\*\*(?:dependencies|depends on)\*\*:?(.*)$/i.exec(line)
    const text = inline ? inline[1]! : inPart && !heading ? line : ''
    for (const m of text.matchAll(/\bWP\d+\b/gi)) {
      const id = normalizeWpId(m[0])
      if (id && id !== self) deps.add(id)
    }
  }
  return [...deps]
}

export function tasksMdWorkPackages(text: string | null): Map<string, TasksMdWorkPackage> {
  const out = new Map<string, TasksMdWorkPackage>()
  if (text === null) return out
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const m = WP_HEADING.exec(lines[i]!)
    const id = m ? normalizeWpId(m[2]!) : null
    if (!m || !id || out.has(id)) continue
    const level = m[1]!.length
    let end = i + 1
    while (end < lines.length && !(HEADING.exec(lines[end]!) && HEADING.exec(lines[end]!)![1]!.length <= level)) end++
    const body = lines.slice(i + 1, end)
    const prompt = body.map((l) => PROMPT.exec(l)?.[1]).find((f) => f !== undefined)
    const promptFile =
      prompt && SAFE_FILE.test(prompt) && normalizeWpId(/^WP\d+/.exec(prompt)![0]) === id ? prompt : null
    out.set(id, {
      id,
      title: titleOf(m[3]!),
      dependencies: dependenciesIn(body, id),
      subtasks: body.map((l) => SUBTASK_ROW.exec(l)?.[1]).filter((t): t is string => t !== undefined),
      promptFile,
      section: lines.slice(i, end).join('\n').trimEnd(),
    })
  }
  return out
}
