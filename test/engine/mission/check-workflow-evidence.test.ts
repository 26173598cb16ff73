import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { holdsRunEvidence, WORKFLOW_FILE } from '../../../src/core/workflow-evidence.ts'
import { startGitHttpServer } from '../../helpers/git-http-server.ts'
import { api, cleanupTempDirs, git, kitty, makeRepo, tempDir } from '../../helpers/git-repo.ts'
import { fingerprint } from '../../helpers/in-process.ts'

afterAll(cleanupTempDirs)

const M = '099-test-mission'
const EVIDENCE = `kitty-specs/${M}/workflow-evidence.md`
const accept = (repo: string) => api(repo, 'accept-mission', { mission: M, actor: 'claude' })

/** Two approved WPs; WP01's branch touches `path` (a workflow or not). */
function repoWithBranchTouching(path: string): string {
  const repo = makeRepo([
    {
      wps: [
        { id: 'WP01', lane: 'approved' },
        { id: 'WP02', lane: 'approved' },
      ],
    },
  ])
  git(repo, 'checkout', '-q', '-b', `${M}-WP01`)
  mkdirSync(join(repo, path, '..'), { recursive: true })
  writeFileSync(join(repo, path), 'on: push\njobs: {}\n')
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'WP01: ci')
  git(repo, 'checkout', '-q', 'main')
  return repo
}

function commitEvidence(repo: string, text: string): void {
  writeFileSync(join(repo, EVIDENCE), text)
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'evidence')
}

describe('accept-mission: the workflow evidence gate (as upstream HEAD gates it)', () => {
  it('a WP branch changing .github/workflows without evidence → WORKFLOW_EVIDENCE_REQUIRED, nothing written', async () => {
    const repo = repoWithBranchTouching('.github/workflows/ci.yml')
    const before = fingerprint(repo)
    const { code, envelope } = await accept(repo)
    expect(code).toBe(1)
    expect(envelope.error_code).toBe('WORKFLOW_EVIDENCE_REQUIRED')
    expect(envelope.data).toMatchObject({
      mission_slug: M,
      required_evidence_path: EVIDENCE,
      workflow_files: ['.github/workflows/ci.yml'],
    })
    expect(envelope.data.message).toMatch(/^Workflow run evidence required:/)
    expect(fingerprint(repo)).toBe(before)
  })

  it('evidence that names no run is not evidence; a run URL or a labelled run id is', async () => {
    const repo = repoWithBranchTouching('.github/workflows/release.yaml')
    commitEvidence(repo, '# Evidence\n\nIt ran fine on 20261122.\n')
    expect((await accept(repo)).envelope.error_code).toBe('WORKFLOW_EVIDENCE_REQUIRED')
    commitEvidence(repo, '# Evidence\n\nhttps://github.com/acme/app/actions/runs/987654321\n')
    const { envelope } = await accept(repo)
    expect(envelope.error_code).toBeNull()
    expect(JSON.parse(readFileSync(join(repo, 'kitty-specs', M, 'meta.json'), 'utf8'))).toHaveProperty(
      'accepted_by',
      'claude',
    )
  })

  it('branches that change no workflow need no evidence', async () => {
    const repo = repoWithBranchTouching('src/ci.yml')
    expect((await accept(repo)).envelope.error_code).toBeNull()
  })

  it('with --remote the WP branches are fetched for the check', async () => {
    const server = await startGitHttpServer()
    try {
      const bare = server.createBareRepo('project', { from: repoWithBranchTouching('.github/workflows/ci.yml') })
      const before = (await promisify(execFile)('git', ['rev-parse', 'main'], { cwd: bare })).stdout.trim()
      const run = await kitty(
        tempDir(),
        [
          'orchestrator-api',
          'accept-mission',
          '--mission',
          M,
          '--actor',
          'claude',
          '--remote',
          server.repoUrl('project'),
        ],
        {
          KITTY_CACHE_DIR: tempDir('kitty-cache-'),
        },
      )
      expect(run.envelope.error_code).toBe('WORKFLOW_EVIDENCE_REQUIRED')
      expect((await promisify(execFile)('git', ['rev-parse', 'main'], { cwd: bare })).stdout.trim()).toBe(before)
    } finally {
      await server.close()
    }
  })

  it('what counts: workflow paths and run evidence', () => {
    expect(['.github/workflows/ci.yml', '.github/workflows/a.yaml'].every((p) => WORKFLOW_FILE.test(p))).toBe(true)
    expect(
      [
        '.github/workflows/sub/ci.yml',
        '.github/dependabot.yml',
        'x/.github/workflows/ci.yml',
        '.github/workflows/README.md',
      ].some((p) => WORKFLOW_FILE.test(p)),
    ).toBe(false)
    expect(holdsRunEvidence('see https://github.com/o/r/actions/runs/123')).toBe(true)
    expect(holdsRunEvidence('Run ID: 4567890')).toBe(true)
    expect(holdsRunEvidence('run #12345 passed')).toBe(true)
    expect(holdsRunEvidence('passed on 20261122, build 99')).toBe(false)
    expect(holdsRunEvidence('run 1234')).toBe(false)
  })
})
