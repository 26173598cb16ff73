import fs from 'node:fs/promises'
import { join } from 'node:path'
import type { Repository } from '../repository.ts'

/**
 * A value of the repository's own `config` file (`user.name`), read as isomorphic-git's getConfig read
 * it: that file only, the last assignment wins, `[section "sub"]` variables are not the section's.
 * Here so that a commit's identity lookup does not load isomorphic-git (~160 KiB to compile);
 * test/store/history/git-config.test.ts holds the two equal.
 */

const SECTION_LINE = /^\[([A-Za-z0-9-.]+)(?:[ \t]+"((?:[^"\\]|\\.)*)")?\][ \t]*(?:[#;].*)?$/
const VARIABLE_LINE = /^([A-Za-z][A-Za-z0-9-]*)(?:\s*=\s*(.*))?$/
const ESCAPES: Readonly<Record<string, string>> = { t: '\t', b: '\b', n: '\n', '\\': '\\', '"': '"' }

/**
 * git's parse_value: quotes removed, `#` and `;` outside quotes start a comment, whitespace outside
 * quotes kept between words and trimmed at the ends, \t \b \n \\ \" unescaped (other backslashes kept).
 */
function parseValue(raw: string): string {
  let value = ''
  let pendingSpace = ''
  let inQuotes = false
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (!inQuotes && /[ \t\r\v\f]/.test(c)) {
      if (value !== '') pendingSpace += c
      continue
    }
    if (!inQuotes && (c === '#' || c === ';')) break
    value += pendingSpace
    pendingSpace = ''
    const escaped = c === '\\' ? ESCAPES[raw[i + 1] ?? ''] : undefined
    if (escaped !== undefined) {
      value += escaped
      i++
    } else if (c === '"') inQuotes = !inQuotes
    else value += c
  }
  return value
}

/** The last value of `section.name` (no subsection; names compared case-insensitively) in `text`. */
export function configValue(text: string, section: string, name: string): string | undefined {
  let current: string | null = null
  let sub: string | undefined
  let found: string | undefined
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    const header = SECTION_LINE.exec(trimmed)
    if (header) {
      current = header[1]!.toLowerCase()
      sub = header[2]
      continue
    }
    const variable = VARIABLE_LINE.exec(trimmed)
    if (!variable || current !== section.toLowerCase() || sub !== undefined) continue
    if (variable[1]!.toLowerCase() === name.toLowerCase()) found = parseValue(variable[2] ?? 'true')
  }
  return found
}

/** `section.name` from the repository's config file; undefined when the file or the key is absent. */
export async function readConfigValue(repo: Repository, section: string, name: string): Promise<string | undefined> {
  let text: string
  try {
    text = await fs.readFile(join(repo.gitdir, 'config'), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return configValue(text, section, name)
}
