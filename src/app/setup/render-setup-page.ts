import type { AppManifest } from './build-manifest.ts'

/**
 * The setup pages: self-contained HTML (no script, no external asset), every interpolated value escaped.
 * The manifest travels as the value of a form field, as GitHub's manifest flow expects.
 */

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
code,pre{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}pre{padding:.8rem;overflow:auto}
label{display:block;margin:.6rem 0 .2rem}input{width:100%;padding:.4rem;font:inherit}
button{margin-top:1rem;padding:.5rem 1rem;font:inherit;cursor:pointer}.error{color:#b3261e}`

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`
}

export interface SetupPageInput {
  appName: string
  webhookUrl: string
  /** Set by --url or WEBHOOK_URL: shown, not editable. */
  fixed: boolean
  org: string
  problem: string | null
  /** Set once a webhook URL is known: where the form goes, and the manifest it carries. */
  register: { action: string; manifest: AppManifest } | null
}

export function renderSetupPage(input: SetupPageInput): string {
  const where = input.org ? `the organisation <code>${escapeHtml(input.org)}</code>` : 'your personal account'
  const settings = `<form method="get" action="/">
<label for="webhook_url">Webhook URL (where GitHub will deliver events: <code>https://&lt;host&gt;/api/github/webhooks</code>)</label>
<input id="webhook_url" name="webhook_url" value="${escapeHtml(input.webhookUrl)}"${input.fixed ? ' readonly' : ''} required>
<label for="org">Organisation (leave empty to register it on your personal account)</label>
<input id="org" name="org" value="${escapeHtml(input.org)}">
<button type="submit">Use these settings</button>
</form>`
  const problem = input.problem ? `<p class="error">${escapeHtml(input.problem)}</p>` : ''
  const register = input.register
    ? `<h2>2. Register</h2>
<p>GitHub creates the App <strong>${escapeHtml(input.appName)}</strong> on ${where} from <code>app.yml</code>,
with these events and permissions, then sends you back here; this server stores its id, key and webhook secret in <code>.env</code>.</p>
<pre>${escapeHtml(JSON.stringify({ default_events: input.register.manifest.default_events, default_permissions: input.register.manifest.default_permissions, hook_attributes: input.register.manifest.hook_attributes }, null, 2))}</pre>
<form method="post" action="${escapeHtml(input.register.action)}">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(input.register.manifest))}">
<button type="submit">Register GitHub App</button>
</form>`
    : ''
  return page(
    `Register ${input.appName}`,
    `<h1>Register ${escapeHtml(input.appName)}</h1>
<p>This App has no <code>APP_ID</code> yet, so it serves this page instead of webhooks.</p>
<h2>1. Settings</h2>${problem}${settings}${register}`,
  )
}

export function renderSavedPage(appName: string, installUrl: string, envPath: string): string {
  return page(
    `${appName} registered`,
    `<h1>Saved</h1>
<p>The App's id, private key and webhook secret are saved in <code>${escapeHtml(envPath)}</code> (readable by its owner only).</p>
<ol><li>Stop this process and start it again (<code>npm start</code>): it now serves webhooks.</li>
<li><a href="${escapeHtml(installUrl)}">Install the App</a> on the repositories that hold <code>kitty-specs/</code>.</li></ol>`,
  )
}

export function renderProblemPage(message: string): string {
  return page('Setup', `<h1>Setup</h1><p class="error">${escapeHtml(message)}</p><p><a href="/">Back</a></p>`)
}
