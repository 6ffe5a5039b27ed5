'use strict'
// The concurrency pool a user writes around a per-id function: N workers
// pulling the next index from a shared counter. Every id gets exactly one
// result ({outcome} or {outcome:'failed', error}), in input order.

async function pool(items, concurrency, fn) {
  const results = new Array(items.length)
  let next = 0
  async function worker() {
    while (next < items.length) {
      const i = next++
      try {
        results[i] = { outcome: await fn(items[i]) }
      } catch (e) {
        results[i] = { outcome: 'failed', error: describe(e) }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return results
}

function describe(e) {
  if (e == null) return String(e)
  if (typeof e !== 'object') return String(e)
  const status = e.status ?? (e.body && e.body.status)
  const code = (e.body && e.body.code) || e.code
  return [status, code, e.message && String(e.message).slice(0, 80)].filter(Boolean).join(' ')
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Ended participant states in Genesys message conversations.
function allEnded(conversation) {
  const ps = (conversation && conversation.participants) || []
  return ps.length > 0 && ps.every((p) => p.state === 'disconnected' || p.state === 'terminated')
}

module.exports = { pool, sleep, allEnded }
