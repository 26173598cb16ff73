import { describe, expect, it } from 'vitest'
import type { Lanes } from '../helpers/app-fixture.ts'
import { MISSION as M, PR_HEAD, gitCli, useSharedApp } from '../helpers/app-fixture.ts'
import { deliver, deliverSettled, eventPayload, logLines, sign } from '../helpers/app-process.ts'
import { git as gitSync, makeRepo } from '../helpers/git-repo.ts'
import { commit, diamondRepo } from '../helpers/merge-repo.ts'

/**
 * The App as deployed (dist/app.js in its own process), answering signed webhook deliveries over
 * HTTP on 127.0.0.1: the repository on the git HTTP test server (installation token as the password),
 * the REST API on the stand-in (GHE_HOST). One App serves the whole file; each test gets its own
 * repository, so its own remote cache and queue.
 */

const TOKEN = 'ghs_AppInstallationTokenNeverLogged0123'

const fx = useSharedApp({
  token: TOKEN,
  repoPrefix: 'project',
  lanes: { WP01: 'for_review', WP02: 'planned' },
  people: { maintainer: 'write', outsider: 'read' },
})
const { createRepo, comment, ours, replies, reactions, permissionLookups, tip } = fx

const checkRuns = () => fx.rest.requests.filter((r) => ours(r) && r.method === 'POST' && r.path.endsWith('/check-runs'))
const checkPatches = () => fx.rest.requests.filter((r) => ours(r) && r.method === 'PATCH')
const envelopeIn = (body: unknown) => {
  const text = (body as { output: { text: string } }).output.text
  return JSON.parse(text.slice('```json\n'.length, -'\n```'.length))
}
const trailer = (key: string, rev = 'main') =>
  gitCli(fx.repo.bare, 'log', '-1', `--format=%(trailers:key=${key},valueonly)`, rev)

function expectNoTokenInRequests(): void {
  for (const r of fx.rest.requests) expect(JSON.stringify(r.body) ?? '').not.toContain(TOKEN)
}

describe('comment commands: happy paths', () => {
  const writes: Array<{ body: string; lanes: Lanes; command: string; from?: string; to?: string }> = [
    {
      body: 'Looks ready.\n\n/kitty start-review',
      lanes: { WP01: 'for_review' },
      command: 'start-review',
      from: 'for_review',
      to: 'in_review',
    },
    { body: '/kitty approve', lanes: { WP01: 'in_review' }, command: 'transition', from: 'in_review', to: 'approved' },
    {
      body: '/kitty request-changes add a test for the empty case',
      lanes: { WP01: 'in_review' },
      command: 'transition',
      from: 'in_review',
      to: 'in_progress',
    },
    {
      body: '/kitty block waiting on the API team',
      lanes: { WP01: 'in_progress' },
      command: 'transition',
      from: 'in_progress',
      to: 'blocked',
    },
    {
      body: '/kitty transition in_review --note picking it up',
      lanes: { WP01: 'for_review' },
      command: 'transition',
      from: 'for_review',
      to: 'in_review',
    },
    { body: '/kitty note looked at the migration', lanes: { WP01: 'in_progress' }, command: 'append-history' },
    { body: '/kitty accept', lanes: { WP01: 'done' }, command: 'accept-mission' },
  ]
  for (const c of writes) {
    it(`${c.body.split('\n').at(-1)}: one commit, a successful check run carrying the envelope, a +1, no reply`, async () => {
      createRepo(c.lanes)
      const before = await tip()
      const payload = comment(c.body)
      const res = await deliverSettled(fx.app, 'issue_comment', payload)
      expect(res.status, res.body).toBe(202)
      expect(replies()).toEqual([])
      const after = await tip()
      expect(await gitCli(fx.repo.bare, 'rev-parse', 'main^')).toBe(before)
      expect(await trailer('Kitty-Actor')).toBe('github:maintainer')
      expect(await trailer('Kitty-Delivery')).toBe(`github-comment:${payload.comment.id}:${c.body.split('\n').length}`)
      // A person has no policy of their own: the App records its human one where the command takes a policy.
      if (c.command === 'transition' || c.command === 'start-review')
        expect(await gitCli(fx.repo.bare, 'log', '-1', '--format=%B', 'main')).toContain('kitty-github/app')
      const runs = checkRuns()
      expect(runs).toHaveLength(1)
      expect(runs[0]!.body).toMatchObject({
        name: `kitty/${c.command}`,
        head_sha: PR_HEAD,
        status: 'completed',
        conclusion: 'success',
      })
      const envelope = envelopeIn(runs[0]!.body)
      expect(envelope).toMatchObject({ success: true, command: `orchestrator-api.${c.command}` })
      if (c.to) expect(envelope.data).toMatchObject({ from_lane: c.from, to_lane: c.to, wp_id: 'WP01' })
      expect((runs[0]!.body as { output: { summary: string } }).output.summary).toContain(after)
      expect(runs[0]!.authorization).toBe(`token ${TOKEN}`)
      expect(reactions()).toEqual(['+1'])
      expect(replies()).toEqual([])
      expect(permissionLookups()).toHaveLength(1)
      // The git credential is minted for this repository and contents only.
      const minted = fx.rest.requests.filter(
        (r) =>
          r.path === '/app/installations/4242/access_tokens' &&
          (r.body as { repositories?: string[] } | null)?.repositories?.includes(fx.repo.name),
      )
      expect(minted.length).toBeLessThanOrEqual(1)
      if (minted[0])
        expect(minted[0].body).toEqual({ repositories: [fx.repo.name], permissions: { contents: 'write' } })
      expectNoTokenInRequests()
    })
  }

  it('/kitty state and /kitty ready: read-only, answered in a reply (no check run), no permission lookup, no commit', async () => {
    createRepo({ WP01: 'for_review', WP02: 'planned' })
    const before = await tip()
    expect(
      (await deliverSettled(fx.app, 'issue_comment', comment('/kitty state\n/kitty ready', 'outsider'))).status,
    ).toBe(202)
    expect(await tip()).toBe(before)
    expect(permissionLookups()).toEqual([])
    // A read by anyone never lands on the pull request head: nobody can stack check runs on a stranger's commit.
    expect(checkRuns()).toEqual([])
    const [reply] = replies()
    expect(reply).toContain('| WP01 |')
    expect(reply).toContain('kitty/list-ready')
    // The mission board: lane counts and the dependency graph as Mermaid, in the reply and the check run.
    expect(reply).toMatch(/WP01\["◕ WP01 · .*<br\/>for_review"\]:::for_review/)
    expect(reply).toContain('```mermaid\nflowchart LR')
    expect(reactions()).toEqual(['+1'])
  })

  it('/kitty help: the registry-generated help as a reply, no check run', async () => {
    createRepo()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty help'))
    expect(replies()).toHaveLength(1)
    expect(replies()[0]).toContain('/kitty start-review')
    expect(checkRuns()).toEqual([])
  })

  it('/kitty merge --mission …: in_progress check run at once, completed with the merge envelope', async () => {
    createRepo(diamondRepo(), M)
    const before = await tip()
    expect((await deliverSettled(fx.app, 'issue_comment', comment(`/kitty merge --mission ${M}`))).status).toBe(202)
    expect(await tip()).not.toBe(before)
    expect(checkRuns()).toHaveLength(1)
    expect(checkRuns()[0]!.body).toMatchObject({
      name: 'kitty/merge-mission',
      status: 'in_progress',
      head_sha: PR_HEAD,
    })
    expect(checkPatches()).toHaveLength(1)
    expect(checkPatches()[0]!.body).toMatchObject({ status: 'completed', conclusion: 'success' })
    expect(envelopeIn(checkPatches()[0]!.body).data.merged_wps).toEqual(['WP01', 'WP02', 'WP03', 'WP04'])
    expect(reactions()).toEqual(['+1'])
  })
})

describe('comment commands: refusals', () => {
  it('a commenter without write: PERMISSION_DENIED reply, confused, no check run, nothing written', async () => {
    createRepo()
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty start-review', 'outsider'))
    expect(await tip()).toBe(before)
    expect(fx.git.requests.some((r) => r.service === 'receive-pack' && r.path.includes(`/${fx.repo.name}.git/`))).toBe(
      false,
    )
    expect(replies()[0]).toMatch(/PERMISSION_DENIED[\s\S]*'read' access/)
    expect(checkRuns()).toEqual([])
    expect(reactions()).toEqual(['confused'])
  })

  it.each([
    ['403 from the API', 'forbidden'],
    ['a 5xx, after Probot retries', 'error'],
  ] as const)('the permission lookup fails (%s): fails closed with a reply, nothing written', async (_what, answer) => {
    createRepo()
    fx.rest.permissions.set('maintainer', answer)
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty start-review'))
    // Retries can outlast Probot's synchronous answer (202): wait for the reply the App then posts.
    for (let i = 0; i < 300 && (replies().length === 0 || reactions().length === 0); i++)
      await new Promise((r) => setTimeout(r, 100))
    expect(await tip()).toBe(before)
    expect(replies()[0]).toMatch(/Could not check @maintainer's permission/)
    expect(reactions()).toEqual(['confused'])
  })

  it('wrong lane: TRANSITION_REJECTED with the fix, nothing written', async () => {
    createRepo({ WP01: 'planned' })
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty approve'))
    expect(await tip()).toBe(before)
    expect(envelopeIn(checkRuns()[0]!.body)).toMatchObject({ success: false, error_code: 'TRANSITION_REJECTED' })
    expect(replies()[0]).toMatch(/TRANSITION_REJECTED[\s\S]*\*\*Fix:\*\*/)
    expect(reactions()).toEqual(['confused'])
  })

  it('an unknown command: a did-you-mean reply, no permission lookup, nothing written', async () => {
    createRepo()
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty aprove'))
    expect(await tip()).toBe(before)
    expect(replies()[0]).toContain('Did you mean /kitty approve')
    expect(permissionLookups()).toEqual([])
    expect(reactions()).toEqual(['confused'])
  })

  it('a pull request whose branch names no WP: a reply saying how to name it or pass --wp', async () => {
    createRepo(undefined, 'feature/faster-parser')
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty start-review'))
    expect(await tip()).toBe(before)
    expect(replies()[0]).toMatch(/feature\/faster-parser[\s\S]*(--wp|WP)/)
    expect(reactions()).toEqual(['confused'])
  })

  it('a /kitty line on an issue (not a pull request): answered there, nothing run', async () => {
    createRepo()
    const before = await tip()
    const payload = comment('/kitty start-review')
    delete payload.issue.pull_request
    await deliverSettled(fx.app, 'issue_comment', payload)
    expect(await tip()).toBe(before)
    expect(replies()[0]).toMatch(/#7 is an issue, not a pull request/)
    expect(checkRuns()).toEqual([])
  })

  it('a comment with no /kitty line, and one by a bot: ignored without a single API call', async () => {
    createRepo()
    expect((await deliverSettled(fx.app, 'issue_comment', comment('LGTM, nice work'))).status).toBe(200)
    const bot = eventPayload('issue_comment.bot', fx.repo.cloneUrl)
    expect((await deliverSettled(fx.app, 'issue_comment', bot)).status).toBe(200)
    expect(fx.rest.requests).toEqual([])
    expect(fx.git.requests.filter((r) => r.path.includes(fx.repo.name))).toEqual([])
  })
})

describe('reviews', () => {
  const review = (state: string) =>
    fx.review((p) => {
      p.review.state = state
    })

  it('approved: in_review → approved, with the review as the structured review result', async () => {
    createRepo({ WP01: 'in_review' })
    const payload = review('approved')
    expect((await deliverSettled(fx.app, 'pull_request_review', payload)).status).toBe(202)
    const envelope = envelopeIn(checkRuns()[0]!.body)
    expect(envelope.data).toMatchObject({ from_lane: 'in_review', to_lane: 'approved' })
    expect(await trailer('Kitty-Delivery')).toBe(`github-review:${payload.review.id}`)
    expect(await trailer('Kitty-Actor')).toBe(`github:${payload.review.user.login}`)
    expect(await gitCli(fx.repo.bare, 'log', '-1', '--format=%B', 'main')).toContain(payload.review.html_url)
  })

  it('changes requested: in_review → in_progress', async () => {
    createRepo({ WP01: 'in_review' })
    await deliverSettled(fx.app, 'pull_request_review', review('changes_requested'))
    expect(envelopeIn(checkRuns()[0]!.body).data).toMatchObject({ from_lane: 'in_review', to_lane: 'in_progress' })
  })

  it('commented: no lane change, no API call, no commit', async () => {
    createRepo({ WP01: 'in_review' })
    const before = await tip()
    expect((await deliverSettled(fx.app, 'pull_request_review', review('commented'))).status).toBe(200)
    expect(await tip()).toBe(before)
    expect(fx.rest.requests).toEqual([])
  })
})

describe('merge on the label', () => {
  const labeled = () => eventPayload('pull_request.labeled', fx.repo.cloneUrl)
  const labelRemovals = () =>
    fx.rest.requests.filter((r) => ours(r) && r.method === 'DELETE' && r.path.endsWith('/labels/kitty:merge'))

  it('success: merge-mission lands, its in_progress check run completes, the label is removed', async () => {
    createRepo(diamondRepo(), M)
    const before = await tip()
    expect((await deliverSettled(fx.app, 'pull_request', labeled())).status).toBe(202)
    expect(await tip()).not.toBe(before)
    expect(checkRuns()[0]!.body).toMatchObject({ name: 'kitty/merge-mission', status: 'in_progress' })
    expect(checkPatches()[0]!.body).toMatchObject({ conclusion: 'success' })
    expect(labelRemovals()).toHaveLength(1)
  })

  it('preflight failure: nothing merged, a failed check run and a reply with the fix, the label still removed', async () => {
    const repo = diamondRepo()
    gitSync(repo, 'branch', '-D', `${M}-WP03`)
    createRepo(repo, M)
    const before = await tip()
    await deliverSettled(fx.app, 'pull_request', labeled())
    expect(await tip()).toBe(before)
    const envelope = envelopeIn(checkPatches()[0]!.body)
    expect(envelope.success).toBe(false)
    expect(replies()[0]).toContain(envelope.error_code)
    expect(labelRemovals()).toHaveLength(1)
  })

  it('a redelivered merge label changes nothing: the merge is already recorded, nothing is committed again', async () => {
    createRepo(diamondRepo(), M)
    const first = await deliverSettled(fx.app, 'pull_request', labeled())
    const after = await tip()
    expect(checkPatches()[0]!.body).toMatchObject({ conclusion: 'success' })
    // The queue knows the delivery id: the redelivery is acknowledged as a duplicate and publishes nothing new.
    await deliverSettled(fx.app, 'pull_request', labeled(), { id: first.id })
    expect(await tip()).toBe(after)
    expect(checkPatches()).toHaveLength(1)
    expect(checkRuns()).toHaveLength(1)
  })

  it('merge.via: pull_request: the label opens the staging pull request; its merge, delivered twice, is recorded once', async () => {
    const repo = diamondRepo()
    commit(repo, 'kitty settings', { '.github/kitty.yml': 'merge:\n  via: pull_request\n' })
    createRepo(repo, M)
    const before = await tip()
    expect([200, 202]).toContain((await deliver(fx.app.url, 'pull_request', labeled())).status)
    // A merge plus the pull request can outlast Probot's synchronous answer (202): wait for its check run.
    const staged = () => checkRuns().some((c) => (c.body as { conclusion?: string }).conclusion === 'success')
    for (let i = 0; i < 600 && !staged(); i++) await new Promise((r) => setTimeout(r, 100))
    expect(await tip()).toBe(before)
    const staging = await gitCli(fx.repo.bare, 'rev-parse', `kitty/merge/${M}`)
    expect([...fx.rest.opened.values()]).toMatchObject([{ head: `kitty/merge/${M}`, base: 'main', state: 'open' }])
    expect(checkRuns().map((c) => c.body)).toContainEqual(
      expect.objectContaining({ name: 'kitty/merge-mission', head_sha: staging, conclusion: 'success' }),
    )
    // GitHub merges it.
    const tree = await gitCli(fx.repo.bare, 'rev-parse', `kitty/merge/${M}^{tree}`)
    const merge = await gitCli(
      fx.repo.bare,
      'commit-tree',
      tree,
      '-p',
      before,
      '-p',
      staging,
      '-m',
      'Merge pull request #100',
    )
    await gitCli(fx.repo.bare, 'update-ref', 'refs/heads/main', merge, before)
    const closed = eventPayload('pull_request.labeled', fx.repo.cloneUrl, (p) => {
      p.action = 'closed'
      delete p.label
      p.number = 100
      p.pull_request.number = 100
      p.pull_request.head.ref = `kitty/merge/${M}`
      p.pull_request.head.sha = staging
      p.pull_request.merged = true
      p.pull_request.merge_commit_sha = merge
    })
    const first = await deliver(fx.app.url, 'pull_request', closed)
    expect([200, 202]).toContain(first.status)
    for (let i = 0; i < 600 && (await tip()) === merge; i++) await new Promise((r) => setTimeout(r, 100))
    expect(await gitCli(fx.repo.bare, 'rev-parse', 'main^')).toBe(merge)
    expect(await trailer('Kitty-Delivery')).toBe(`github-pull-merged:100:${merge}`)
    expect(JSON.parse(await gitCli(fx.repo.bare, 'show', `main:kitty-specs/${M}/meta.json`))).toMatchObject({
      merge_commit: merge,
    })
    const recorded = await tip()
    const patches = checkPatches().length + checkRuns().length
    await deliver(fx.app.url, 'pull_request', closed, { id: first.id })
    for (let i = 0; i < 600 && checkPatches().length + checkRuns().length === patches; i++)
      await new Promise((r) => setTimeout(r, 100))
    expect(await tip()).toBe(recorded)
  })

  it('another label: nothing runs', async () => {
    createRepo(diamondRepo(), M)
    const before = await tip()
    await deliverSettled(
      fx.app,
      'pull_request',
      eventPayload('pull_request.labeled', fx.repo.cloneUrl, (p) => (p.label.name = 'bug')),
    )
    expect(await tip()).toBe(before)
    expect(checkRuns()).toEqual([])
  })
})

describe('delivery semantics and bad input', () => {
  it('a forged or missing signature: 400, nothing runs', async () => {
    createRepo()
    const payload = comment('/kitty start-review')
    const forged = await deliverSettled(fx.app, 'issue_comment', payload, {
      signature: sign(JSON.stringify(payload), 'not-the-secret'),
    })
    expect(forged.status).toBe(400)
    expect((await deliverSettled(fx.app, 'issue_comment', payload, { signature: null })).status).toBe(400)
    expect(fx.rest.requests).toEqual([])
    expect(fx.git.requests.filter((r) => r.path.includes(fx.repo.name))).toEqual([])
  })

  it('a redelivery (same X-GitHub-Delivery, same payload) changes nothing and publishes nothing new', async () => {
    createRepo()
    const payload = comment('/kitty start-review')
    const first = await deliverSettled(fx.app, 'issue_comment', payload)
    const after = await tip()
    expect(checkRuns()).toHaveLength(1)
    await deliverSettled(fx.app, 'issue_comment', payload, { id: first.id })
    expect(await tip()).toBe(after)
    expect(checkRuns()).toHaveLength(1)
    expect(reactions()).toEqual(['+1'])
    expect(replies()).toEqual([])
  })

  it('an invalid .github/kitty.yml on the default branch: one reply naming the bad key, nothing runs', async () => {
    const repo = makeRepo([{ slug: M, wps: [{ id: 'WP01', lane: 'for_review' }] }])
    gitSync(repo, 'config', 'core.autocrlf', 'false')
    const { writeFileSync, mkdirSync } = await import('node:fs')
    mkdirSync(`${repo}/.github`, { recursive: true })
    writeFileSync(`${repo}/.github/kitty.yml`, 'merge:\n  strategy: octopus\n')
    gitSync(repo, 'add', '-A')
    gitSync(repo, 'commit', '-q', '-m', 'bad settings')
    createRepo(repo)
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty start-review'))
    expect(await tip()).toBe(before)
    expect(replies()).toHaveLength(1)
    expect(replies()[0]).toMatch(/CONFIG_INVALID[\s\S]*merge\.strategy/)
    expect(permissionLookups()).toEqual([])
  })

  it('settings come from the default branch only: an invalid .github/kitty.yml on the PR branch is never read', async () => {
    const repo = makeRepo([{ slug: M, wps: [{ id: 'WP01', lane: 'for_review' }] }])
    const { writeFileSync, mkdirSync } = await import('node:fs')
    gitSync(repo, 'checkout', '-q', '-b', `${M}-WP01`)
    mkdirSync(`${repo}/.github`, { recursive: true })
    writeFileSync(`${repo}/.github/kitty.yml`, 'max_attempts: many\n')
    gitSync(repo, 'add', '-A')
    gitSync(repo, 'commit', '-q', '-m', 'settings on the PR branch')
    gitSync(repo, 'checkout', '-q', 'main')
    createRepo(repo)
    const before = await tip()
    await deliverSettled(fx.app, 'issue_comment', comment('/kitty start-review'))
    expect(await gitCli(fx.repo.bare, 'rev-parse', 'main^')).toBe(before)
    expect(replies()).toEqual([])
    expect(reactions()).toEqual(['+1'])
  })

  it('a malformed payload is answered, logged, and the process keeps serving', async () => {
    createRepo()
    const res = await deliverSettled(fx.app, 'issue_comment', {
      action: 'created',
      comment: 'not an object',
      repository: null,
    })
    expect(res.status).toBeLessThan(500)
    expect((await fetch(`${fx.app.url}/healthz`)).status).toBe(200)
  })
})

describe('operations', () => {
  it('/healthz, /readyz, /metrics; every log line of a delivery carries its delivery and correlation ids', async () => {
    expect(await (await fetch(`${fx.app.url}/healthz`)).text()).toBe('ok\n')
    expect((await fetch(`${fx.app.url}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${fx.app.url}/metrics`)).text()
    expect(metrics).toMatch(/kitty_commands_total\{command="start-review",outcome="success"\} \d+/)
    expect(metrics).toMatch(/kitty_commands_total\{command="start-review",outcome="PERMISSION_DENIED"\} \d+/)
    expect(metrics).toMatch(/kitty_command_duration_seconds_count\{command="transition"\} \d+/)
    expect(metrics).toMatch(/kitty_webhook_deliveries_total\{event="issue_comment",action="created"\} \d+/)
    expect(metrics).toContain('kitty_state_conflict_retries_total')
    expect(metrics).toMatch(/kitty_queue_depth 0/)
    expect((await fetch(`${fx.app.url}/nope`)).status).toBe(404)
    const answered = logLines(fx.app.output()).filter(
      (l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('kitty/'),
    )
    expect(answered.length).toBeGreaterThan(10)
    for (const line of answered) {
      expect(line['delivery']).toMatch(/^[0-9a-f-]{36}$/)
      expect(typeof line['correlation_id']).toBe('string')
    }
  })
})
