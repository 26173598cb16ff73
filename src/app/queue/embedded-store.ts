import { mkdirSync } from 'node:fs'
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'
import { dirname } from 'node:path'
import type {
  Delivery,
  EnqueueOutcome,
  FailedJob,
  JobRecord,
  JobState,
  QueueStats,
  SavedSteps,
} from './delivery-queue.ts'
import { AFTER_FAILURE, DeliveryQueueError } from './delivery-queue.ts'
import { loadSqlite } from './load-sqlite.ts'

/**
 * The embedded queue's table in one SQLite file. WAL with synchronous=FULL: every commit (an enqueue,
 * a saved step) is fsynced before it returns, so an acknowledged delivery survives a power cut or a
 * kernel crash of the node, not only `kill -9` (NORMAL would lose the last commits on power loss, and
 * the App answers GitHub 2xx right after enqueue). Claims run in BEGIN IMMEDIATE transactions, so even
 * two processes on one file never take the same job.
 */

export interface ClaimedRow {
  delivery: Delivery
  attempts: number
  steps: Record<string, unknown>
}

interface JobRow {
  id: string
  event: string
  body: string
  received_at: number
  installation_id: number | null
  repository: string | null
  state: JobState
  attempts: number
  reason: string | null
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  installation_id INTEGER,
  repository TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_after INTEGER NOT NULL DEFAULT 0,
  owner TEXT,
  reason TEXT,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, seq);
CREATE INDEX IF NOT EXISTS jobs_by_seq ON jobs (seq);
CREATE INDEX IF NOT EXISTS jobs_by_repository ON jobs (repository, seq);
CREATE TABLE IF NOT EXISTS steps (
  job_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (job_id, name)
);
CREATE TABLE IF NOT EXISTS remembered (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
`

/**
 * A connection that only records deliveries checkpoints only when the WAL has grown past 64 MiB (a
 * worker that has stopped taking jobs for long), rather than every 4 MiB like the working one.
 */
const RECEIVER_CHECKPOINT_PAGES = 16_384

/** The oldest runnable job whose repository has no earlier job waiting or running: per-repository order. */
const CLAIMABLE = `
SELECT id FROM jobs j
WHERE j.state = 'waiting' AND j.run_after <= ?
  AND (j.repository IS NULL OR NOT EXISTS (
    SELECT 1 FROM jobs k WHERE k.repository = j.repository AND k.seq < j.seq AND k.state IN ('waiting', 'active')))
ORDER BY j.seq LIMIT 1`

function toDelivery(row: JobRow): Delivery {
  const d: Delivery = { id: row.id, event: row.event, body: row.body, receivedAt: row.received_at }
  if (row.installation_id !== null) d.installationId = row.installation_id
  if (row.repository !== null) d.repository = row.repository
  return d
}

export class EmbeddedStore {
  readonly #db: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()

  constructor(file: string) {
    const { DatabaseSync } = loadSqlite()
    try {
      mkdirSync(dirname(file), { recursive: true })
      this.#db = new DatabaseSync(file)
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;')
      this.#db.exec(`PRAGMA wal_autocheckpoint = ${RECEIVER_CHECKPOINT_PAGES};`)
      this.#db.exec(SCHEMA)
    } catch (err) {
      throw new DeliveryQueueError(`Cannot open the delivery queue ${file}: ${(err as Error).message}`, { file })
    }
  }

  /**
   * This connection runs jobs: it copies the WAL back into the file at SQLite's usual 1,000 pages. A
   * connection that only records deliveries leaves that to the one working, so that a burst's
   * acknowledgements never wait on a checkpoint (about 4 MB of pages and an fsync).
   */
  checkpointOften(): void {
    this.#db.exec('PRAGMA wal_autocheckpoint = 1000;')
  }

  /** Each statement compiled once: compiling it on every call was most of an enqueue's cost in a burst. */
  #prepared(sql: string): StatementSync {
    let statement = this.#statements.get(sql)
    if (!statement) {
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  #one<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.#prepared(sql).get(...params) as T | undefined
  }

  #all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.#prepared(sql).all(...params) as T[]
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#prepared(sql).run(...params).changes)
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      const result = work()
      this.#db.exec('COMMIT')
      return result
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw err
    }
  }

  #nextSeq(): number {
    return (this.#one<{ n: number }>('SELECT coalesce(max(seq), 0) + 1 AS n FROM jobs')?.n ?? 1) as number
  }

  /** Several deliveries in one transaction: one fsync for a whole burst (group commit). */
  enqueueMany(deliveries: Delivery[]): EnqueueOutcome[] {
    return this.#transaction(() => deliveries.map((d) => this.#enqueue(d)))
  }

  #enqueue(d: Delivery): EnqueueOutcome {
    const state = this.#one<{ state: JobState }>('SELECT state FROM jobs WHERE id = ?', d.id)?.state
    if (state === 'failed') {
      this.#run(
        `UPDATE jobs SET state = 'waiting', seq = ?, attempts = 0, run_after = 0, reason = NULL, finished_at = NULL
           WHERE id = ?`,
        this.#nextSeq(),
        d.id,
      )
      // What was done about the failure (the sweep's steps) is not the new run's business.
      this.#run(
        'DELETE FROM steps WHERE job_id = ? AND substr(name, 1, ?) = ?',
        d.id,
        AFTER_FAILURE.length,
        AFTER_FAILURE,
      )
      return 'queued'
    }
    if (state !== undefined) return 'duplicate'
    this.#run(
      `INSERT INTO jobs (id, seq, event, body, received_at, installation_id, repository, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting')`,
      d.id,
      this.#nextSeq(),
      d.event,
      d.body,
      d.receivedAt,
      d.installationId ?? null,
      d.repository ?? null,
    )
    return 'queued'
  }

  claim(owner: string, now: number): ClaimedRow | null {
    return this.#transaction(() => {
      const next = this.#one<{ id: string }>(CLAIMABLE, now)
      if (!next) return null
      this.#run(`UPDATE jobs SET state = 'active', owner = ?, attempts = attempts + 1 WHERE id = ?`, owner, next.id)
      const row = this.#one<JobRow>('SELECT * FROM jobs WHERE id = ?', next.id)!
      return { delivery: toDelivery(row), attempts: row.attempts, steps: this.steps(next.id) }
    })
  }

  steps(id: string): Record<string, unknown> {
    const steps: Record<string, unknown> = {}
    for (const s of this.#all<{ name: string; value: string }>('SELECT name, value FROM steps WHERE job_id = ?', id))
      steps[s.name] = JSON.parse(s.value)
    return steps
  }

  saveStep(id: string, name: string, json: string): void {
    this.#run('INSERT OR REPLACE INTO steps (job_id, name, value) VALUES (?, ?, ?)', id, name, json)
  }

  complete(id: string, owner: string, now: number): void {
    this.#run(
      // The body goes once done: the row stays only to answer a redelivery `duplicate` (a failed job keeps it to run again).
      `UPDATE jobs SET state = 'done', owner = NULL, finished_at = ?, body = '' WHERE id = ? AND owner = ? AND state = 'active'`,
      now,
      id,
      owner,
    )
  }

  /** A failed attempt: back to waiting until `retryAt`, or `failed` for good when `retryAt` is null. */
  fail(id: string, owner: string, reason: string, retryAt: number | null, now: number): void {
    this.#run(
      `UPDATE jobs SET state = ?, owner = NULL, reason = ?, run_after = ?, finished_at = ?
       WHERE id = ? AND owner = ? AND state = 'active'`,
      retryAt === null ? 'failed' : 'waiting',
      reason,
      retryAt ?? 0,
      retryAt === null ? now : null,
      id,
      owner,
    )
  }

  activeOwners(): string[] {
    return this.#all<{ owner: string }>(`SELECT DISTINCT owner FROM jobs WHERE state = 'active'`).map((r) => r.owner)
  }

  /** Take back the jobs of an owner that died: waiting again, or failed once their attempts are spent. */
  reclaim(owner: string, maxAttempts: number, now: number): number {
    const reason = 'the worker running it stopped (crash, kill or restart) before it finished'
    return this.#run(
      `UPDATE jobs SET owner = NULL, run_after = 0, reason = ?,
         state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'waiting' END,
         finished_at = CASE WHEN attempts >= ? THEN ? ELSE NULL END
       WHERE state = 'active' AND owner = ?`,
      reason,
      maxAttempts,
      maxAttempts,
      now,
      owner,
    )
  }

  /** Forget finished jobs and expired keys; a redelivery after this is a new job. */
  purge(finishedBefore: number, now: number): void {
    this.#transaction(() => {
      this.#run(
        `DELETE FROM steps WHERE job_id IN (SELECT id FROM jobs WHERE state IN ('done', 'failed') AND finished_at < ?)`,
        finishedBefore,
      )
      this.#run(`DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < ?`, finishedBefore)
      this.#run('DELETE FROM remembered WHERE expires_at <= ?', now)
    })
  }

  /** When the next waiting job becomes runnable (a retry's backoff), or null when none waits. */
  nextRunAt(): number | null {
    return this.#one<{ t: number | null }>(`SELECT min(run_after) AS t FROM jobs WHERE state = 'waiting'`)?.t ?? null
  }

  remember(key: string, expiresAt: number): void {
    this.#run('INSERT OR REPLACE INTO remembered (key, expires_at) VALUES (?, ?)', key, expiresAt)
  }

  seen(key: string, now: number): boolean {
    return this.#one('SELECT 1 AS x FROM remembered WHERE key = ? AND expires_at > ?', key, now) !== undefined
  }

  stats(now: number): QueueStats {
    const counts = Object.fromEntries(
      this.#all<{ state: string; n: number }>('SELECT state, count(*) AS n FROM jobs GROUP BY state').map((r) => [
        r.state,
        r.n,
      ]),
    )
    const oldest = this.#one<{ t: number | null }>(
      `SELECT min(received_at) AS t FROM jobs WHERE state IN ('waiting', 'active')`,
    )?.t
    return {
      waiting: counts['waiting'] ?? 0,
      active: counts['active'] ?? 0,
      failed: counts['failed'] ?? 0,
      oldestPendingMs: oldest === null || oldest === undefined ? 0 : Math.max(now - oldest, 0),
    }
  }

  inspect(id: string): JobRecord | null {
    const row = this.#one<JobRow>('SELECT * FROM jobs WHERE id = ?', id)
    if (!row) return null
    const record: JobRecord = { id, state: row.state, attempts: row.attempts, steps: this.steps(id) as SavedSteps }
    if (row.reason !== null) record.reason = row.reason
    return record
  }

  listFailed(limit: number, without: string): FailedJob[] {
    const rows = this.#all<JobRow>(
      `SELECT * FROM jobs j WHERE j.state = 'failed'
         AND NOT EXISTS (SELECT 1 FROM steps s WHERE s.job_id = j.id AND s.name = ?)
       ORDER BY j.finished_at, j.seq LIMIT ?`,
      without,
      limit,
    )
    return rows.map((row) => ({ ...this.inspect(row.id)!, state: 'failed', delivery: toDelivery(row) }))
  }

  /** Saved only while the job is failed: one statement, so a redelivery cannot slip in between. */
  saveFailedStep(id: string, name: string, json: string): boolean {
    return (
      this.#run(
        `INSERT OR REPLACE INTO steps (job_id, name, value)
           SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ? AND state = 'failed')`,
        id,
        name,
        json,
        id,
      ) > 0
    )
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close()
  }
}
