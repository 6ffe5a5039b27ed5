'use strict'
// genesys-cleanup: one CleanupClient, one closeConversations call over all ids.
const { CleanupClient } = require('../..')

function setup({ baseUrl, token, fast }) {
  const client = new CleanupClient({ baseUrl, accessToken: token })
  const counters = { requests: 0, rateLimited: 0, retries: 0 }
  return {
    counters,
    async run(ids, concurrency) {
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
