/**
 * Failures of the registration flow. They never reach the engine's envelope (no command ran), so they
 * carry codes of their own; a message never holds the code GitHub sent, a key or a secret.
 */
export type AppSetupErrorCode =
  | 'SETUP_STATE_REJECTED'
  | 'SETUP_REQUEST_INVALID'
  | 'SETUP_CONVERSION_FAILED'
  | 'SETUP_MANIFEST_INVALID'
  | 'ENV_FILE_UNSAFE'

export class AppSetupError extends Error {
  readonly code: AppSetupErrorCode
  constructor(code: AppSetupErrorCode, message: string) {
    super(message)
    this.name = 'AppSetupError'
    this.code = code
  }
}
