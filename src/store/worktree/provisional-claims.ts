import fs from 'node:fs/promises'
import { join } from 'node:path'
import type { Repository } from '../repository.ts'
import { isStaleTemp, ownerTag } from '../safe-fs/temp-files.ts'

/**
 * start-implementation makes the WP branch and its worktree while the claim commits, so a process
 * killed in between leaves a branch (and worktree) for a claim that never landed. Before making them
 * it writes a record naming what it made; the record goes once the claim has landed or been undone.
 * A record whose process is gone is the proof that what it names was never settled: the next command
 * removes the branch and worktree if the WP is still unclaimed and nobody has committed on them.
 */
export interface ProvisionalClaim {
  missionDir: string
  wpId: string
  branch: string
  /** Where the branch was created; a branch that moved since holds someone's work and is kept. */
  start: string
  workspace: string
  /**
   * The branch did not exist when the record was written, so whoever made it since holds a record of
   * their own (a live one is respected) or is this process. A branch that existed is never removed.
   */
  branchWasAbsent: boolean
}

export interface ProvisionalRecord {
  path: string
  claim: ProvisionalClaim
}

function recordsDir(repo: Repository): string {
  return join(repo.gitdir, 'kitty', 'provisional-claims')
}

export async function writeProvisional(repo: Repository, claim: ProvisionalClaim): Promise<string> {
  const target = join(recordsDir(repo), `${ownerTag()}.json`)
  await fs.mkdir(recordsDir(repo), { recursive: true })
  // Written in place, not renamed: a torn record reads as unparseable and is dropped, never acted on.
  await fs.writeFile(target, JSON.stringify(claim))
  return target
}

export async function settleProvisional(path: string): Promise<void> {
  await fs.rm(path, { force: true })
}

export interface ProvisionalRecords {
  /** Records of processes that are gone (on this host). */
  abandoned: ProvisionalRecord[]
  /** Branches named by records of processes still running: theirs, whatever an old record says. */
  liveBranches: Set<string>
}

export async function readProvisionals(repo: Repository): Promise<ProvisionalRecords> {
  const names = await fs.readdir(recordsDir(repo)).catch(() => [] as string[])
  const found: ProvisionalRecords = { abandoned: [], liveBranches: new Set() }
  for (const name of names) {
    const path = join(recordsDir(repo), name)
    let claim: ProvisionalClaim
    try {
      claim = JSON.parse(await fs.readFile(path, 'utf8')) as ProvisionalClaim
    } catch {
      if (isStaleTemp(name)) await settleProvisional(path)
      continue
    }
    if (isStaleTemp(name)) found.abandoned.push({ path, claim })
    else found.liveBranches.add(claim.branch)
  }
  return found
}
