/**
 * The read commands, which registry.ts imports on use. One module for all of them, not one each:
 * every module named in an `import()` splits the bundle further, and a read pays the ESM loader per
 * chunk it loads (see BENCHMARKS.md, "Start-up"). Nothing here imports the write path.
 */
export { history } from '../commands/history.ts'
export { listReady } from '../commands/list-ready.ts'
export { missionState } from '../commands/mission-state.ts'
export { resolveWorkspace } from '../commands/resolve-workspace.ts'
export { transitions } from '../commands/transitions.ts'
