// CPU pinning for the benches' --split-cores: the measured server on one CPU, what stands in for
// GitHub (the sender, the git test server) on the other, with taskset (util-linux).
import { execFileSync } from 'node:child_process'

/** Every thread of the running process `pid` (and what it starts later) on one CPU. */
export function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' })
}

/** `argv` run on one CPU from its start, or as it is when `cpu` is undefined. */
export function onCpu(argv: string[], cpu: number | undefined): string[] {
  return cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv]
}
