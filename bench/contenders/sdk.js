'use strict'
// The official Genesys Cloud JS SDK (purecloud-platform-client-v2), used the
// way its README shows: ApiClient.instance, setAccessToken, ConversationsApi.
//
// Pointing it at the emulator: ApiClient.setEnvironment(env) strips any
// protocol and always builds `https://api.${env}` (and `https://login.${env}`),
// so setEnvironment('http://127.0.0.1:PORT') would give
// https://api.127.0.0.1:PORT. The SDK's documented gateway setting replaces
// protocol, host and port of every URL (Configuration.getConfUrl), so
// setGateway({protocol:'http', host:'127.0.0.1', port}) reaches the emulator
// without touching the SDK's files. The rest (axios, Node's global http agent
// with keep-alive) is as a user gets it.
const platformClient = require('purecloud-platform-client-v2')
const { pool, sleep, allEnded } = require('./pool')

function setup({ baseUrl, token, retry }) {
  const client = platformClient.ApiClient.instance
  const url = new URL(baseUrl)
  client.setGateway({ protocol: url.protocol.replace(':', ''), host: url.hostname, port: Number(url.port) })
  client.setAccessToken(token)
  // The retry wrapper needs the Retry-After header: extended responses carry
  // headers ({status, headers, body}) on success and on failure.
  if (retry) client.setReturnExtendedResponses(true)
  const api = new platformClient.ConversationsApi()
  const counters = { requests: 0, rateLimited: 0, retries: 0 }

  // What a careful user adds: honour Retry-After on 429, at most 5 retries.
  async function call(fn) {
    for (let attempt = 0; ; attempt++) {
      counters.requests++
      try {
        return await fn()
      } catch (e) {
        const status = e && e.status
        if (status === 429) counters.rateLimited++
        if (retry && status === 429 && attempt < 5) {
          const seconds = Number(e.headers && e.headers['retry-after'])
          counters.retries++
          await sleep((Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000)
          continue
        }
        throw e
      }
    }
  }

  async function closeOne(id) {
    const read = await call(() => api.getConversationsMessage(id))
    const conversation = retry ? read.body : read
    if (allEnded(conversation)) return 'alreadyClosed'
    await call(() => api.patchConversationsMessage(id, { state: 'disconnected' }))
    return 'closed'
  }

  return {
    counters,
    run: (ids, concurrency) => pool(ids, concurrency, closeOne),
  }
}

module.exports = { setup }
