'use strict'
// genesys-cleanup/redis: a lease in one Redis, so that of several replicas
// exactly one sweeps (or watches) an org at a time, and another takes over
// when it dies. The standard single-instance pattern: SET key token NX PX ttl
// to take it; renew and release only while the key still holds our token
// (one Lua script each, atomic in Redis). A single Redis is assumed: on a
// failover to a replica that had not yet received the key, two holders can
// overlap for up to one TTL (closing is idempotent, so the cost is duplicate
// requests, never a wrong close).

const crypto = require('node:crypto')

const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

const { invalidArgument: invalid } = require('./lib/errors.js')
const { bounded } = require('./lib/bounded.js')

const OPTIONS = ['key', 'ttlMs', 'timeoutMs']

/** The three Redis commands we need, over either client library. */
function commandsOf(client) {
  if (!client || typeof client !== 'object') throw invalid('redisLease needs an ioredis or node-redis client as its first argument.')
  // ioredis: positional arguments; `status` is a string ('ready', 'connecting', ...).
  if (typeof client.status === 'string' && typeof client.eval === 'function') {
    return {
      setNx: (key, value, ttlMs) => client.set(key, value, 'PX', ttlMs, 'NX'),
      get: (key) => client.get(key),
      script: (source, key, args) => client.eval(source, 1, key, ...args),
    }
  }
  // node-redis (v4 and later): options objects; `isOpen` is a boolean.
  if (typeof client.isOpen === 'boolean' && typeof client.eval === 'function') {
    return {
      setNx: (key, value, ttlMs) => client.set(key, value, { NX: true, PX: ttlMs }),
      get: (key) => client.get(key),
      script: (source, key, args) => client.eval(source, { keys: [key], arguments: args.map(String) }),
    }
  }
  throw invalid('redisLease needs an ioredis client (new Redis(...)) or a node-redis client (createClient(...), connected).')
}


/**
 * A lease in Redis for `sweep({ lease })` (and `watch`).
 * @param {object} client an ioredis or node-redis client
 * @param {{ key?: string, ttlMs?: number, timeoutMs?: number }} [options]
 */
function redisLease(client, options = {}) {
  const commands = commandsOf(client)
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid(`redisLease options must be an object ({ key?, ttlMs?, timeoutMs? }), got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}.`)
  }
  const unknown = Object.keys(options).filter((k) => !OPTIONS.includes(k))
  if (unknown.length > 0) {
    throw invalid(`redisLease does not know the option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; it takes ${OPTIONS.join(', ')}.`)
  }
  const ttlMs = options.ttlMs ?? 30_000
  if (!Number.isInteger(ttlMs) || ttlMs < 1000 || ttlMs > 3_600_000) {
    throw invalid(`ttlMs must be a whole number of milliseconds from 1000 to 3600000, got ${shown(ttlMs)}.`)
  }
  if (options.key !== undefined && (typeof options.key !== 'string' || options.key.length === 0 || options.key.length > 512)) {
    throw invalid('key must be a non-empty string of at most 512 characters.')
  }
  // A renewal is due every third of the TTL; a Redis call may take at most that.
  const maxTimeout = Math.floor(ttlMs / 3)
  const timeoutMs = options.timeoutMs ?? Math.min(2000, maxTimeout)
  if (!Number.isInteger(timeoutMs) || timeoutMs < 10 || timeoutMs > maxTimeout) {
    throw invalid(`timeoutMs must be a whole number of milliseconds from 10 to ${maxTimeout} (a third of ttlMs: a renewal is due that often), got ${shown(timeoutMs)}.`)
  }
  const holder = crypto.randomUUID()
  const keyOf = (name) => options.key ?? name
  // One token per acquisition: a release frees only what its own job took,
  // and this holder never takes a lease it already holds (a second job on
  // the same name gets false, not a share of the first one's lease).
  const tokens = new Map()
  let taken = 0

  return {
    ttlMs,
    holder,
    async acquire(name) {
      const key = keyOf(name)
      const ours = tokens.get(key)
      if (ours !== undefined) {
        // Still ours in Redis: a job of this holder has it. Not ours any
        // more (it ran out, or Redis lost it): that token is history.
        if ((await bounded(commands.get(key), timeoutMs, 'GET')) === ours) return false
        if (tokens.get(key) === ours) tokens.delete(key)
        else return false
      }
      const token = `${holder}:${++taken}`
      tokens.set(key, token)
      let set
      try {
        set = await bounded(commands.setNx(key, token, ttlMs), timeoutMs, 'SET NX')
      } finally {
        if (set !== 'OK') tokens.delete(key)
      }
      return set === 'OK'
    },
    async renew(name) {
      const token = tokens.get(keyOf(name))
      if (token === undefined) return false
      return (await bounded(commands.script(RENEW, keyOf(name), [token, ttlMs]), timeoutMs, 'the renewal')) === 1
    },
    async release(name) {
      const key = keyOf(name)
      const token = tokens.get(key)
      if (token === undefined) return
      tokens.delete(key)
      await bounded(commands.script(RELEASE, key, [token]), timeoutMs, 'the release')
    },
  }
}

/** A rejected option value, shown safely (a Symbol or an object has no plain String form). */
function shown(value) {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value)
  return `a ${typeof value}`
}

module.exports = { redisLease }
