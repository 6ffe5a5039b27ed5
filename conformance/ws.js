'use strict'
// A small WebSocket client for the conformance suite's guest check (Node 20
// has no global WebSocket, and the suite has no dependencies): text frames
// out (masked), text, close and ping frames in, every message bounded.

const crypto = require('node:crypto')
const http = require('node:http')
const https = require('node:https')

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

module.exports = { openSocket }
