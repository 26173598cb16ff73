/**
 * The write path and the remote's, for the modules every command imports (state-branch.ts,
 * idempotency.ts, open-context.ts) to import on use, all through this one module: each module named
 * in an `import()` is a chunk boundary for esbuild, and a read pays the ESM loader for every chunk
 * and every import between chunks (see BENCHMARKS.md, "Start-up").
 */
export { commitMutation, resolveIdentity } from '../../store/history/commit-mutation.ts'
export { findDelivery } from '../../store/history/read-history.ts'
export { commitRemoteMutation, STATE_FETCH_DEPTH } from '../../store/remote/commit-remote.ts'
export { fetchBranch, openRemoteCache } from '../../store/remote/remote.ts'
export { sweepAbandonedClaims } from './sweep-abandoned-claims.ts'
