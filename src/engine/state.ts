import type { MutationOutcome, Planned } from '../store/commit-mutation.ts'
import { commitMutation } from '../store/commit-mutation.ts'
import { readRef } from '../store/repository.ts'
import { Snapshot } from '../store/snapshot.ts'
import type { EngineContext } from './context.ts'

/** The state branch's tip, for read commands. */
export async function readTip(ctx: EngineContext): Promise<Snapshot> {
  return Snapshot.at(ctx.repo, await readRef(ctx.repo, ctx.branch.ref))
}

/** Run a mutation on the state branch with compare-and-swap and re-validation (store/commit-mutation). */
export function mutate<R>(ctx: EngineContext, plan: (snapshot: Snapshot) => Promise<Planned<R>>): Promise<MutationOutcome<R>> {
  return commitMutation(ctx.repo, { branch: ctx.branch, author: ctx.author, now: ctx.now }, plan)
}
