import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Debian's real redis-server on a free loopback port, in its own temp dir, configured entirely on the
 * command line (no config file is read, so no packaged default can surprise a test): no RDB snapshots,
 * no AOF, loopback only. `scripts/ensure-test-deps.mjs` installs it when missing.
 */

export const REDIS_SERVER = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server'

export interface RedisServer {
  url: string
  port: number
  child: ChildProcess
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function launch(port: number, dir: string): Promise<ChildProcess | null> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no']
  const child = spawn(REDIS_SERVER, [...args, '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice'])
  let output = ''
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve(null)
    }, 10_000)
    // Read on after ready too (a full pipe would stall the server), but keep only the start-up lines.
    const look = (d: Buffer) => {
      if (output.length > 20_000) return
      output += d.toString()
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer)
        resolve(child)
      }
    }
    child.stdout?.on('data', look)
    child.stderr?.on('data', look)
    // Another process took the port between our probe and redis binding it: the caller tries a new one.
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(null)
    })
  })
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER))
    throw new Error(
      `${REDIS_SERVER} is missing: run 'node scripts/ensure-test-deps.mjs' (or apt-get install redis-server)`,
    )
  const dir = mkdtempSync(join(tmpdir(), 'kitty-redis-'))
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const child = await launch(port, dir)
    if (!child) continue
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      child,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(killer)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error('redis-server did not start on a free loopback port in 5 tries')
}
