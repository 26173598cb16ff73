import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readWorkflowEvent } from '../../src/action/read-workflow-event.ts'

describe("readWorkflowEvent (the runner's event, read without @actions/github)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kitty-event-'))

  it('reads the name, payload, sha and actor the runner sets', () => {
    const path = join(dir, 'event.json')
    writeFileSync(path, JSON.stringify({ action: 'created', comment: { body: '/kitty state' } }))
    const event = readWorkflowEvent({
      GITHUB_EVENT_NAME: 'issue_comment',
      GITHUB_EVENT_PATH: path,
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_ACTOR: 'octocat',
    })
    expect(event).toEqual({
      name: 'issue_comment',
      payload: { action: 'created', comment: { body: '/kitty state' } },
      sha: 'a'.repeat(40),
      actor: 'octocat',
    })
  })

  it('a missing or unparsable event file is an empty payload, not a crash', () => {
    const broken = join(dir, 'broken.json')
    writeFileSync(broken, '{"action": ')
    expect(readWorkflowEvent({ GITHUB_EVENT_PATH: broken, GITHUB_EVENT_NAME: 'push' }).payload).toEqual({})
    expect(readWorkflowEvent({ GITHUB_EVENT_PATH: join(dir, 'absent.json') }).payload).toEqual({})
    expect(readWorkflowEvent({})).toEqual({ name: '', payload: {}, sha: '', actor: '' })
  })
})
