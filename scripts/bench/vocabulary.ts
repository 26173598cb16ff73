/** Words and sentences in the register of the spec-kitty corpus, for synthetic titles and bodies. */

export const VERBS = [
  'implement', 'refactor', 'migrate', 'validate', 'document', 'wire', 'harden', 'extract', 'consolidate',
  'introduce', 'replace', 'test', 'cache', 'normalize', 'deprecate', 'instrument', 'parallelize', 'audit',
] as const

export const SUBJECTS = [
  'orchestrator', 'dashboard', 'mission loader', 'status board', 'event log', 'worktree manager',
  'merge engine', 'review workflow', 'agent registry', 'template renderer', 'config schema', 'CLI commands',
  'dependency graph', 'lane transitions', 'acceptance checks', 'telemetry', 'sync daemon', 'doctor command',
  'constitution parser', 'release pipeline', 'fixture loader', 'prompt builder', 'workspace resolver',
] as const

export const ASPECTS = [
  'foundation', 'error handling', 'integration tests', 'path conventions', 'migration', 'backward compatibility',
  'performance', 'observability', 'documentation', 'edge cases', 'concurrency', 'packaging', 'security review',
  'schema validation', 'polish', 'cleanup', 'data model', 'API surface',
] as const

export const AGENTS = ['claude', 'claude-opus', 'codex', 'gemini', 'cursor', 'opencode'] as const

export const REVIEWERS = ['Robert Douglass', 'Ada Reviewer', 'claude-reviewer', 'Sam Maintainer'] as const

export const SENTENCES = [
  'Reuse the existing helpers instead of adding a parallel implementation.',
  'Every public function gets a docstring and a unit test covering the failure path.',
  'Keep the change behind the existing configuration flag until the migration lands.',
  'Errors must name the file and the line that caused them, never a bare stack trace.',
  'The command must stay idempotent: running it twice leaves the repository unchanged.',
  'Prefer small pure functions; side effects live at the edges of the module.',
  'Paths are resolved relative to the repository root, never the current directory.',
  'Legacy layouts must keep working; add a regression fixture for each one.',
  'Run the full test suite and the linters before moving the WP to for_review.',
  'Document the new flags in the CLI reference and in the quickstart.',
  'Emit one structured event per state change so the dashboard can replay history.',
  'Timeouts are configurable and default to ten seconds per external call.',
  'Cache detection results at module level for the duration of the session.',
  'The dashboard reads state from the frontmatter only; no side files.',
  'Coordinate with the owner of the dependent WP before changing shared interfaces.',
  'Measure before and after; attach the numbers to the review request.',
  'Fail closed: when the input cannot be parsed, write nothing and report why.',
  'Concurrent invocations must not corrupt the state files; use atomic writes.',
  'Keep the diff focused: unrelated cleanups go into a follow-up WP.',
  'Update the changelog entry under the unreleased section.',
] as const

export const MODULES = [
  'src/specify_cli/orchestrator', 'src/specify_cli/core', 'src/specify_cli/dashboard', 'src/specify_cli/merge',
  'src/specify_cli/status', 'src/specify_cli/cli/commands', 'src/specify_cli/missions', 'tests/integration',
] as const
