import { randomBytes } from 'node:crypto'
import {
  constants,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
  fsyncSync,
  closeSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { parseEnv } from 'node:util'
import { AppSetupError } from './setup-error.ts'

/**
 * Adds the App's credentials to `.env` without ever exposing them: the new file is written in full to
 * a fresh temporary file (O_EXCL, O_NOFOLLOW, mode 0600) beside it, flushed, then renamed over `.env`,
 * so a reader sees the old file or the new one, never half, and a symlink planted at either name is
 * replaced or refused, never written through. Lines the operator already had in `.env` are kept.
 */

const MAX_ENV_BYTES = 256 * 1024

/** Values GitHub hands out: anything that could break out of a `KEY=value` line is refused. */
function line(key: string, value: string): string {
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes('#') || value.includes('"') || value.includes("'"))
    throw new AppSetupError('SETUP_CONVERSION_FAILED', `GitHub answered a ${key} that cannot be stored safely.`)
  return `${key}=${value}\n`
}

/** The current `.env`, checked before the one-time code is spent: a refusal must come before, not after. */
export function readEnvFileForUpdate(path: string): string {
  let stat
  try {
    stat = lstatSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw err
  }
  if (!stat.isFile())
    throw new AppSetupError('ENV_FILE_UNSAFE', `${path} is not a regular file (a symlink?); nothing was written.`)
  if (stat.size > MAX_ENV_BYTES) throw new AppSetupError('ENV_FILE_UNSAFE', `${path} is too large to extend.`)
  const text = readFileSync(path, 'utf8')
  const parsed = parseEnv(text)
  for (const key of ['APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET'])
    if (parsed[key] !== undefined)
      throw new AppSetupError('ENV_FILE_UNSAFE', `${path} already sets ${key}; nothing was written.`)
  return text === '' || text.endsWith('\n') ? text : `${text}\n`
}

export interface AppCredentials {
  appId: number
  pem: string
  webhookSecret: string
  htmlUrl: string
}

export function writeEnvFile(path: string, credentials: AppCredentials): void {
  const before = readEnvFileForUpdate(path)
  const text =
    before +
    `# GitHub App registered from app.yml (${new Date().toISOString()}): ${credentials.htmlUrl.replace(/[\r\n]/g, '')}\n` +
    line('APP_ID', String(credentials.appId)) +
    // Base64 keeps the PEM on one line; Probot's key loader accepts it as it is.
    line('PRIVATE_KEY', Buffer.from(credentials.pem, 'utf8').toString('base64')) +
    line('WEBHOOK_SECRET', credentials.webhookSecret)
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
    closeSync(fd)
    renameSync(temp, path)
  } catch (err) {
    try {
      closeSync(fd)
    } catch {}
    rmSync(temp, { force: true })
    throw err
  }
}
