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

function invalid(message) {
  const { CleanupError } = require('./index')
  return new CleanupError({ code: 'ERR_INVALID_ARGUMENT', message })
}

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

/** A Redis call that answers within `ms`, or fails: a lease never waits on a hung Redis. */
function bounded(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * A lease in Redis for `sweep({ lease })` (and `watch`).
 * @param {object} client an ioredis or node-redis client
 * @param {{ key?: string, ttlMs?: number, timeoutMs?: number }} [options]
 */
function redisLease(client, options = {}) {
  const commands = commandsOf(client)
  const ttlMs = options.ttlMs ?? 30_000
  if (!Number.isInteger(ttlMs) || ttlMs < 1000 || ttlMs > 3_600_000) {
    throw invalid(`ttlMs must be a whole number of milliseconds from 1000 to 3600000, got ${String(ttlMs)}.`)
  }
  if (options.key !== undefined && (typeof options.key !== 'string' || options.key.length === 0 || options.key.length > 512)) {
    throw invalid('key must be a non-empty string of at most 512 characters.')
  }
  // A renewal is due every third of the TTL; a Redis call may take at most that.
  const timeoutMs = options.timeoutMs ?? Math.min(2000, Math.floor(ttlMs / 3))
  const token = crypto.randomUUID()
  const keyOf = (name) => options.key ?? name

  return {
    ttlMs,
    holder: token,
    async acquire(name) {
      const key = keyOf(name)
      const set = await bounded(commands.setNx(key, token, ttlMs), timeoutMs, 'SET NX')
      if (set === 'OK') return true
      // Ours already (a second acquire by the same holder): extend it.
      return (await bounded(commands.script(RENEW, key, [token, ttlMs]), timeoutMs, 'the renewal')) === 1
    },
    async renew(name) {
      return (await bounded(commands.script(RENEW, keyOf(name), [token, ttlMs]), timeoutMs, 'the renewal')) === 1
    },
    async release(name) {
      await bounded(commands.script(RELEASE, keyOf(name), [token]), timeoutMs, 'the release')
    },
  }
}

module.exports = { redisLease }
