import fs from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'puppeteer-core'
import puppeteer from 'puppeteer-core'

/**
 * Real headless Chromium for the board's browser tests, screenshots and bench: Debian's `chromium`
 * (or CHROMIUM_PATH), driven by puppeteer-core. The flags keep Chromium off the network: on a closed
 * network its background connections are refused and slow every page down.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

export function chromiumPath(): string {
  const explicit = process.env['CHROMIUM_PATH']
  if (explicit) {
    if (!fs.existsSync(explicit))
      throw new Error(
        `CHROMIUM_PATH=${explicit} does not exist. Install Chromium (Debian: apt-get install -y chromium) or fix CHROMIUM_PATH.`,
      )
    return explicit
  }
  const found = CANDIDATES.find((p) => fs.existsSync(p))
  if (!found) {
    throw new Error(
      `No Chromium found for the browser tests (looked for ${CANDIDATES.join(', ')}). Install it with 'apt-get install -y chromium' ` +
        '(CI does this in .ci/run), or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    )
  }
  return found
}

export interface LaunchedBrowser {
  browser: Browser
  close(): Promise<void>
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'kitty-chromium-'))
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
    headless: true,
    protocolTimeout: 120_000,
  })
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined)
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
