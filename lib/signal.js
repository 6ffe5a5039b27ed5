'use strict'
// The `signal` option: an AbortSignal tied to a native cancellation handle
// for one binding call, and the one check of what counts as a signal (the
// lease scheduler checks its caller's signal with it too).

const binding = require('./native.js')
const { invalidArgument, callNative } = require('./errors.js')

function isAbortSignal(value) {
  return value !== null && typeof value === 'object' && typeof value.addEventListener === 'function' && typeof value.aborted === 'boolean'
}

function notASignal() {
  return invalidArgument('signal must be an AbortSignal (for example AbortSignal.timeout(5000) or controller.signal).')
}

/** Throws ERR_INVALID_ARGUMENT unless `signal` is undefined or an AbortSignal. */
function checkSignal(signal) {
  if (signal !== undefined && !isAbortSignal(signal)) throw notASignal()
}

/**
 * `run(cancel)` as a binding call (every failure a rejected CleanupError),
 * with `cancel` a native handle that `signal` cancels; undefined without a
 * signal. The listener is removed when the call settles.
 */
function withSignal(signal, run) {
  if (signal === undefined || signal === null) return callNative(() => run(undefined))
  if (!isAbortSignal(signal)) return Promise.reject(notASignal())
  const handle = new binding.CancelHandle()
  const onAbort = () => handle.cancel()
  // An already-aborted signal still goes through the native side, which
  // answers ERR_ABORTED before sending anything.
  if (signal.aborted) handle.cancel()
  else signal.addEventListener('abort', onAbort, { once: true })
  return callNative(() => run(handle)).finally(() => signal.removeEventListener('abort', onAbort))
}

module.exports = { checkSignal, withSignal }
