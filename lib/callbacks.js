'use strict'
// User callbacks (onEvent, onProgress, the logger, a lease store's methods)
// are called from native callbacks and timers, where anything they throw
// would become an uncaught exception or an unhandled rejection and end the
// process. Everything goes through here: a synchronous throw and an async
// rejection are both contained, and the first failure of each callback is
// reported once, described without trusting the thrown value.

/** Longest description kept of a thrown value. */
const MAX_DESCRIPTION = 300

/**
 * A description of anything a callback may throw: a Symbol, a
 * null-prototype object, an Error whose getters throw, a revoked Proxy.
 * Never throws.
 */
function describeThrown(value) {
  try {
    return clip(describe(value))
  } catch {
    return 'an unprintable value'
  }
}

function describe(value) {
  switch (typeof value) {
    case 'string':
      return value
    case 'symbol':
      // Template literals and String concatenation throw on a Symbol.
      return `a Symbol (${Symbol.prototype.toString.call(value)})`
    case 'undefined':
      return 'undefined'
    case 'object':
    case 'function':
      if (value === null) return 'null'
      return describeObject(value)
    default:
      return String(value)
  }
}

function describeObject(value) {
  let message
  try {
    message = value.message
  } catch {
    message = undefined
  }
  if (typeof message === 'string' && message.length > 0) return message
  let tag
  try {
    tag = Object.prototype.toString.call(value)
  } catch {
    // A revoked Proxy throws even here.
    return 'an unprintable object'
  }
  return `a thrown value that is not an Error (${tag})`
}

function clip(text) {
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}...` : text
}

/**
 * Calls `fn(value)` and contains whatever it does: a throw, a rejected
 * promise, a returned object whose `then` getter throws. `report(e)` learns
 * of each failure; it must not throw.
 */
function callContained(fn, value, report) {
  let returned
  try {
    returned = fn(value)
  } catch (e) {
    report(e)
    return undefined
  }
  try {
    if (returned !== null && (typeof returned === 'object' || typeof returned === 'function')) {
      const then = returned.then
      if (typeof then === 'function') then.call(returned, undefined, report)
    }
  } catch (e) {
    report(e)
  }
  return returned
}

/**
 * `fn` wrapped so that it never throws nor rejects into the caller, with
 * its first failure warned about once (later failures are not reported).
 * `invalid(message)` builds the typed error for a value that is not a function.
 */
function guarded(name, fn, invalid) {
  if (fn === undefined || fn === null) return undefined
  if (typeof fn !== 'function') throw invalid(`${name} must be a function.`)
  let reported = false
  const report = (e) => {
    if (reported) return
    reported = true
    process.emitWarning(`genesys-cleanup: the ${name} callback failed (${describeThrown(e)}); later failures of this callback are not reported.`)
  }
  return (value) => {
    callContained(fn, value, report)
  }
}

module.exports = { describeThrown, guarded, callContained }
