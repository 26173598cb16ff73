/**
 * The remote layer's advice names the CLI's levers (KITTY_TOKEN, GITHUB_TOKEN). In a workflow the
 * lever is the Action's `token` input, so the step's summary, check run and failure line say that;
 * the envelope output keeps the engine's message unchanged, as the comment replies do.
 */
const REWRITES: readonly (readonly [RegExp, string])[] = [
  [
    /Set KITTY_TOKEN or GITHUB_TOKEN to a token with write access to the repository\./g,
    "Pass the Action's `token` input a token with `contents: write` on the repository.",
  ],
]

export function adviseActionUsers(message: string): string {
  return REWRITES.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message)
}
