'use strict'
// The fleet's Redis: presence of replicas and one lease per org, in Lua
// scripts (each atomic in Redis, each one round trip), on the server's clock.
//
// Keys share the hash tag `{<fleet>}`, so every script is legal on Redis
// Cluster too. With P = `genesys-cleanup:fleet:{<fleet>}`:
// - `P:replica:<id>`: presence, value = this process's incarnation (a UUID),
//   PX ttl. A second live process with the same replica id is refused
//   (`conflict`) until the first one's key expires.
// - `P:replicas`: ZSET replica id -> expiry (server ms), written by the same
//   script: a listable mirror of the presence keys, one clock for all.
// - `P:org:<orgId>`: the org's lease, value `<replicaId>|<incarnation>|<since
//   server ms>`, fixed for the term; renewed and released only while it holds
//   that value (the pattern of genesys-cleanup/redis).
//
// A pass is one PASS script (heartbeat, renew what this replica holds, read
// every configured org's key), then at most one ACQUIRE (SET NX down a list
// of free orgs in order of preference until enough are taken: two replicas
// racing for free orgs never both fail on the same one) and one RELEASE.

const { invalidArgument } = require('../errors.js')
const { bounded } = require('../bounded.js')

// Milliseconds of the server's clock. Scripts that read TIME and then write
// need effects replication (the default since Redis 5; asked for on older).
const NOW = `if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

// KEYS: presence, index, held org keys (nheld), then every org key to read.
// ARGV: incarnation, ttl, replica id, nheld, the held keys' values.
const PASS = `${NOW}
local inc, ttl, id, nheld = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local status = 'ok'
local cur = redis.call('GET', KEYS[1])
if cur == inc then redis.call('PEXPIRE', KEYS[1], ttl)
elseif not cur then redis.call('SET', KEYS[1], inc, 'PX', ttl)
else status = 'conflict' end
if status == 'ok' then redis.call('ZADD', KEYS[2], now + ttl, id) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local renewed = {}
for i = 1, nheld do
  local k = KEYS[2 + i]
  if status == 'ok' and redis.call('GET', k) == ARGV[4 + i] then
    redis.call('PEXPIRE', k, ttl)
    renewed[i] = 1
  else
    renewed[i] = 0
  end
end
local values = {}
for i = 3 + nheld, #KEYS do values[#values + 1] = redis.call('GET', KEYS[i]) end
return { status, now, redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'), renewed, values }`

// KEYS: free org keys in order of preference. ARGV: value prefix, ttl, want.
// Returns { index (1-based), value, ... } of those taken.
const ACQUIRE = `${NOW}
local prefix, ttl, want = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local got = {}
local n = 0
for i = 1, #KEYS do
  if n >= want then break end
  local v = prefix .. now
  if redis.call('SET', KEYS[i], v, 'NX', 'PX', ttl) then
    n = n + 1
    got[#got + 1] = i
    got[#got + 1] = v
  end
end
return got`

// KEYS: org keys. ARGV: the values they must hold. Returns how many were deleted.
const RELEASE = `local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i] then n = n + redis.call('DEL', KEYS[i]) end
end
return n`

// KEYS: presence, index. ARGV: incarnation, replica id.
const LEAVE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('ZREM', KEYS[2], ARGV[2])`

// Read only. KEYS: index, org keys. Returns { now, zset, values, pttls }.
const READ = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local values, pttls = {}, {}
for i = 2, #KEYS do
  values[#values + 1] = redis.call('GET', KEYS[i])
  pttls[#pttls + 1] = redis.call('PTTL', KEYS[i])
end
return { now, redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf', 'WITHSCORES'), values, pttls }`

/** `eval` with many keys, over ioredis or node-redis (v4 and later). */
function scriptRunner(client, who) {
  if (client !== null && typeof client === 'object' && typeof client.eval === 'function') {
    if (typeof client.status === 'string') return (source, keys, args) => client.eval(source, keys.length, ...keys, ...args.map(String))
    if (typeof client.isOpen === 'boolean') return (source, keys, args) => client.eval(source, { keys, arguments: args.map(String) })
  }
  throw invalidArgument(`${who} needs an ioredis client (new Redis(...)) or a connected node-redis client (createClient(...)) as redis.`)
}


const num = (v) => Number(v)

/** `[a, '1', b, '2']` -> `[[a, 1], [b, 2]]`. */
function pairs(flat) {
  const out = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), num(flat[i + 1])])
  return out
}

/** `<replicaId>|<incarnation>|<since>` -> its parts, or null for a value of something else. */
function parseHolder(value) {
  if (typeof value !== 'string') return null
  const m = /^(.+)\|([^|]+)\|(\d+)$/.exec(value)
  return m ? { replica: m[1], incarnation: m[2], since: Number(m[3]) } : null
}

/**
 * The fleet's keys and scripts on one Redis connection.
 * @param {object} client ioredis or node-redis
 * @param {{ fleet: string, timeoutMs: number, who?: string }} o
 */
function fleetStore(client, o) {
  const run = scriptRunner(client, o.who ?? 'CleanupFleet')
  const prefix = `genesys-cleanup:fleet:{${o.fleet}}`
  const presence = (id) => `${prefix}:replica:${id}`
  const index = `${prefix}:replicas`
  const orgKey = (org) => `${prefix}:org:${org}`
  const call = (source, keys, args, what) => bounded(Promise.resolve().then(() => run(source, keys, args)), o.timeoutMs, what)
  return {
    orgKey,
    /**
     * Heartbeat, renewals and a read of every org's key, in one script.
     * @returns {Promise<{ status: 'ok'|'conflict', now: number, replicas: Array<[string, number]>, renewed: boolean[], values: Array<string|null> }>}
     */
    async pass({ replicaId, incarnation, ttlMs, held, orgs }) {
      const keys = [presence(replicaId), index, ...held.map((h) => orgKey(h.org)), ...orgs.map(orgKey)]
      const args = [incarnation, ttlMs, replicaId, held.length, ...held.map((h) => h.value)]
      const [status, now, zset, renewed, values] = await call(PASS, keys, args, 'the heartbeat')
      return { status: String(status), now: num(now), replicas: pairs(zset), renewed: renewed.map((x) => num(x) === 1), values: values.map((v) => (v === null || v === undefined ? null : String(v))) }
    },
    /** Takes up to `want` of `orgs` (in order) that are free: `[{ org, value }]`. */
    async acquire({ replicaId, incarnation, ttlMs, orgs, want }) {
      if (orgs.length === 0 || want <= 0) return []
      const got = await call(ACQUIRE, orgs.map(orgKey), [`${replicaId}|${incarnation}|`, ttlMs, want], 'the acquisition')
      const out = []
      for (let i = 0; i + 1 < got.length; i += 2) out.push({ org: orgs[num(got[i]) - 1], value: String(got[i + 1]) })
      return out
    },
    /** Releases the orgs whose keys still hold these values. */
    async release(terms) {
      if (terms.length === 0) return 0
      return num(await call(RELEASE, terms.map((t) => orgKey(t.org)), terms.map((t) => t.value), 'the release'))
    },
    async leave({ replicaId, incarnation }) {
      await call(LEAVE, [presence(replicaId), index], [incarnation, replicaId], 'the leave')
    },
    /** Live replicas (server expiry) and, for `orgs`, holder and time left. */
    async read(orgs) {
      const [now, zset, values, pttls] = await call(READ, [index, ...orgs.map(orgKey)], [], 'the status read')
      return { now: num(now), replicas: pairs(zset), values: values.map((v) => (v === null || v === undefined ? null : String(v))), pttls: pttls.map(num) }
    },
  }
}

module.exports = { fleetStore, parseHolder }
