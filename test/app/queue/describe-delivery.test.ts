import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeDelivery } from '../../../src/app/queue/describe-delivery.ts'
import { PROJECT_ROOT } from '../../helpers/git-repo.ts'

describe('describeDelivery', () => {
  it('keeps the body byte for byte and reads repository and installation from a recorded GitHub payload', () => {
    const body = readFileSync(join(PROJECT_ROOT, 'test/fixtures/events/issue_comment.state.json'), 'utf8')
    const payload = JSON.parse(body)
    payload.installation = { id: 4242 }
    payload.repository.owner.login = 'Octo-Org'
    payload.repository.name = 'Hello.World'
    const text = `${JSON.stringify(payload, null, 1)}\n`
    const d = describeDelivery({ id: 'abc-1', event: 'issue_comment', body: text, receivedAt: 17 })
    expect(d).toEqual({
      id: 'abc-1',
      event: 'issue_comment',
      body: text,
      receivedAt: 17,
      installationId: 4242,
      repository: 'octo-org/hello.world',
    })
  })

  it('records what it cannot read as a bare delivery, never throwing', () => {
    for (const body of ['', 'not json', '[1,2]', 'null', '{"repository":{"name":""},"installation":{"id":"7"}}']) {
      const d = describeDelivery({ id: 'x', event: 'ping', body })
      expect(d).toEqual({ id: 'x', event: 'ping', body, receivedAt: d.receivedAt })
      expect(Math.abs(d.receivedAt - Date.now())).toBeLessThan(5_000)
    }
    expect(describeDelivery({ id: 'y', event: 'e', body: '{"repository":{"full_name":"A/B"}}' }).repository).toBe('a/b')
  })
})
