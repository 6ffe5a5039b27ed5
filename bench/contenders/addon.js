'use strict'
// genesys-cleanup: one CleanupClient. `bulk` (default): one closeConversations
// call over all ids. `each`: closeConversation per id from a pool of
// `concurrency` callers on the same client (a service closing as sessions end).
// BENCH_LIB: the library at a baseline commit (npm run bench -- --baseline REV).
const { CleanupClient } = require(process.env.BENCH_LIB || '../..')
const { pool } = require('./pool')

function setup({ baseUrl, token, fast, style = 'bulk', observeWaits = false, observeAll = false }) {
  const counters = { requests: 0, rateLimited: 0, retries: 0, waits: {}, waitedMs: 0, events: 0 }
  // Only the latency scenarios read the announced waits. Elsewhere no
  // observer is attached, as in a service that does not listen to events:
  // an onEvent listener costs a JS call per event (the addon-events row).
  const onEvent = observeWaits || observeAll
    ? (e) => {
        counters.events++
        if (e.kind !== 'rateLimitWait') return
        counters.waits[e.reason] = (counters.waits[e.reason] || 0) + 1
        counters.waitedMs += e.waitMs || 0
      }
    : undefined
  const client = new CleanupClient({ baseUrl, accessToken: token, onEvent })
  return {
    counters,
    async run(ids, concurrency) {
      if (style === 'each') {
        return pool(ids, concurrency, async (id) => {
          const r = await client.closeConversation(id, { fast })
          counters.requests += r.requests
          counters.retries += r.retries
          return r.outcome
        })
      }
      const report = await client.closeConversations(ids, { concurrency, fast })
      counters.requests = report.requests
      counters.rateLimited = report.rateLimited
      counters.retries = report.retries
      return report.results.map((r) =>
        r.outcome === 'failed' ? { outcome: 'failed', error: `${r.error.status ?? ''} ${r.error.code}`.trim() } : { outcome: r.outcome }
      )
    },
  }
}

module.exports = { setup }
