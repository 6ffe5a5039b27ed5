'use strict'
// A client's events on the JS side: one native listener that feeds DEBUG,
// the `logger` and `onEvent`, each isolated (a throwing or rejecting
// listener never stops the others, nor the call), and the delivery of the
// batches the native side hands over.
//
// DEBUG=genesys-cleanup prints every event to stderr (events never carry
// secrets). The `debug` package reads DEBUG (namespaces, wildcards, `-` to
// exclude) as every other Node library does.

const debugLog = require('debug')('genesys-cleanup')
const { guarded } = require('./callbacks.js')
const { invalidArgument } = require('./errors.js')
const { loggerListener } = require('./log.js')

function debugLine(event) {
  const parts = [event.kind]
  if (event.name) parts.push(event.name)
  if (event.method) parts.push(event.method, event.route, `attempt=${event.attempt}`)
  if (event.status !== undefined) parts.push(`status=${event.status}`)
  if (event.durationMs !== undefined) parts.push(`${event.durationMs.toFixed(1)}ms`)
  if (event.waitMs !== undefined) parts.push(`wait=${Math.round(event.waitMs)}ms`)
  if (event.reason) parts.push(`reason=${event.reason}`)
  if (event.code) parts.push(`code=${event.code}`)
  if (event.outcome) parts.push(`outcome=${event.outcome}`)
  if (event.correlationId) parts.push(`correlationId=${event.correlationId}`)
  // Last, so the lines read as before the operation ids.
  if (event.operation !== undefined) parts.push(`op=${event.operation}`)
  debugLog(parts.join(' '))
}

/**
 * The one listener for a client's options, or undefined when nothing
 * listens. Takes `logger` out of `opts`: the native side has no use for it.
 */
function eventListener(opts) {
  const listeners = []
  if (debugLog.enabled) listeners.push(debugLine)
  const log = guarded('logger', loggerListener(opts.logger, invalidArgument), invalidArgument)
  if (log) listeners.push(log)
  const user = guarded('onEvent', opts.onEvent, invalidArgument)
  if (user) listeners.push(user)
  delete opts.logger
  if (listeners.length === 0) return undefined
  if (listeners.length === 1) return listeners[0]
  return (event) => {
    for (const l of listeners) l(event)
  }
}

// The listener is guarded (it never throws), so one slow or failing call
// cannot stop the rest of a batch.
function deliver(batch, listener) {
  for (const event of batch) listener(event)
}

/**
 * Settles as `promise` does, once what `source` still buffers has reached the
 * listener: a caller sees every event of a call before its result.
 */
function deliveredBefore(promise, source, listener) {
  const flush = () => {
    if (listener) deliver(source.takeEvents(), listener)
  }
  return promise.then(
    (value) => {
      flush()
      return value
    },
    (e) => {
      flush()
      throw e
    },
  )
}

module.exports = { eventListener, deliver, deliveredBefore }
