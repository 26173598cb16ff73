import { join } from 'node:path'
import { afterAll } from 'vitest'
import { openEmbeddedQueue } from '../../../src/app/queue/open-embedded-queue.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/git-repo.ts'
import { describeDeliveryQueueContract } from './delivery-queue.contract.ts'

afterAll(() => cleanupTempDirs())

describeDeliveryQueueContract('embedded (node:sqlite)', {
  async storage() {
    const file = join(tempDir('kitty-queue-'), 'cache', 'kitty-deliveries.sqlite')
    return { open: (options) => openEmbeddedQueue({ file, pollMs: 50, ...options }) }
  },
})
