'use strict'
// genesys-cleanup/otel: the client's events as OpenTelemetry spans and
// metrics. It only listens (an `onEvent` listener): one span per call
// (`closeConversation`, a bulk run, a sweep...), a child span per HTTP
// answer with the semantic-convention attributes, and metrics. Events carry
// path templates, never ids or secrets, so neither do spans. An event with
// an `org` (a fleet's org id, see genesys-cleanup/fleet) puts it on its spans
// and metrics as `genesys_cleanup.org` (`orgOnMetrics: false`: spans only).
//
// `@opentelemetry/api` is an optional peer dependency: this file is the only
// one that loads it, and only when it is required.

let api
try {
  api = require('@opentelemetry/api')
} catch (e) {
  const err = new Error(
    "genesys-cleanup/otel needs the package '@opentelemetry/api' (an optional peer dependency): run `npm install @opentelemetry/api`.",
  )
  err.code = 'ERR_INVALID_ARGUMENT'
  err.cause = e
  throw err
}

const { version } = require('./package.json')
const SCOPE = 'genesys-cleanup'

function metrics(meter) {
  return {
    requests: meter.createCounter('genesys_cleanup.requests', { description: 'HTTP requests answered', unit: '{request}' }),
    retries: meter.createCounter('genesys_cleanup.retries', { description: 'Failed attempts that were retried', unit: '{retry}' }),
    rateLimited: meter.createCounter('genesys_cleanup.rate_limited', { description: 'Answers 429 (Too Many Requests)', unit: '{response}' }),
    rateLimitWaits: meter.createCounter('genesys_cleanup.rate_limit_waits', { description: 'Requests that waited for the rate budget', unit: '{wait}' }),
    rateLimitWaitTime: meter.createHistogram('genesys_cleanup.rate_limit_wait.duration', { description: 'Announced rate-limit waits', unit: 's' }),
    giveUps: meter.createCounter('genesys_cleanup.give_ups', { description: 'Requests that failed for good', unit: '{request}' }),
    outcomes: meter.createCounter('genesys_cleanup.outcomes', { description: 'Conversations by outcome', unit: '{conversation}' }),
    requestDuration: meter.createHistogram('http.client.request.duration', { description: 'Duration of HTTP client requests', unit: 's' }),
    operationDuration: meter.createHistogram('genesys_cleanup.operation.duration', { description: 'Duration of each call', unit: 's' }),
  }
}

// Counts of a bulk report, as outcome names (the keys of BulkProgress).
const COUNT_OUTCOMES = ['closed', 'alreadyClosed', 'notFound', 'skipped', 'wouldClose', 'duplicate', 'failed', 'aborted']

/**
 * Returns `{ onEvent }`: pass it as the `onEvent` option of `CleanupClient`,
 * `closeConversation` or `checkScopes`, or as the `telemetry` option of
 * `CleanupFleet`. `options.tracerProvider` and `options.meterProvider`
 * default to the global ones; `options.orgOnMetrics: false` keeps the org id
 * off the metrics (one series per org otherwise).
 */
function createTelemetry(options = {}) {
  if (options === null || typeof options !== 'object') {
    const err = new TypeError('createTelemetry(options): options must be an object.')
    err.code = 'ERR_INVALID_ARGUMENT'
    throw err
  }
  const tracer = (options.tracerProvider ?? api.trace.getTracerProvider()).getTracer(SCOPE, version)
  const m = metrics((options.meterProvider ?? api.metrics.getMeterProvider()).getMeter(SCOPE, version))
  const orgOnMetrics = options.orgOnMetrics !== false
  // The fleet's org id, when the event has one: on spans always, on metrics unless switched off.
  const org = (e) => (typeof e.org === 'string' ? { 'genesys_cleanup.org': e.org } : undefined)
  const onSpan = (e, attributes) => Object.assign(attributes, org(e))
  const onMetric = (e, attributes) => (orgOnMetrics ? Object.assign(attributes, org(e)) : attributes)
  // Open operation spans by operation id, with the context they were started in.
  const open = new Map()

  const parentOf = (event) => {
    const op = event.operation !== undefined ? open.get(event.operation) : undefined
    return op ? api.trace.setSpan(api.context.active(), op.span) : api.context.active()
  }

  const requestAttributes = (e) => ({ 'http.request.method': e.method, 'url.template': e.route })
  const requestMetric = (e, more) => onMetric(e, { ...requestAttributes(e), ...more })

  function onResponse(e) {
    const now = Date.now()
    const attributes = onSpan(e, { ...requestAttributes(e), 'http.response.status_code': e.status })
    if (e.attempt > 0) attributes['http.request.resend_count'] = e.attempt
    if (e.correlationId) attributes['genesys.correlation_id'] = e.correlationId
    if (e.status >= 400) attributes['error.type'] = String(e.status)
    const span = tracer.startSpan(
      `${e.method} ${e.route}`,
      { kind: api.SpanKind.CLIENT, startTime: now - e.durationMs, attributes },
      parentOf(e),
    )
    if (e.status >= 400) span.setStatus({ code: api.SpanStatusCode.ERROR })
    span.end(now)
    const metricAttributes = requestMetric(e, { 'http.response.status_code': e.status })
    m.requests.add(1, metricAttributes)
    m.requestDuration.record(e.durationMs / 1000, metricAttributes)
    if (e.status === 429) m.rateLimited.add(1, requestMetric(e))
  }

  function onRetry(e) {
    m.retries.add(1, requestMetric(e, { 'genesys_cleanup.retry.reason': e.reason }))
    const op = open.get(e.operation)
    if (op) op.retries += 1
    // A failure without an answer (network, timeout) had no response span: it gets one here.
    if (e.status === undefined) {
      const span = tracer.startSpan(
        `${e.method} ${e.route}`,
        { kind: api.SpanKind.CLIENT, attributes: onSpan(e, { ...requestAttributes(e), 'error.type': e.reason, 'http.request.resend_count': e.attempt }) },
        parentOf(e),
      )
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.reason })
      span.end()
    }
  }

  function onOperationEnd(e) {
    const op = open.get(e.operation)
    open.delete(e.operation)
    const attributes = onMetric(e, { 'genesys_cleanup.operation': e.name })
    if (e.code) attributes['error.type'] = e.code
    m.operationDuration.record((e.durationMs ?? 0) / 1000, attributes)
    if (e.outcome && e.name === 'closeConversation') m.outcomes.add(1, onMetric(e, { 'genesys_cleanup.outcome': e.outcome }))
    if (e.counts) {
      for (const o of COUNT_OUTCOMES) if (e.counts[o] > 0) m.outcomes.add(e.counts[o], onMetric(e, { 'genesys_cleanup.outcome': o }))
    }
    if (!op) return
    const span = op.span
    span.setAttribute('genesys_cleanup.retries', op.retries)
    if (e.outcome) span.setAttribute('genesys_cleanup.outcome', e.outcome)
    if (e.counts) {
      for (const [k, v] of Object.entries(e.counts)) span.setAttribute(`genesys_cleanup.count.${k}`, v)
    }
    if (e.code) {
      span.setAttribute('error.type', e.code)
      if (e.status !== undefined) span.setAttribute('http.response.status_code', e.status)
      if (e.correlationId) span.setAttribute('genesys.correlation_id', e.correlationId)
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.code })
    }
    span.end()
  }

  function onEvent(e) {
    switch (e.kind) {
      case 'operationStart':
        open.set(e.operation, {
          span: tracer.startSpan(`genesys-cleanup ${e.name}`, { kind: api.SpanKind.INTERNAL, attributes: onSpan(e, { 'genesys_cleanup.operation': e.name }) }),
          retries: 0,
        })
        break
      case 'operationEnd':
        onOperationEnd(e)
        break
      case 'response':
        onResponse(e)
        break
      case 'retry':
        onRetry(e)
        break
      case 'rateLimitWait': {
        const attributes = onMetric(e, { 'genesys_cleanup.wait.reason': e.reason })
        m.rateLimitWaits.add(1, attributes)
        m.rateLimitWaitTime.record(e.waitMs / 1000, attributes)
        open.get(e.operation)?.span.addEvent('rateLimitWait', { 'genesys_cleanup.wait_ms': e.waitMs, 'genesys_cleanup.wait.reason': e.reason })
        break
      }
      case 'giveUp': {
        m.giveUps.add(1, requestMetric(e, { 'error.type': e.code }))
        const attributes = onSpan(e, { ...requestAttributes(e), 'error.type': e.code })
        if (e.status !== undefined) attributes['http.response.status_code'] = e.status
        open.get(e.operation)?.span.addEvent('giveUp', attributes)
        break
      }
      default:
        break
    }
  }

  return { onEvent }
}

module.exports = { createTelemetry }
