import { KittyError } from '../../core/errors.ts'
import { EVIDENCE_FILE, holdsRunEvidence, WORKFLOW_FILE } from '../../core/workflow-evidence.ts'
import { changedPaths } from '../../store/objects/diff-trees.ts'
import { MAX_EVIDENCE_BYTES } from '../../store/state-files/limits.ts'
import type { MissionView } from '../../store/state-files/read-mission.ts'
import { readRef } from '../../store/repository.ts'
import type { Snapshot } from '../../store/objects/snapshot.ts'
import { mergeBases, readCommitInfo } from '../../store/objects/walk-commits.ts'
import type { EngineContext } from '../framework/context.ts'
import { identityOf, wpBranchNames } from './workspace.ts'

/** Workflow files a WP branch changes since it forked from the state tip. */
async function workflowChanges(ctx: EngineContext, stateTip: string, tip: string): Promise<string[]> {
  const treeOf = async (oid: string) => (await readCommitInfo(ctx.repo, oid)).commit.tree
  let base: string | null
  try {
    base = (await mergeBases(ctx.repo, stateTip, tip))[0] ?? null
  } catch {
    // History the repository does not have: compare with the state tip itself (may ask for more
    // evidence than needed, never less).
    base = stateTip
  }
  const paths = await changedPaths(ctx.repo, base ? await treeOf(base) : null, await treeOf(tip))
  return paths.filter((p) => WORKFLOW_FILE.test(p))
}

/**
 * WORKFLOW_EVIDENCE_REQUIRED when the mission's WP branches change GitHub workflows and the mission has
 * no `workflow-evidence.md` naming a run; null when acceptance may go on.
 */
export async function workflowEvidenceProblem(
  ctx: EngineContext,
  snapshot: Snapshot,
  mission: MissionView,
): Promise<KittyError | null> {
  if (snapshot.commit === null) return null
  const changed = new Set<string>()
  for (const branch of wpBranchNames(
    ctx,
    mission,
    (await mission.all()).map(({ wp }) => wp),
  )) {
    const tip = await readRef(ctx.repo, `refs/heads/${branch}`)
    if (tip === null || tip === snapshot.commit) continue
    for (const path of await workflowChanges(ctx, snapshot.commit, tip)) changed.add(path)
  }
  if (changed.size === 0) return null
  const evidencePath = `${mission.path}/${EVIDENCE_FILE}`
  const evidence = await snapshot.readText(evidencePath, MAX_EVIDENCE_BYTES)
  if (evidence !== null && holdsRunEvidence(evidence)) return null
  const files = [...changed].sort()
  return new KittyError(
    'WORKFLOW_EVIDENCE_REQUIRED',
    `Workflow run evidence required: the mission changes ${files.join(', ')}; add ${evidencePath} with the URL ` +
      '(…/actions/runs/<id>) or id ("run id: <id>") of a run of the changed workflows, then accept again.',
    { ...identityOf(mission), required_evidence_path: evidencePath, workflow_files: files },
  )
}
