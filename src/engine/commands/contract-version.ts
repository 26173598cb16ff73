import { gte, valid } from '@renovatebot/pep440'
import { CONTRACT_VERSION, MIN_PROVIDER_VERSION } from '../../core/envelope.ts'
import { KittyError } from '../../core/errors.ts'
import type { CommandSpec } from '../framework/command-spec.ts'
import { commandMeta } from '../framework/command-meta.ts'
import { optionalString } from '../framework/request.ts'

export const contractVersion: CommandSpec = {
  ...commandMeta('orchestrator-api', 'contract-version'),
  async run(_ctx, req) {
    const provided = optionalString(req, 'provider-version')
    const versions = { api_version: CONTRACT_VERSION, min_supported_provider_version: MIN_PROVIDER_VERSION }
    if (provided === undefined) return versions
    if (!valid(provided)) {
      throw new KittyError('CONTRACT_VERSION_MISMATCH', `Provider version '${provided}' is not a valid version`, {
        provider_version: provided,
      })
    }
    if (!gte(provided, MIN_PROVIDER_VERSION)) {
      throw new KittyError(
        'CONTRACT_VERSION_MISMATCH',
        `Provider version ${provided} is below the minimum supported ${MIN_PROVIDER_VERSION}`,
        { provider_version: provided, ...versions },
      )
    }
    return { ...versions, provider_version: provided }
  },
}
