import { closeSync, fstatSync, fsync, fsyncSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Makes the receiving connection's commits durable without blocking its event loop. That connection
 * commits with synchronous=NORMAL (SQLite appends the transaction to the WAL file and returns), and
 * this fsyncs the WAL file on libuv's thread pool; the receiver acknowledges a delivery only once that
 * fsync has returned, so what it acknowledged is on disk exactly as with synchronous=FULL, which fsyncs
 * the same file inside COMMIT. In a 500-delivery burst those fsyncs blocked the receiving thread for
 * 100–160 ms of its 300–450; now the thread reads the next deliveries while the disk works.
 *
 * SQLite keeps one WAL file while any connection has the database open (this one does) and rewrites it
 * in place after a checkpoint; should the file ever be another (a different inode), it is opened again.
 */

export type Fsync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void

export class WalSync {
  readonly #path: string
  readonly #fsync: Fsync
  #fd: number | null = null
  #inFlight = new Set<Promise<void>>()

  constructor(databaseFile: string, fsyncImpl: Fsync = fsync) {
    this.#path = `${databaseFile}-wal`
    this.#fsync = fsyncImpl
  }

  /** Resolves once everything committed before this call is on disk. */
  flush(): Promise<void> {
    const fd = this.#current()
    const done = new Promise<void>((resolve, reject) => this.#fsync(fd, (err) => (err ? reject(err) : resolve())))
    this.#inFlight.add(done)
    const forget = () => this.#inFlight.delete(done)
    done.then(forget, forget)
    return done
  }

  /** After the fsyncs under way: closing the descriptor under one would sync whatever reused its number. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight])
    if (this.#fd !== null) closeSync(this.#fd)
    this.#fd = null
  }

  #current(): number {
    if (this.#fd !== null && fstatSync(this.#fd).ino === statSync(this.#path).ino) return this.#fd
    const old = this.#fd
    if (old !== null) void Promise.allSettled([...this.#inFlight]).then(() => closeSync(old))
    this.#fd = openSync(this.#path, 'r')
    // A new WAL file's name must survive a crash too: its directory entry is synced once, here.
    const dir = openSync(dirname(this.#path), 'r')
    try {
      fsyncSync(dir)
    } finally {
      closeSync(dir)
    }
    return this.#fd
  }
}
