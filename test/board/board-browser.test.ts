import { join } from 'node:path'
import type { Page } from 'puppeteer-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LaunchedBrowser } from '../helpers/browser.ts'
import { launchBrowser } from '../helpers/browser.ts'
import type { BoardProcess } from '../helpers/board-server.ts'
import { startBoard } from '../helpers/board-server.ts'
import { FORTY, makeFortyRepo } from '../helpers/board-fixtures.ts'
import { api, cleanupTempDirs, copyCorpus, git, kitty, makeRepo, POLICY_JSON, tempDir } from '../helpers/git-repo.ts'

// The callbacks below run in the page; the project compiles without the DOM library, so name what they use.
declare const window: any
declare const document: any
declare function getComputedStyle(element: unknown): { backgroundColor: string }

/**
 * The board in real headless Chromium (Debian's `chromium`, or CHROMIUM_PATH). Without a browser
 * these tests fail, saying how to install one: .ci/run installs it.
 */

let chromium: LaunchedBrowser
beforeAll(async () => {
  chromium = await launchBrowser()
})
afterAll(async () => {
  await chromium?.close()
  cleanupTempDirs()
})

const running: BoardProcess[] = []
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop()
})

/** A page that records every console error, uncaught exception and request that is not to `allowed`. */
async function watchedPage(allowed: (url: string) => boolean): Promise<{ page: Page; problems: string[] }> {
  const page = await chromium.browser.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${(e as Error).message}`))
  page.on('requestfailed', (r) => {
    // Closing an EventSource aborts its request: that is the test disconnecting, not a fault.
    if (!(r.failure()?.errorText === 'net::ERR_ABORTED' && new URL(r.url()).pathname === '/events'))
      problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`)
  })
  page.on('request', (r) => {
    if (!allowed(r.url())) problems.push(`network: ${r.url()}`)
  })
  return { page, problems }
}

/** Where the page shows each WP: the lane of the column holding its card. */
function cardLanes(page: Page): Promise<Record<string, string>> {
  return page.$$eval('.lane .card', (cards) =>
    Object.fromEntries(cards.map((c) => [c.getAttribute('data-wp')!, c.closest('.lane')!.getAttribute('data-lane')!])),
  )
}

describe('the static page (kitty board --out) in Chromium', () => {
  for (const [name, setup, mission] of [
    [
      'a corpus mission (017, lanes done, doing, planned)',
      () => copyCorpus(),
      '017-smarter-feature-merge-with-preflight',
    ],
    ['the 40-WP mission', () => makeFortyRepo(), FORTY],
  ] as const) {
    it(`${name}: every WP in its lane's column, no console errors, no network`, async () => {
      const repo = setup()
      const out = join(tempDir(), 'board.html')
      const written = await kitty(repo, ['board', '--mission', mission, '--out', out])
      expect(written.code, JSON.stringify(written.envelope)).toBe(0)
      const state = await api(repo, 'mission-state', { mission })
      const expected = Object.fromEntries(
        state.envelope.data.work_packages.map((w: { wp_id: string; lane: string }) => [w.wp_id, w.lane]),
      )
      expect(Object.keys(expected).length).toBeGreaterThan(5)
      const { page, problems } = await watchedPage((url) => url.startsWith('file://'))
      await page.goto(`file://${out}`, { waitUntil: 'load' })
      expect(await cardLanes(page)).toEqual(expected)
      expect(await page.$$eval('svg.graph .node', (n) => n.length)).toBe(Object.keys(expected).length)
      // Colour is never the only signal: each column names its lane, each graph node says its lane.
      const label = await page.$eval('#lane-done h3', (h) => h.textContent)
      expect(label).toContain('Done')
      expect(problems).toEqual([])
      await page.close()
    })
  }

  it('keyboard: arrow keys move between cards and lanes; dark mode changes the palette', async () => {
    const repo = copyCorpus()
    const out = join(tempDir(), 'board.html')
    await kitty(repo, ['board', '--mission', '017-smarter-feature-merge-with-preflight', '--out', out])
    const { page } = await watchedPage(() => true)
    await page.goto(`file://${out}`, { waitUntil: 'load' })
    await page.focus('.lane .card')
    const first = await page.evaluate(() => document.activeElement!.closest('.lane')!.getAttribute('data-lane'))
    await page.keyboard.press('ArrowRight')
    const second = await page.evaluate(() => document.activeElement!.closest('.lane')!.getAttribute('data-lane'))
    expect(second).not.toBe(first)
    await page.keyboard.press('ArrowDown')
    expect(await page.evaluate(() => document.activeElement!.classList.contains('card'))).toBe(true)
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }])
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(light).toBe('rgb(255, 255, 255)')
    expect(dark).not.toBe(light)
    await page.close()
  })
})

describe('the live board (kitty board --serve) in Chromium', () => {
  const M = '099-test-mission'
  const WPS = [
    { id: 'WP01', lane: 'planned' },
    { id: 'WP02', lane: 'planned', dependencies: ['WP01'] },
    { id: 'WP03', lane: 'done' },
  ]

  async function liveBoard(repo: string) {
    const p = await startBoard(repo, ['--serve', '--port', '0', '--mission', M])
    running.push(p)
    expect(p.envelope['success'], JSON.stringify(p.envelope)).toBe(true)
    const origin = new URL(p.url).origin
    const { page, problems } = await watchedPage((url) => url.startsWith(origin))
    await page.goto(`${p.url}?mission=${M}`, { waitUntil: 'load' })
    await page.waitForFunction(() => (window as unknown as { kittyBoard: { boards: number } }).kittyBoard.boards > 0, {
      timeout: 30_000,
    })
    return { p, page, problems }
  }

  const laneOfCard = (page: Page, wp: string) =>
    page.$eval(`.card[data-wp="${wp}"]`, (c) => c.closest('.lane')!.getAttribute('data-lane'))

  it('a transition through the CLI moves the card without a reload, within 2 s of the commit', async () => {
    const repo = makeRepo([{ wps: WPS }])
    const { page, problems } = await liveBoard(repo)
    expect(await laneOfCard(page, 'WP01')).toBe('planned')
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true))
    const moved = await api(repo, 'transition', {
      mission: M,
      wp: 'WP01',
      to: 'claimed',
      actor: 'claude',
      policy: POLICY_JSON,
    })
    expect(moved.code).toBe(0)
    // Measured from the end of the commit (the CLI has exited): what the person at the board waits.
    const committed = Date.now()
    await page.waitForSelector('#lane-claimed .card[data-wp="WP01"]', { timeout: 30_000 })
    const latency = Date.now() - committed
    expect(latency).toBeLessThan(2_000)
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
    expect(await page.$eval('.history li', (li) => li.getAttribute('data-commit'))).toBe(git(repo, 'rev-parse', 'HEAD'))
    expect(problems).toEqual([])
    await page.close()
  })

  it('a reconnect with the last event id replays what was missed', async () => {
    const repo = makeRepo([{ wps: WPS }])
    const { page, problems } = await liveBoard(repo)
    const seen = await page.evaluate(
      () => (window as unknown as { kittyBoard: { lastEventId: string } }).kittyBoard.lastEventId,
    )
    expect(seen).toBe(git(repo, 'rev-parse', 'HEAD'))
    await page.evaluate(() =>
      (window as unknown as { kittyBoard: { disconnect(): void; changes: unknown[] } }).kittyBoard.disconnect(),
    )
    await page.evaluate(() => ((window as unknown as { kittyBoard: { changes: unknown[] } }).kittyBoard.changes = []))
    await api(repo, 'transition', { mission: M, wp: 'WP01', to: 'claimed', actor: 'claude', policy: POLICY_JSON })
    const c1 = git(repo, 'rev-parse', 'HEAD')
    await api(repo, 'transition', { mission: M, wp: 'WP01', to: 'in_progress', actor: 'claude', policy: POLICY_JSON })
    const c2 = git(repo, 'rev-parse', 'HEAD')
    // While disconnected nothing moves.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await laneOfCard(page, 'WP01')).toBe('planned')
    await page.evaluate(() => (window as unknown as { kittyBoard: { connect(): void } }).kittyBoard.connect())
    await page.waitForSelector('#lane-in_progress .card[data-wp="WP01"]', { timeout: 30_000 })
    const replayed = await page.evaluate(
      () =>
        (
          window as unknown as {
            kittyBoard: { changes: Array<{ commit: string; to_lane: string; replayed: boolean }> }
          }
        ).kittyBoard.changes,
    )
    expect(replayed.map((c) => [c.commit, c.to_lane, c.replayed])).toEqual([
      [c1, 'claimed', false],
      [c2, 'in_progress', false],
    ])
    expect(problems).toEqual([])
    await page.close()
  })
})
