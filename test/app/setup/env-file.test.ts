import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadEnvFile } from '../../../src/app/setup/load-env-file.ts'
import { writeEnvFile } from '../../../src/app/setup/write-env-file.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/git-repo.ts'

/** `.env` in a temporary folder: what the App reads at start, and how the setup flow adds to it. */

afterEach(() => cleanupTempDirs())

const credentials = {
  appId: 42,
  pem: '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n',
  webhookSecret: 'abc123',
  htmlUrl: 'https://github.com/apps/kitty',
}

describe('loadEnvFile', () => {
  it('sets what the environment lacks and never overrides what it has', () => {
    const dir = tempDir()
    writeFileSync(join(dir, '.env'), 'APP_ID=7\nWEBHOOK_SECRET=from-file\n# comment\n')
    const env: NodeJS.ProcessEnv = { WEBHOOK_SECRET: 'from-env' }
    expect(loadEnvFile(env, dir)).toEqual(['APP_ID'])
    expect(env).toEqual({ APP_ID: '7', WEBHOOK_SECRET: 'from-env' })
  })

  it('is a no-op without a .env, and with a folder named .env', () => {
    const dir = tempDir()
    expect(loadEnvFile({}, dir)).toEqual([])
    const other = tempDir()
    mkdirSync(join(other, '.env'))
    expect(loadEnvFile({}, other)).toEqual([])
  })
})

describe('writeEnvFile', () => {
  it('keeps the lines already there, adds the three the App needs, mode 0600, and loads back', () => {
    const dir = tempDir()
    const path = join(dir, '.env')
    writeFileSync(path, 'LOG_LEVEL=debug', { mode: 0o644 })
    writeEnvFile(path, credentials)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const env: NodeJS.ProcessEnv = {}
    loadEnvFile(env, dir)
    expect(env['LOG_LEVEL']).toBe('debug')
    expect(env['APP_ID']).toBe('42')
    expect(Buffer.from(env['PRIVATE_KEY']!, 'base64').toString()).toBe(credentials.pem)
    expect(env['WEBHOOK_SECRET']).toBe('abc123')
  })

  it('refuses a .env that already holds an App, a symlinked .env, and a secret that would break out of its line', () => {
    const dir = tempDir()
    const path = join(dir, '.env')
    writeFileSync(path, 'APP_ID=1\n')
    expect(() => writeEnvFile(path, credentials)).toThrow(expect.objectContaining({ code: 'ENV_FILE_UNSAFE' }))
    expect(readFileSync(path, 'utf8')).toBe('APP_ID=1\n')

    const linked = tempDir()
    const target = join(tempDir(), 'target')
    writeFileSync(target, '')
    symlinkSync(target, join(linked, '.env'))
    expect(() => writeEnvFile(join(linked, '.env'), credentials)).toThrow(
      expect.objectContaining({ code: 'ENV_FILE_UNSAFE' }),
    )
    expect(readFileSync(target, 'utf8')).toBe('')

    const fresh = join(tempDir(), '.env')
    for (const webhookSecret of ['a\nAPP_ID=666', 'a b', 'a#b', '"x"'])
      expect(() => writeEnvFile(fresh, { ...credentials, webhookSecret })).toThrow(
        expect.objectContaining({ code: 'SETUP_CONVERSION_FAILED' }),
      )
    expect(() => statSync(fresh)).toThrow()
  })
})
