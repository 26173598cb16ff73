import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { AppSetupError } from './setup-error.ts'

/**
 * The manifest GitHub creates the App from (docs: "Registering a GitHub App from a manifest"): app.yml's
 * name, url, description, events and permissions, with the webhook URL of this deployment and the
 * redirect back to this setup server. Probot's own builder spreads app.yml last and defaults `public`
 * to true; ours keeps only the keys GitHub documents and is always private.
 */

export interface AppManifest {
  name: string
  url: string
  description?: string
  hook_attributes: { url: string; active: true }
  redirect_url: string
  public: false
  default_events: string[]
  default_permissions: Record<string, string>
}

const MAX_MANIFEST_BYTES = 64 * 1024

function strings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new AppSetupError('SETUP_MANIFEST_INVALID', `app.yml: ${what} must be a list of names.`)
  return value as string[]
}

export function readAppYml(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8')
  if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES)
    throw new AppSetupError('SETUP_MANIFEST_INVALID', `${path} is larger than ${MAX_MANIFEST_BYTES} bytes.`)
  const doc = parse(text) as unknown
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new AppSetupError('SETUP_MANIFEST_INVALID', `${path} is not a YAML mapping.`)
  return doc as Record<string, unknown>
}

/** A URL GitHub will call or send a browser to: http(s), no userinfo (it would end up in GitHub's settings). */
export function checkPublicUrl(raw: string, what: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new AppSetupError('SETUP_REQUEST_INVALID', `${what} must be an http(s) URL.`)
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || raw.length > 2000)
    throw new AppSetupError('SETUP_REQUEST_INVALID', `${what} must be an http(s) URL without credentials.`)
  return url.href
}

export function buildManifest(appYml: Record<string, unknown>, webhookUrl: string, redirectUrl: string): AppManifest {
  const name = appYml['name']
  const url = appYml['url']
  if (typeof name !== 'string' || name.trim() === '' || typeof url !== 'string')
    throw new AppSetupError('SETUP_MANIFEST_INVALID', 'app.yml needs a name and a url.')
  const permissions = appYml['default_permissions']
  if (permissions === null || typeof permissions !== 'object' || Array.isArray(permissions))
    throw new AppSetupError('SETUP_MANIFEST_INVALID', 'app.yml: default_permissions must be a mapping.')
  const description = appYml['description']
  return {
    name,
    url,
    ...(typeof description === 'string' ? { description } : {}),
    hook_attributes: { url: checkPublicUrl(webhookUrl, 'The webhook URL'), active: true },
    redirect_url: redirectUrl,
    public: false,
    default_events: strings(appYml['default_events'], 'default_events'),
    default_permissions: Object.fromEntries(
      Object.entries(permissions as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    ),
  }
}

/** Where GitHub (or GitHub Enterprise Server) lets a person or an organisation create an App from a manifest. */
export function githubWebBase(env: NodeJS.ProcessEnv): string {
  const host = env['GHE_HOST']
  return host ? `${env['GHE_PROTOCOL'] || 'https'}://${host}` : 'https://github.com'
}

export function githubApiBase(env: NodeJS.ProcessEnv): string {
  return env['GHE_HOST'] ? `${githubWebBase(env)}/api/v3` : 'https://api.github.com'
}

const ORG = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/

export function checkOrg(org: string): string {
  if (!ORG.test(org))
    throw new AppSetupError('SETUP_REQUEST_INVALID', 'An organisation name is letters, digits and dashes (at most 39).')
  return org
}

export function newAppUrl(env: NodeJS.ProcessEnv, org: string | null, state: string): string {
  const where = org ? `/organizations/${encodeURIComponent(checkOrg(org))}` : ''
  return `${githubWebBase(env)}${where}/settings/apps/new?state=${encodeURIComponent(state)}`
}
