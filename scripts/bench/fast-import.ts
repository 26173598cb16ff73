import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'

/**
 * A `git fast-import` stream writer: one process for the whole history, instead of a `git commit`
 * per change, is what makes 20,000 commits take seconds rather than many minutes.
 */

export interface StreamCommit {
  ref: string
  /** A mark (`:n`) later commits can name in `from`. */
  mark?: number
  /**
   * The parent: a mark (`:n`), a commit id, or a ref. Without it fast-import continues the ref as this
   * stream left it, and makes a root commit on a ref the stream has not written yet.
   */
  from?: string
  author: { name: string; email: string }
  timeSec: number
  message: string
  files: Array<[path: string, content: string]>
}

function dataBlock(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8')
  return [Buffer.from(`data ${bytes.byteLength}\n`), bytes, Buffer.from('\n')]
}

function encodeCommit(c: StreamCommit): Buffer {
  const ident = `${c.author.name} <${c.author.email}> ${c.timeSec} +0000`
  const mark = c.mark === undefined ? '' : `mark :${c.mark}\n`
  const parts: Buffer[] = [
    Buffer.from(`commit ${c.ref}\n${mark}author ${ident}\ncommitter ${ident}\n`),
    ...dataBlock(c.message),
  ]
  if (c.from !== undefined) parts.push(Buffer.from(`from ${c.from}\n`))
  for (const [path, content] of c.files) {
    if (/[\s"\\]/.test(path)) throw new Error(`fast-import path needs quoting, not supported: ${path}`)
    parts.push(Buffer.from(`M 100644 inline ${path}\n`), ...dataBlock(content))
  }
  return Buffer.concat(parts)
}

export class FastImport {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly exited: Promise<void>
  private stderr = ''

  constructor(gitdir: string) {
    this.child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: gitdir, stdio: 'pipe' })
    this.child.stderr.setEncoding('utf8')
    this.child.stderr.on('data', (d: string) => (this.stderr += d))
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject)
      this.child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}: ${this.stderr.trim()}`)),
      )
    })
    // Surface a crash of fast-import through `finish`, not as an unhandled stream error.
    this.child.stdin.on('error', () => undefined)
    this.exited.catch(() => undefined)
  }

  async commit(c: StreamCommit): Promise<void> {
    if (!this.child.stdin.write(encodeCommit(c))) await Promise.race([once(this.child.stdin, 'drain'), this.exited])
  }

  async finish(): Promise<void> {
    this.child.stdin.end('done\n')
    await this.exited
  }
}
