import * as z from 'zod/mini'
import { branchPatternProblem } from '../../core/branch-pattern.ts'
import { KittyError } from '../../core/errors.ts'
import { CONFIG_PATH } from './load-config.ts'

/**
 * `.github/kitty.yml`, schema first: this zod schema is the source of the published JSON Schema
 * (`schema/kitty-config.schema.json`) and of docs/configuration.md (`npm run schema`).
 */
export const KittyConfigSchema = z
  .strictObject({
    legacy_feature_aliases: z
      ._default(z.boolean(), false)
      .check(
        z.describe(
          'Accept the contract 1.0 names (--feature, feature-state, accept-feature, merge-feature) as aliases. ' +
            'Off by default: they are refused with the canonical replacement named.',
        ),
      ),
    worktrees: z
      ._default(z.boolean(), true)
      .check(
        z.describe(
          'Let start-implementation create the WP branch and a git worktree under .worktrees/ (needs a git binary).',
        ),
      ),
    max_attempts: z
      ._default(z.int().check(z.minimum(1), z.maximum(50)), 5)
      .check(
        z.describe(
          'How many times a mutation re-reads, re-validates and retries when the state branch moved under it ' +
            '(a lost compare-and-swap or a rejected push) before answering STATE_CONFLICT.',
        ),
      ),
    merge: z
      .prefault(
        z.strictObject({
          strategy: z
            ._default(z.enum(['merge', 'squash', 'rebase']), 'merge')
            .check(z.describe('Default merge-mission strategy.')),
          branch_pattern: z
            ._default(z.string().check(z.regex(/\{wp_id\}/, 'must contain {wp_id}')), '{mission_slug}-{wp_id}')
            .check(
              z.describe(
                "Name of a WP branch; placeholders {mission_slug} and {wp_id}. A WP's own `branch:` key wins.",
              ),
            ),
          label: z
            ._default(z.string().check(z.minLength(1), z.maxLength(50)), 'kitty:merge')
            .check(
              z.describe(
                'Pull request label that makes the Action (command: auto) and the App run merge-mission; removed afterwards.',
              ),
            ),
          via: z
            ._default(z.enum(['push', 'pull_request']), 'push')
            .check(
              z.describe(
                'How merge-mission lands: push (move the target itself) or pull_request (push the merge to the ' +
                  'staging branch kitty/merge/<mission_slug> and open one pull request to the target, for protected targets).',
              ),
            ),
          auto_merge: z
            .optional(z.enum(['merge', 'squash', 'rebase']))
            .check(
              z.describe(
                'With via: pull_request, enable auto-merge on the staging pull request with this method, so required ' +
                  'checks or the merge queue decide when it lands. Unset: a person merges it.',
              ),
            ),
        }),
        {},
      )
      .check(z.describe('merge-mission settings.')),
  })
  .check(z.describe('kitty-github repository settings, read from .github/kitty.yml on the state branch.'))

export type KittyConfig = z.infer<typeof KittyConfigSchema>

/** Validate the text of a settings file (load-config.ts reads it, and imports this module only then). */
export async function parseConfig(text: string): Promise<KittyConfig> {
  // Imported here: `yaml` is ~100 KiB to compile, and only a settings file needs it.
  const { parse: parseYaml } = await import('yaml')
  let raw: unknown
  try {
    raw = parseYaml(text, { maxAliasCount: 50 }) ?? {}
  } catch (err) {
    throw new KittyError(
      'CONFIG_INVALID',
      `${CONFIG_PATH} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      {
        path: CONFIG_PATH,
      },
    )
  }
  const parsed = KittyConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((i) =>
      // zod reports unknown keys at their parent ("" for the top level); name each key instead.
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => ({ path: [...i.path, key].join('.'), message: 'is not a known setting' }))
        : [{ path: i.path.join('.'), message: i.message }],
    )
    const first = issues[0]!
    throw new KittyError('CONFIG_INVALID', `${CONFIG_PATH}: ${first.path || 'settings'} ${first.message}`, {
      path: CONFIG_PATH,
      key: first.path,
      issues,
    })
  }
  // A pattern the matcher cannot compile would stop every delivery; zod only checks it names {wp_id}.
  const problem = branchPatternProblem(parsed.data.merge.branch_pattern)
  if (problem !== null)
    throw new KittyError('CONFIG_INVALID', `${CONFIG_PATH}: merge.branch_pattern ${problem}`, {
      path: CONFIG_PATH,
      key: 'merge.branch_pattern',
      issues: [{ path: 'merge.branch_pattern', message: problem }],
    })
  return parsed.data
}
