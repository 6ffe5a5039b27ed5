'use strict'
// The `logger` option: the client's events as log lines, on any logger with
// pino/winston-style `debug`, `info`, `warn` and `error` methods. Events carry
// path templates, codes and counts only: never an id, a token or a secret, so
// nothing here has to redact.

const METHODS = ['debug', 'info', 'warn', 'error']

/** The level of each event kind (operationEnd and giveUp depend on the result). */
function levelOf(event) {
  switch (event.kind) {
    case 'retry':
      return 'warn'
    case 'rateLimitWait':
      return 'info'
    case 'giveUp':
      // A request's failure is not yet the call's: a refused conversation
      // PATCH falls back to per-participant PATCHes. The call's end says.
      return event.code === 'ERR_ABORTED' ? 'info' : 'warn'
    case 'operationEnd':
      if (!event.code) return 'info'
      return event.code === 'ERR_ABORTED' ? 'info' : 'error'
    default:
      return 'debug'
  }
}

function ms(n) {
  return `${Math.round(n * 10) / 10}ms`
}

/** A short human line; the structured fields travel beside it. */
function messageOf(e) {
  const req = `${e.method} ${e.route}`
  switch (e.kind) {
    case 'request':
      return `genesys-cleanup: ${req} (attempt ${e.attempt})`
    case 'response':
      return `genesys-cleanup: ${req} -> ${e.status} in ${ms(e.durationMs)}`
    case 'retry':
      return `genesys-cleanup: ${req} will be retried (${e.reason}${e.status ? `, status ${e.status}` : ''}${e.waitMs !== undefined ? `, in ${ms(e.waitMs)}` : ''})`
    case 'rateLimitWait':
      return `genesys-cleanup: ${req} waits ${ms(e.waitMs)} for the rate limit (${e.reason})`
    case 'tokenRefresh':
      return 'genesys-cleanup: fetching an OAuth token'
    case 'giveUp':
      return `genesys-cleanup: ${req} failed: ${e.code}${e.status ? ` (status ${e.status})` : ''}`
    case 'operationStart':
      return `genesys-cleanup: ${e.name} started`
    case 'operationEnd':
      if (e.code) return `genesys-cleanup: ${e.name} failed with ${e.code} after ${ms(e.durationMs)}`
      return `genesys-cleanup: ${e.name} done${e.outcome ? `: ${e.outcome}` : ''} in ${ms(e.durationMs)}`
    default:
      return `genesys-cleanup: ${e.kind}`
  }
}

/**
 * pino and bunyan take `(fields, message)`; winston takes `(message, fields)`
 * (given `(fields, message)` it drops the message). A winston logger is known
 * by its `transports`; anything else (pino, bunyan, console) gets `(fields, message)`.
 */
function isWinstonStyle(logger) {
  return Array.isArray(logger.transports) || (logger.transports !== null && typeof logger.transports === 'object' && typeof logger.add === 'function')
}

/**
 * Validates `logger` and returns an event listener feeding it, or undefined.
 * `invalid(message)` builds the caller's typed error.
 */
function loggerListener(logger, invalid) {
  if (logger === undefined || logger === null) return undefined
  if (typeof logger !== 'object' && typeof logger !== 'function') {
    throw invalid(`logger must be an object with debug, info, warn and error methods (pino, winston, console), got ${typeof logger}.`)
  }
  const missing = METHODS.filter((m) => typeof logger[m] !== 'function')
  if (missing.length > 0) {
    throw invalid(`logger lacks the method${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: give an object with debug, info, warn and error methods (pino, winston, console).`)
  }
  const winston = isWinstonStyle(logger)
  return (event) => {
    const level = levelOf(event)
    const fields = { component: 'genesys-cleanup', event: event.kind, ...event }
    delete fields.kind
    const message = messageOf(event)
    // Returned, so `guarded` sees a rejected promise of an async logger.
    return winston ? logger[level](message, fields) : logger[level](fields, message)
  }
}

module.exports = { loggerListener, levelOf }
