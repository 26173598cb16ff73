import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import { CLI, GIT_ENV } from './git-repo.ts'

/** `kitty board --serve` as a real process, and a small Server-Sent Events client to read it. */

export interface BoardProcess {
  child: ChildProcess
  url: string
  envelope: Record<string, any>
  stderr: () => string
  stop(): Promise<void>
}

/** Resolves with the first stdout line's envelope: a listening server, or the failure and exit code. */
export function startBoard(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<BoardProcess & { code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'board', ...args], { cwd, env: { ...process.env, ...GIT_ENV, ...env } })
    let stdout = ''
    let stderr = ''
    let done = false
    const finish = (code: number | null) => {
      if (done) return
      done = true
      let envelope: Record<string, any>
      try {
        envelope = JSON.parse(stdout.split('\n')[0]!)
      } catch {
        reject(new Error(`board printed no envelope: ${stdout} ${stderr}`))
        return
      }
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())))
      resolve({
        child,
        code,
        url: envelope['data']?.url ?? '',
        envelope,
        stderr: () => stderr,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM')
          await exited
        },
      })
    }
    child.stdout.on('data', (d) => {
      stdout += d
      if (stdout.includes('\n')) finish(null)
    })
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => finish(code))
  })
}

export interface SseEvent {
  id: string | null
  event: string
  data: any
  at: number
}

export interface SseClient {
  events: SseEvent[]
  comments: string[]
  status: number
  waitFor(pred: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
  close(): void
}

/** Open an event stream; resolves once the response headers are in. */
export function sse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = []
      const comments: string[] = []
      const waiters: Array<{ pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }> = []
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let cut: number
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          let id: string | null = null
          let event = 'message'
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim())
            else if (line.startsWith('id: ')) id = line.slice(4)
            else if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          if (data.length === 0) continue
          const e: SseEvent = { id, event, data: JSON.parse(data.join('\n')), at: Date.now() }
          events.push(e)
          for (const w of [...waiters])
            if (w.pred(e)) {
              waiters.splice(waiters.indexOf(w), 1)
              w.resolve(e)
            }
        }
      })
      resolve({
        events,
        comments,
        status: res.statusCode ?? 0,
        waitFor(pred, timeoutMs = 20_000) {
          const seen = events.find(pred)
          if (seen) return Promise.resolve(seen)
          return new Promise((res2, rej2) => {
            const timer = setTimeout(
              () =>
                rej2(new Error(`no matching event in ${timeoutMs} ms; got ${events.map((e) => e.event).join(',')}`)),
              timeoutMs,
            )
            waiters.push({ pred, resolve: (e) => (clearTimeout(timer), res2(e)) })
          })
        },
        close: () => req.destroy(),
      })
    })
    req.on('error', reject)
  })
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers })
  return { status: res.status, body: await res.json() }
}

/** Poll until `check` passes (or throw its last failure). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > end) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
