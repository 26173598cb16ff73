import type { OctokitLike } from '../github/github-api.ts'

/**
 * Installation tokens for git over HTTPS, minted through the App's JWT Octokit and kept in memory only.
 * Minted explicitly (POST /app/installations/{id}/access_tokens) rather than through
 * `octokit.auth({ type: 'installation' })`: that path ignores the Octokit's baseUrl and would ask
 * api.github.com even on GitHub Enterprise Server. Each token is narrowed to one repository and
 * `contents: write`, the only thing git needs, so a leaked git credential opens nothing else.
 */

/** GitHub tokens live an hour; renew well before, so a long merge never starts on a dying token. */
const RENEW_BEFORE_MS = 10 * 60_000

interface Minted {
  token: string
  expiresAt: number
}

export class InstallationTokens {
  #appOctokit: () => Promise<OctokitLike>
  #tokens = new Map<string, Promise<Minted>>()

  constructor(appOctokit: () => Promise<OctokitLike>) {
    this.#appOctokit = appOctokit
  }

  get(installationId: number, repository: string): Promise<string> {
    const key = `${installationId}/${repository}`
    const held = this.#tokens.get(key)
    const fresh = held?.then(
      (m) => (m.expiresAt - Date.now() > RENEW_BEFORE_MS ? m : null),
      () => null,
    )
    return (fresh ?? Promise.resolve(null)).then((m) => {
      if (m) return m.token
      const minting = this.#mint(installationId, repository)
      this.#tokens.set(key, minting)
      minting.catch(() => this.#tokens.get(key) === minting && this.#tokens.delete(key))
      return minting.then((x) => x.token)
    })
  }

  async #mint(installationId: number, repository: string): Promise<Minted> {
    const octokit = await this.#appOctokit()
    const { data } = await octokit.request('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: installationId,
      repositories: [repository],
      permissions: { contents: 'write' },
    })
    const d = data as { token?: unknown; expires_at?: unknown }
    if (typeof d.token !== 'string' || d.token === '') throw new Error('the access_tokens answer carried no token')
    const expiresAt = typeof d.expires_at === 'string' ? Date.parse(d.expires_at) : NaN
    return { token: d.token, expiresAt: Number.isFinite(expiresAt) ? expiresAt : Date.now() + 3_600_000 }
  }
}
