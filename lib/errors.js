'use strict'
// The one error class callers see. The native binding rejects with a JS
// Error carrying the core error's fields; it is re-created here as a
// CleanupError in the caller's realm, so `instanceof` works in Jest and
// across vm contexts. The codes come from the Rust enum (one list).

// The loader explains a missing platform package (ERR_NATIVE_ADDON).
const binding = require('./native.js')

/** Every error code this package produces. Stable: extended, never renamed. */
const ERROR_CODES = Object.freeze(binding.errorCodes())

// Not copied from a native error: the new error has its own.
const OWN_KEYS = new Set(['name', 'message', 'stack'])

class CleanupError extends Error {
  /** `fields`: `code`, `message` and whatever else the core error carries (status, genesysCode, ...). */
  constructor(fields) {
    super(fields.message)
    this.name = 'CleanupError'
    this.code = fields.code
    for (const key of Object.keys(fields)) {
      if (!OWN_KEYS.has(key) && fields[key] !== undefined && fields[key] !== null) this[key] = fields[key]
    }
  }
}

function isCleanupError(e) {
  return e instanceof CleanupError || (e != null && typeof e === 'object' && e.name === 'CleanupError' && ERROR_CODES.includes(e.code))
}

/** `ERR_INVALID_ARGUMENT` with a message that says what to do. */
function invalidArgument(message) {
  return new CleanupError({ code: 'ERR_INVALID_ARGUMENT', message })
}

// napi's own argument-conversion errors quote the offending value; a value in
// the wrong place may be a secret, so only its type is kept.
function redactConversionMessage(message) {
  // \x60 is a backtick: napi quotes the value in backticks.
  return String(message).replace(/JavaScript value \x60([A-Za-z]+)[^\x60]*\x60/g, 'a JavaScript $1')
}

/** Any failure of a binding call as a CleanupError. */
function fromNative(err) {
  if (err instanceof CleanupError) return err
  if (err != null && typeof err === 'object' && ERROR_CODES.includes(err.code) && typeof err.message === 'string') {
    return new CleanupError(err)
  }
  const message = err && typeof err.message === 'string' ? err.message : String(err)
  return invalidArgument(`Invalid argument: ${redactConversionMessage(message)}. Check the argument types against index.d.ts.`)
}

/** Runs a binding call so that every failure, even a synchronous argument
 * error, surfaces as a rejected promise. */
function callNative(run) {
  try {
    return Promise.resolve(run()).catch((e) => {
      throw fromNative(e)
    })
  } catch (e) {
    return Promise.reject(fromNative(e))
  }
}

/** `fn()`'s promise, or a rejection with what it threw. */
function rejectsWith(fn) {
  try {
    return fn()
  } catch (e) {
    return Promise.reject(fromNative(e))
  }
}

/** A report that would not add up is refused rather than returned. */
function internalError(what) {
  return new CleanupError({ code: 'ERR_INTERNAL', message: `Internal error: ${what} This is a bug in genesys-cleanup; please report it.` })
}

module.exports = { ERROR_CODES, CleanupError, isCleanupError, invalidArgument, fromNative, callNative, rejectsWith, internalError }
