import { describe, expect, it } from 'vitest'
import { EVIDENCE_FILE, holdsRunEvidence, WORKFLOW_FILE } from '../../src/core/workflow-evidence.ts'

describe('workflow evidence (accept-mission gate on .github/workflows changes)', () => {
  it.each([
    ['.github/workflows/ci.yml', true],
    ['.github/workflows/release.yaml', true],
    ['.github/workflows/nested/ci.yml', false],
    ['.github/workflows/ci.yml.bak', false],
    ['.github/workflows/ci.json', false],
    ['x/.github/workflows/ci.yml', false],
    ['.github/ci.yml', false],
    ['.github/workflows/.yml', false],
  ])('%s is a workflow file: %s', (path, expected) => expect(WORKFLOW_FILE.test(path)).toBe(expected))

  it('the evidence lives in workflow-evidence.md', () => expect(EVIDENCE_FILE).toBe('workflow-evidence.md'))

  it.each([
    ['Ran: https://github.com/acme/shop/actions/runs/123', true],
    ['http://ghe.example/acme/shop/actions/runs/9', true],
    ['https://github.com/acme/actions/runs/123', false],
    ['https://github.com/acme/shop/actions/runs/', false],
    ['run 12345', true],
    ['Run ID: 123456', true],
    ['run_id=12345', true],
    ['run-id #12345', true],
    ['runid 12345', true],
    ['run 1234', false],
    ['12345678', false],
    ['rerun 12345', false],
    ['run 123456789x', false],
    ['', false],
  ])('%j holds run evidence: %s', (text, expected) => expect(holdsRunEvidence(text)).toBe(expected))
})
