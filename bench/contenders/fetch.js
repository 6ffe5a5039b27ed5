'use strict'
// Node's built-in fetch (undici), the same call sequence as the SDK rows
// (read, then PATCH {state:'disconnected'}), the same pool, and the same
// Retry-After handling as the sdk-retry row (at most 5 retries on 429).
const { pool, sleep, allEnded } = require('./pool')

function setup({ baseUrl, token }) {
  const counters = { requests: 0, rateLimited: 0, retries: 0 }
  const auth = `Bearer ${token}`

  async function call(method, path, body) {
    for (let attempt = 0; ; attempt++) {
      counters.requests++
      const res = await fetch(baseUrl + path, {
        method,
        headers: body === undefined ? { authorization: auth, accept: 'application/json' } : { authorization: auth, accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      if (res.status === 429) {
        counters.rateLimited++
        await res.arrayBuffer()
        if (attempt < 5) {
          const seconds = Number(res.headers.get('retry-after'))
          counters.retries++
          await sleep((Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000)
          continue
        }
      }
      const text = await res.text()
      const parsed = text ? JSON.parse(text) : undefined
      if (!res.ok) throw Object.assign(new Error(`${method} ${path} answered ${res.status}`), { status: res.status, body: parsed })
      return parsed
    }
  }

  async function closeOne(id) {
    const path = `/api/v2/conversations/messages/${encodeURIComponent(id)}`
    const conversation = await call('GET', path)
    if (allEnded(conversation)) return 'alreadyClosed'
    await call('PATCH', path, { state: 'disconnected' })
    return 'closed'
  }

  return {
    counters,
    run: (ids, concurrency) => pool(ids, concurrency, closeOne),
  }
}

module.exports = { setup }
