'use strict'
// Exit statuses, and which error codes are the operator's to fix.

const EXIT_OK = 0
const EXIT_FAILED = 1
const EXIT_CONFIG = 2

/** Codes that mean "fix the command line, the environment, the installation or the credentials". */
const CONFIG_CODES = new Set([
  'ERR_USAGE',
  'ERR_MISSING_CREDENTIALS',
  'ERR_NATIVE_ADDON',
  'ERR_INVALID_ARGUMENT',
  'ERR_INSECURE_URL',
  'ERR_UNAUTHORIZED',
])
/** Access problems: a configuration error when the whole command fails on one. */
const ACCESS_CODES = new Set(['ERR_MISSING_PERMISSION', 'ERR_MISSING_SCOPE', 'ERR_FORBIDDEN'])

/** An error of the command line itself (the library's own are `CleanupError`s). */
class CliError extends Error {
  constructor(code, message) {
    super(message)
    this.name = 'CliError'
    this.code = code
  }
}

/** The exit status of a command that failed as a whole with this code. */
function exitStatusFor(code) {
  return CONFIG_CODES.has(code) || ACCESS_CODES.has(code) ? EXIT_CONFIG : EXIT_FAILED
}

module.exports = { EXIT_OK, EXIT_FAILED, EXIT_CONFIG, CONFIG_CODES, ACCESS_CODES, CliError, exitStatusFor }
