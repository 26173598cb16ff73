import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../../helpers/git-http-server.ts'
import { startGitHttpServer } from '../../helpers/git-http-server.ts'
import { api, cleanupTempDirs, git, laneOf, makeRepo, readWp, tempDir } from '../../helpers/git-repo.ts'

const run = promisify(execFile)
// The server lives in this process: drive git asynchronously so it can answer.
const gitAsync = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim()

const M = '099-test-mission'
const TOKEN = 'merge-token'
let server: GitHttpServer
let bare: string
let work: string

/** A project on the server with two approved WPs and their branches, and a clone of it to merge in. */
beforeEach(async () => {
  server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  const source = makeRepo([
    {
      wps: [
        { id: 'WP01', lane: 'approved' },
        { id: 'WP02', lane: 'approved', dependencies: ['WP01'] },
      ],
    },
  ])
  for (const wp of ['WP01', 'WP02']) {
    git(source, 'checkout', '-q', '-b', `${M}-${wp}`)
    writeFileSync(join(source, `${wp}.txt`), `${wp} work\n`)
    git(source, 'add', '-A')
    git(source, 'commit', '-qm', `${wp}: work`)
  }
  git(source, 'checkout', '-q', 'main')
  bare = server.createBareRepo('project', { from: source })
  work = tempDir('kitty-clone-')
  const withCredentials = server.repoUrl('project').replace('http://', `http://x-access-token:${TOKEN}@`)
  await gitAsync(work, 'clone', '-q', withCredentials, '.')
  await gitAsync(work, 'remote', 'set-url', 'origin', server.repoUrl('project'))
  for (const wp of ['WP01', 'WP02']) await gitAsync(work, 'branch', '-q', `${M}-${wp}`, `origin/${M}-${wp}`)
  await gitAsync(work, 'config', 'user.name', 'Merger')
  await gitAsync(work, 'config', 'user.email', 'merger@example.com')
})
afterEach(async () => {
  await server.close()
  cleanupTempDirs()
})

describe('merge-mission --push against a real smart-HTTP remote', () => {
  it('merges, then pushes once: the remote target equals the local one', async () => {
    const { envelope } = await api(work, 'merge-mission', { mission: M, push: true }, { KITTY_TOKEN: TOKEN })
    expect(envelope.error_code, JSON.stringify(envelope.data)).toBeNull()
    expect(envelope.data).toMatchObject({ merged: true, merged_wps: ['WP01', 'WP02'], pushed: true })
    expect(await gitAsync(bare, 'rev-parse', 'main')).toBe(await gitAsync(work, 'rev-parse', 'main'))
    expect(server.requests.filter((r) => r.service === 'receive-pack' && r.method === 'POST')).toHaveLength(1)
    expect(laneOf(readWp(work, 'WP01'))).toBe('done')
    await gitAsync(bare, 'fsck', '--strict')
  })

  it('a refused push → PUSH_FAILED; local target, working tree and remote exactly as before', async () => {
    const local = await gitAsync(work, 'rev-parse', 'main')
    const remote = await gitAsync(bare, 'rev-parse', 'main')
    server.faults.refuseNextPush()
    const { envelope } = await api(work, 'merge-mission', { mission: M, push: true }, { KITTY_TOKEN: TOKEN })
    expect(envelope.error_code).toBe('PUSH_FAILED')
    expect(envelope.data).toMatchObject({ rolled_back: true, reason: 'pre-receive hook declined' })
    expect(await gitAsync(work, 'rev-parse', 'main')).toBe(local)
    expect(await gitAsync(work, 'status', '--porcelain')).toBe('')
    expect(await gitAsync(bare, 'rev-parse', 'main')).toBe(remote)
    expect(laneOf(readWp(work, 'WP01'))).toBe('approved')
  })

  it('a protected target (GH013 ruleset) → BRANCH_PROTECTED naming merge.via: pull_request; rolled back', async () => {
    const local = await gitAsync(work, 'rev-parse', 'main')
    const remote = await gitAsync(bare, 'rev-parse', 'main')
    server.protectBranch('project', 'main', 'ruleset')
    const { envelope } = await api(work, 'merge-mission', { mission: M, push: true }, { KITTY_TOKEN: TOKEN })
    expect(envelope.error_code).toBe('BRANCH_PROTECTED')
    expect(envelope.data).toMatchObject({ branch: 'main', rolled_back: true, merged_wps: [] })
    expect(envelope.data.remote_messages).toContain(
      'error: GH013: Repository rule violations found for refs/heads/main.',
    )
    expect(envelope.data.message).toContain('merge.via: pull_request')
    expect(await gitAsync(work, 'rev-parse', 'main')).toBe(local)
    expect(await gitAsync(work, 'status', '--porcelain')).toBe('')
    expect(await gitAsync(bare, 'rev-parse', 'main')).toBe(remote)
    expect(laneOf(readWp(work, 'WP01'))).toBe('approved')
  })

  it('a wrong token → PUSH_FAILED naming the refusal, token not printed, nothing changed', async () => {
    const local = await gitAsync(work, 'rev-parse', 'main')
    const run = await api(work, 'merge-mission', { mission: M, push: true }, { KITTY_TOKEN: 'not-the-token' })
    expect(run.envelope.error_code).toBe('PUSH_FAILED')
    expect(run.stdout).not.toContain('not-the-token')
    expect(await gitAsync(work, 'rev-parse', 'main')).toBe(local)
  })
})
