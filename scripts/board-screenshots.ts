// The pictures of the mission board in docs/board.md: the static page (`kitty board --out`) and the live
// board (`kitty board --serve`) for a small corpus mission and the 40-WP mission, in headless Chromium.
//   npm run docs:board   → docs/board-*.png
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launchBrowser } from '../test/helpers/browser.ts'
import { startBoard } from '../test/helpers/board-server.ts'
import { FORTY, makeFortyRepo } from '../test/helpers/board-fixtures.ts'
import {
  api,
  cleanupTempDirs,
  copyCorpus,
  kitty,
  PROJECT_ROOT,
  POLICY_JSON,
  tempDir,
} from '../test/helpers/git-repo.ts'

const DOCS = join(PROJECT_ROOT, 'docs')
const SMALL = '017-smarter-feature-merge-with-preflight'
mkdirSync(DOCS, { recursive: true })

/** A few transitions, so the live board has recent history to show. */
async function someHistory(repo: string, mission: string, moves: Array<[string, string]>): Promise<void> {
  for (const [wp, to] of moves) {
    const r = await api(repo, 'transition', {
      mission,
      wp,
      to,
      actor: 'claude',
      policy: POLICY_JSON,
      force: true,
      note: 'screenshot',
    })
    if (r.code !== 0) throw new Error(JSON.stringify(r.envelope))
  }
}

const chromium = await launchBrowser()
try {
  const shoot = async (url: string, file: string, width: number, dark = false) => {
    const page = await chromium.browser.newPage()
    await page.setViewport({ width, height: 900, deviceScaleFactor: 1 })
    if (dark) await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }])
    await page.goto(url, { waitUntil: 'load' })
    if (url.startsWith('http'))
      await page.waitForFunction(
        () => (globalThis as unknown as { kittyBoard: { boards: number } }).kittyBoard.boards > 0,
      )
    await page.screenshot({ path: join(DOCS, file), fullPage: true })
    await page.close()
    process.stderr.write(`docs/${file}\n`)
  }
  for (const [repo, mission, tag, moves] of [
    [
      copyCorpus(),
      SMALL,
      'small',
      [
        ['WP04', 'for_review'],
        ['WP05', 'for_review'],
        ['WP05', 'in_review'],
      ],
    ],
    [
      makeFortyRepo(),
      FORTY,
      '40',
      [
        ['WP30', 'for_review'],
        ['WP31', 'in_progress'],
        ['WP19', 'approved'],
      ],
    ],
  ] as Array<[string, string, string, Array<[string, string]>]>) {
    execFileSync('git', ['config', 'user.name', 'Board Screenshots'], { cwd: repo })
    execFileSync('git', ['config', 'user.email', 'board@example.com'], { cwd: repo })
    await someHistory(repo, mission, moves)
    const out = join(tempDir(), 'board.html')
    const written = await kitty(repo, ['board', '--mission', mission, '--out', out])
    if (written.code !== 0) throw new Error(JSON.stringify(written.envelope))
    await shoot(`file://${out}`, `board-static-${tag}.png`, 1440)
    const live = await startBoard(repo, ['--serve', '--port', '0', '--mission', mission])
    try {
      await shoot(
        `${live.url}?mission=${mission}`,
        `board-live-${tag}${tag === '40' ? '-dark' : ''}.png`,
        1440,
        tag === '40',
      )
    } finally {
      await live.stop()
    }
  }
} finally {
  await chromium.close()
  cleanupTempDirs()
}
