import { describe, expect, it } from 'vitest'
import { githubApiBase, newAppUrl } from '../../../src/app/setup/build-manifest.ts'

/** Where the form goes and where the code is exchanged: github.com, an organisation, GitHub Enterprise Server. */

describe('GitHub endpoints of the manifest flow', () => {
  it('github.com: the web pages on github.com, the exchange on api.github.com', () => {
    expect(newAppUrl({}, null, 's')).toBe('https://github.com/settings/apps/new?state=s')
    expect(newAppUrl({}, 'octo-org', 's')).toBe('https://github.com/organizations/octo-org/settings/apps/new?state=s')
    expect(githubApiBase({})).toBe('https://api.github.com')
  })

  it('GHE_HOST (and GHE_PROTOCOL): both on the server, the API under /api/v3', () => {
    const env = { GHE_HOST: 'ghe.example.com' }
    expect(newAppUrl(env, null, 's')).toBe('https://ghe.example.com/settings/apps/new?state=s')
    expect(githubApiBase(env)).toBe('https://ghe.example.com/api/v3')
    expect(githubApiBase({ ...env, GHE_PROTOCOL: 'http' })).toBe('http://ghe.example.com/api/v3')
  })

  it('an organisation name that is not one never reaches the URL', () => {
    for (const org of ['../x', 'a/b', 'a?b', '-a', 'a'.repeat(40), 'é'])
      expect(() => newAppUrl({}, org, 's')).toThrow(expect.objectContaining({ code: 'SETUP_REQUEST_INVALID' }))
  })
})
