'use strict'
// The conformance suite's HTTP: plain fetch (it checks the server, not the
// library), every answer bounded in size and time, every exchange kept for
// the trace. Tokens are sent only to the base URL the user chose.

const crypto = require('node:crypto')

const MAX_BODY = 1 << 20
const TIMEOUT_MS = 15_000
/** Headers worth keeping in a trace: what the library reads. */
const KEPT_HEADERS = ['content-type', 'retry-after', 'inin-correlation-id', 'inin-ratelimit-count', 'inin-ratelimit-allowed', 'inin-ratelimit-reset']
const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
const NIL = '00000000-0000-0000-0000-000000000000'

async function readBounded(res) {
  const reader = res.body && res.body.getReader()
  if (!reader) return ''
  const chunks = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > MAX_BODY) {
      await reader.cancel()
      throw new Error(`answer larger than ${MAX_BODY} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

class Http {
  constructor(ctx) {
    this.endpoints = ctx.endpoints
    this.credentials = ctx.credentials
    this.conversationId = ctx.conversationId
    this.writes = ctx.writes
    this.deploymentId = ctx.deploymentId
    this.guest = ctx.guest
    this.trace = []
    this.current = null
    this.bearer = ctx.credentials.accessToken || null
  }

  async exchange(method, url, headers, body) {
    const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) })
    const text = await readBounded(res)
    let json
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    const kept = {}
    for (const name of KEPT_HEADERS) {
      const v = res.headers.get(name)
      if (v !== null) kept[name] = v
    }
    this.trace.push({ check: this.current, method, path: new URL(url).pathname, status: res.status, headers: kept, body: json === undefined ? (text ? '<not JSON>' : null) : json })
    return { status: res.status, headers: kept, json }
  }

  token(clientId, clientSecret) {
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64')
    return this.exchange('POST', `${this.endpoints.login}/oauth/token`, { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials')
  }

  async api(method, path, body, token) {
    if (!token && !this.bearer) {
      const r = await this.token(this.credentials.clientId, this.credentials.clientSecret)
      if (r.status !== 200 || !r.json || typeof r.json.access_token !== 'string') throw new Error(`no token: the token endpoint answered ${r.status}`)
      this.bearer = r.json.access_token
    }
    const headers = { authorization: `Bearer ${token || this.bearer}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    return this.exchange(method, `${this.endpoints.api}${path}`, headers, body === undefined ? undefined : JSON.stringify(body))
  }
}

/**
 * An unauthenticated GET of a public file (a deployment's `config.json`), on
 * the CDN host of the region or the base URL: no token is sent.
 */
Http.prototype.publicGet = function publicGet(path) {
  return this.exchange('GET', `${this.endpoints.cdn}${path}`, {}, undefined)
}

/** A stable stand-in for an id, still shaped like a UUID (the nil UUID kept). */
function hashId(id) {
  if (id === NIL) return id
  const h = crypto.createHash('sha256').update(id.toLowerCase()).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

const SECRET_KEYS = /^(access_token|refresh_token|id_token|token|client_secret|secret|password)$/i
const NAME_KEYS = /^(name|email|username|description)$/i

function redactValue(v, key) {
  if (typeof v === 'string') {
    if (key && SECRET_KEYS.test(key)) return '<redacted>'
    if (key && NAME_KEYS.test(key)) return '<redacted>'
    return v.replace(UUID_ANYWHERE, hashId)
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x))
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactValue(x, k)]))
  return v
}

/**
 * The trace as written: no token or secret (the Authorization header is never
 * kept; token fields are blanked), ids hashed, names blanked.
 */
function redactTrace(trace, report) {
  return {
    format: 'genesys-cleanup-conformance-trace/1',
    report: redactValue(report),
    exchanges: trace.map((e) => ({ ...e, path: e.path.replace(UUID_ANYWHERE, hashId), headers: redactValue(e.headers), body: redactValue(e.body) })),
  }
}

module.exports = { Http, redactTrace, hashId }
