import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { MISSION as M, gitCli, useAppsPerTest } from '../helpers/app-fixture.ts'
import type { AppProcess } from '../helpers/app-process.ts'
import { deliver, maintainerComment, PRIVATE_KEY } from '../helpers/app-process.ts'
import { makeRepo, tempDir } from '../helpers/git-repo.ts'

/**
 * Replicas and shutdown: two App processes that share nothing but the git remote and the REST API
 * (as replicas behind a load balancer share nothing but GitHub), and SIGTERM while a command runs.
 */

const TOKEN = 'ghs_ReplicaInstallationToken0123456789'
const WPS = 25
const wpId = (i: number) => `WP${String(i).padStart(2, '0')}`
const headOf = (i: number) => i.toString(16).padStart(40, 'a')

const fx = useAppsPerTest({ token: TOKEN, people: { maintainer: 'admin' } })
const comment = maintainerComment

describe('two App processes on one repository', () => {
  it('50 comment commands spread over both at once: each ends in exactly one check run agreeing with git log; no commit lost or duplicated', async () => {
    const lanes = Array.from({ length: WPS }, (_, i) => ({ id: wpId(i + 1), lane: 'for_review' }))
    const bare = fx.git.createBareRepo('octo-org/busy', { from: makeRepo([{ slug: M, wps: lanes }]) })
    const cloneUrl = fx.git.repoUrl('octo-org/busy')
    for (let i = 1; i <= WPS; i++) fx.rest.pulls.set(i, { head: { ref: `${M}-${wpId(i)}`, sha: headOf(i) } })
    const keyFile = join(tempDir('kitty-key-'), 'app.pem')
    writeFileSync(keyFile, PRIVATE_KEY)
    // The second replica reads its key from a file, as most deployments mount it.
    await fx.startApp()
    await fx.startApp({ PRIVATE_KEY: '', PRIVATE_KEY_PATH: keyFile })
    const before = await gitCli(bare, 'rev-parse', 'main')

    const jobs: Array<{ app: AppProcess; payload: any; key: string; pr: number; command: string }> = []
    for (let i = 1; i <= WPS; i++) {
      const startId = 1_700_000_000 + i
      const noteId = 1_800_000_000 + i
      jobs.push({
        app: fx.apps[i % 2]!,
        payload: comment(cloneUrl, i, startId, '/kitty start-review'),
        key: `github-comment:${startId}:1`,
        pr: i,
        command: 'start-review',
      })
      jobs.push({
        app: fx.apps[(i + 1) % 2]!,
        payload: comment(cloneUrl, i, noteId, `/kitty note pass ${i}`),
        key: `github-comment:${noteId}:1`,
        pr: i,
        command: 'append-history',
      })
    }
    const responses = await Promise.all(jobs.map((j) => deliver(j.app.url, 'issue_comment', j.payload)))
    // 202: recorded in the replica's queue; the answers follow from its workers.
    for (const r of responses) expect(r.status, r.body).toBe(202)
    const runs = () =>
      fx.rest.requests.filter((r) => r.method === 'POST' && r.path === '/repos/octo-org/busy/check-runs')
    for (let waited = 0; runs().length < jobs.length && waited < 120_000; waited += 250) await sleep(250)

    expect(runs()).toHaveLength(jobs.length)
    // Failures first, with their envelopes: a count of commits alone would not say which job or why.
    const failed = runs()
      .filter((r) => (r.body as any).conclusion !== 'success')
      .map((r) => `${(r.body as any).name}: ${(r.body as any).output?.title}`)
    expect(failed).toEqual([])
    const log = (
      await gitCli(bare, 'log', '--format=%H %(trailers:key=Kitty-Delivery,valueonly,separator=)', `${before}..main`)
    )
      .split('\n')
      .map((l) => l.split(' '))
    expect(log).toHaveLength(jobs.length)
    const byKey = new Map(log.map(([commit, key]) => [key!, commit!]))
    expect(byKey.size).toBe(jobs.length) // no delivery key twice: nothing duplicated
    for (const job of jobs) {
      const mine = runs().filter(
        (r) => (r.body as any).head_sha === headOf(job.pr) && (r.body as any).name === `kitty/${job.command}`,
      )
      expect(mine, `${job.key}`).toHaveLength(1)
      const body = mine[0]!.body as { conclusion: string; output: { summary: string; text: string } }
      const envelope = JSON.parse(body.output.text.slice('```json\n'.length, -'\n```'.length))
      expect(envelope.success, JSON.stringify(envelope.data)).toBe(true)
      expect(body.conclusion).toBe('success')
      const commit = /- commit: `([0-9a-f]{40})`/.exec(body.output.summary)?.[1]
      expect(commit).toBe(byKey.get(job.key))
      if (job.command === 'start-review')
        expect(envelope.data).toMatchObject({ wp_id: wpId(job.pr), from_lane: 'for_review', to_lane: 'in_review' })
    }
    for (let i = 1; i <= WPS; i++) {
      const file = (await gitCli(bare, 'ls-tree', '-r', '--name-only', 'main', `kitty-specs/${M}/tasks/`))
        .split('\n')
        .find((f) => f.includes(wpId(i)))!
      expect(await gitCli(bare, 'show', `main:${file}`)).toMatch(/^lane: "?in_review"?$/m)
    }
    await gitCli(bare, 'fsck', '--strict')
    const metrics = await Promise.all(fx.apps.map(async (a) => (await fetch(`${a.url}/metrics`)).text()))
    const total = metrics.reduce(
      (n, m) =>
        n +
        [...m.matchAll(/^kitty_commands_total\{[^}]*outcome="success"\} (\d+)/gm)].reduce(
          (s, x) => s + Number(x[1]),
          0,
        ),
      0,
    )
    expect(total).toBe(jobs.length)
    for (const a of fx.apps) expect(a.output()).not.toContain(TOKEN)
  }, 240_000)
})

describe('SIGTERM', () => {
  it('while a command runs: the command finishes and is answered, then the process exits 0', async () => {
    const bare = fx.git.createBareRepo('octo-org/slow', {
      from: makeRepo([{ slug: M, wps: [{ id: 'WP01', lane: 'for_review' }] }]),
    })
    fx.rest.pulls.set(7, { head: { ref: `${M}-WP01`, sha: headOf(7) } })
    const app = await fx.startApp()
    const before = await gitCli(bare, 'rev-parse', 'main')
    fx.git.faults.slow(400)
    const pending = deliver(
      app.url,
      'issue_comment',
      comment(fx.git.repoUrl('octo-org/slow'), 7, 1_900_000_001, '/kitty start-review'),
    )
    for (let waited = 0; !fx.git.requests.some((r) => r.path.includes('/slow.git/')) && waited < 20_000; waited += 50)
      await sleep(50)
    app.child.kill('SIGTERM')
    // Not ready while draining: /readyz answers 503 (the process still answers /healthz until it exits).
    let ready: number | string = 'unchecked'
    for (let i = 0; i < 40; i++) {
      ready = await fetch(`${app.url}/readyz`).then(
        (r) => r.status,
        (err: Error) => `refused (${err.message})`,
      )
      if (ready !== 200) break
      await sleep(25)
    }
    expect(ready).not.toBe(200)
    // Acknowledged once recorded: the answer comes from the worker, which finishes before the exit.
    const response = await pending
    expect(response.status).toBe(202)
    expect(await app.exited).toBe(0)
    fx.git.faults.slow(0)
    expect(await gitCli(bare, 'rev-parse', 'main^')).toBe(before)
    const run = fx.rest.requests.find((r) => r.method === 'POST' && r.path === '/repos/octo-org/slow/check-runs')
    expect(run?.body).toMatchObject({ name: 'kitty/start-review', conclusion: 'success' })
    expect(app.output()).toMatch(/SIGTERM: draining[\s\S]*drained; exiting/)
  })
})
