'use strict'
// The conformance suite's HTTP: plain fetch (it checks the server, not the
// library), every answer bounded in size and time, every exchange kept for
// the trace. Tokens are sent only to the base URL the user chose.

const crypto = require('node:crypto')
const http = require('node:http')
const https = require('node:https')

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

// A small WebSocket client for the guest check (Node 20 has no global
// WebSocket, and the suite has no dependencies): text frames out (masked),
// text, close and ping frames in, every message bounded.

const MAX_MESSAGE = 1 << 20

/** Opens `url` (ws:// or wss://); resolves to { send, next, close } or rejects with the HTTP status. */
function openSocket(url, timeoutMs) {
  const u = new URL(url)
  const tls = u.protocol === 'wss:'
  const key = crypto.randomBytes(16).toString('base64')
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).request({
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port || (tls ? 443 : 80),
      path: `${u.pathname}${u.search}`,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13' },
      timeout: timeoutMs,
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to the upgrade within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.on('response', (res) => {
      res.resume()
      reject(new Error(`the upgrade was refused: HTTP ${res.statusCode}`))
    })
    req.on('upgrade', (res, socket, head) => resolve(wrap(socket, head)))
    req.end()
  })
}

function wrap(socket, head) {
  let buf = head && head.length ? Buffer.from(head) : Buffer.alloc(0)
  let parts = []
  let closed = false
  const messages = []
  const waiters = []
  const settle = () => {
    while (waiters.length && (messages.length || closed)) waiters.shift()(messages.length ? messages.shift() : null)
  }
  const frame = (opcode, payload) => {
    const mask = crypto.randomBytes(4)
    const n = payload.length
    const len = n < 126 ? Buffer.from([0x80 | n]) : n < 65536 ? Buffer.from([0x80 | 126, n >> 8, n & 255]) : Buffer.concat([Buffer.from([0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b })()])
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))
    return Buffer.concat([Buffer.from([0x80 | opcode]), len, mask, body])
  }
  const parse = () => {
    for (;;) {
      if (buf.length < 2) return
      const fin = buf[0] & 0x80
      const opcode = buf[0] & 0x0f
      let len = buf[1] & 0x7f
      let at = 2
      if (len === 126) {
        if (buf.length < 4) return
        len = buf.readUInt16BE(2)
        at = 4
      } else if (len === 127) {
        if (buf.length < 10) return
        len = Number(buf.readBigUInt64BE(2))
        at = 10
      }
      const masked = buf[1] & 0x80
      if (len > MAX_MESSAGE) return socket.destroy(new Error('a frame larger than 1 MiB'))
      if (buf.length < at + (masked ? 4 : 0) + len) return
      let payload = buf.subarray(at + (masked ? 4 : 0), at + (masked ? 4 : 0) + len)
      if (masked) {
        const m = buf.subarray(at, at + 4)
        payload = Buffer.from(payload.map((b, i) => b ^ m[i % 4]))
      }
      buf = buf.subarray(at + (masked ? 4 : 0) + len)
      if (opcode === 8) {
        closed = true
        socket.end()
        settle()
        return
      }
      if (opcode === 9) socket.write(frame(10, payload))
      if (opcode === 1 || opcode === 0) {
        parts.push(Buffer.from(payload))
        if (fin) {
          messages.push(Buffer.concat(parts).toString('utf8'))
          parts = []
          settle()
        }
      }
    }
  }
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d])
    parse()
  })
  const end = () => {
    closed = true
    settle()
  }
  socket.on('close', end)
  socket.on('error', end)
  if (buf.length) parse()
  return {
    send: (text) => socket.write(frame(1, Buffer.from(text, 'utf8'))),
    /** The next text message, or null when the socket closed or `ms` passed. */
    next: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(done)
          if (i >= 0) waiters.splice(i, 1)
          resolve(null)
        }, ms)
        const done = (m) => {
          clearTimeout(timer)
          resolve(m)
        }
        waiters.push(done)
        settle()
      }),
    close: () => {
      if (!socket.destroyed) {
        socket.write(frame(8, Buffer.from([0x03, 0xe8])))
        socket.end()
      }
    },
  }
}

module.exports = { Http, redactTrace, hashId, openSocket }
