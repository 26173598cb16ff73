import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Poll `check` (every `everyMs`) until it holds; past `timeoutMs`, throw "timed out waiting for
 * <what>", with `detail()` after it when given (the App's last output, say).
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  options: { everyMs?: number; detail?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) {
      const detail = options.detail?.()
      throw new Error(`timed out waiting for ${what}${detail === undefined ? '' : `:\n${detail}`}`)
    }
    await sleep(options.everyMs ?? 50)
  }
}
