import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { GitHttpServer } from '../helpers/git-http-server.ts'
import { startGitHttpServer } from '../helpers/git-http-server.ts'
import type { BoardProcess } from '../helpers/board-server.ts'
import { getJson, sse, startBoard } from '../helpers/board-server.ts'
import { cleanupTempDirs, git, kitty, makeRepo, POLICY_JSON, tempDir } from '../helpers/git-repo.ts'

/** `kitty board --serve --remote URL`: the state on a smart-HTTP server, followed by polling its refs. */

const M = '099-test-mission'
const TOKEN = 'test-token-board'
let server: GitHttpServer
let bare: string
let board: BoardProcess | null = null

beforeEach(async () => {
  server = await startGitHttpServer({ auth: { username: 'x-access-token', password: TOKEN } })
  bare = server.createBareRepo('project', {
    from: makeRepo([
      {
        wps: [
          { id: 'WP01', lane: 'planned' },
          { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
        ],
      },
    ]),
  })
})
afterEach(async () => {
  await board?.stop()
  board = null
  await server.close()
  cleanupTempDirs()
})

const remoteEnv = () => ({
  KITTY_TOKEN: TOKEN,
  KITTY_CACHE_DIR: tempDir('kitty-cache-'),
  KITTY_REMOTE_TIMEOUT_MS: '20000',
})

describe('kitty board --serve --remote', () => {
  it('serves the remote state and pushes a transition made by another runner, found by ref discovery alone', async () => {
    const env = { ...remoteEnv(), KITTY_BOARD_POLL_MS: '300' }
    board = await startBoard(
      tempDir('kitty-cwd-'),
      ['--serve', '--port', '0', '--remote', server.repoUrl('project')],
      env,
    )
    expect(board.envelope['success'], JSON.stringify(board.envelope)).toBe(true)
    const one = await getJson(`${board.url}api/missions/${M}`)
    expect(one.body.data.summary).toMatchObject({ planned: 2 })
    const stream = await sse(`${board.url}events?mission=${M}`)
    const first = await stream.waitFor((e) => e.event === 'board')
    expect(first.id).toBe(git(bare, 'rev-parse', 'main'))
    // Idle polling is ref discovery only: no pack is fetched while nothing moves.
    const fetchesBefore = server.requests.filter((r) => r.service === 'upload-pack' && r.method === 'POST').length
    expect(fetchesBefore).toBeGreaterThan(0)
    const discoveries = () => server.requests.filter((r) => r.service === 'upload-pack' && r.method === 'GET').length
    const discoveriesBefore = discoveries()
    await new Promise((r) => setTimeout(r, 1_500))
    expect(discoveries()).toBeGreaterThan(discoveriesBefore)
    expect(server.requests.filter((r) => r.service === 'upload-pack' && r.method === 'POST').length).toBe(fetchesBefore)
    const moved = await kitty(
      tempDir('kitty-cwd-'),
      [
        'orchestrator-api',
        'transition',
        '--mission',
        M,
        '--wp',
        'WP01',
        '--to',
        'claimed',
        '--actor',
        'runner',
        '--policy',
        POLICY_JSON,
        '--remote',
        server.repoUrl('project'),
      ],
      remoteEnv(),
    )
    expect(moved.code, moved.stdout).toBe(0)
    const tip = git(bare, 'rev-parse', 'main')
    const change = await stream.waitFor((e) => e.event === 'change' && e.id === tip, 30_000)
    expect(change.data).toMatchObject({ wp_id: 'WP01', to_lane: 'claimed', actor: 'runner' })
    const next = await stream.waitFor((e) => e.event === 'board' && e.id === tip, 30_000)
    expect(next.data.counts).toMatchObject({ planned: 1, claimed: 1 })
    stream.close()
  })
})
