'use strict'
// Validation of the fleet's options and of each org, synchronous and typed
// (ERR_INVALID_ARGUMENT, saying what to do). What the native side validates
// anyway (a region's name, a URL's scheme, a job option's range) is checked
// there, when the org's client is made or its job starts: such a failure is
// that org's `jobFailed`, never the fleet's.

const os = require('node:os')
const { invalidArgument: invalid } = require('../errors.js')

const FLEET_NAME = /^[A-Za-z0-9._-]{1,64}$/
const ORG_ID = /^[A-Za-z0-9._-]{1,64}$/
const REPLICA_ID = /^[A-Za-z0-9._:-]{1,128}$/

const FLEET_OPTIONS = ['redis', 'fleet', 'replicaId', 'ttlMs', 'concurrency', 'orgs', 'dryRun', 'onEvent', 'logger', 'telemetry']
const CONNECTION = ['region', 'baseUrl', 'timeoutMs', 'maxRetries', 'maxRetryAfterMs', 'deadlineMs', 'maxResponseBytes', 'pacing', 'ca', 'proxy']
const ORG_KEYS = ['id', 'credentials', 'job', ...CONNECTION]
/** Options a fleet sets on each job itself. */
const JOB_OWN = ['signal', 'onEvent', 'onProgress', 'lease']

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

function shown(value) {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value)
  return `a ${typeof value}`
}

function unknownKeys(what, obj, allowed) {
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k))
  if (unknown.length > 0) {
    throw invalid(`${what} does not know ${unknown.map((k) => JSON.stringify(k)).join(', ')}; it takes ${allowed.join(', ')}.`)
  }
}

function wholeIn(what, value, min, max) {
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(`${what} must be a whole number from ${min} to ${max}, got ${shown(value)}.`)
  return value
}

/**
 * Credentials, as given or as a credentials function returned them: exactly
 * one of { clientId, clientSecret } and { accessToken }, non-empty strings.
 * Never quotes a value.
 */
function checkCredentials(where, c) {
  if (!isObject(c)) throw invalid(`${where}credentials must be { clientId, clientSecret } or { accessToken } (or a function returning one), got ${kind(c)}.`)
  const keys = Object.keys(c).filter((k) => c[k] !== undefined && c[k] !== null)
  const str = (k) => typeof c[k] === 'string' && c[k].length > 0 && c[k].length <= 16384
  const ok = (keys.length === 2 && keys.includes('clientId') && keys.includes('clientSecret') && str('clientId') && str('clientSecret')) || (keys.length === 1 && keys[0] === 'accessToken' && str('accessToken'))
  if (!ok) {
    throw invalid(`${where}credentials must hold either clientId and clientSecret, or accessToken (non-empty strings, nothing else); got the keys ${keys.length ? keys.join(', ') : 'none'}.`)
  }
  return keys.length === 2 ? { clientId: c.clientId, clientSecret: c.clientSecret } : { accessToken: c.accessToken }
}

function checkJob(where, job) {
  if (!isObject(job)) throw invalid(`${where}job must be { watch: { idleMs, ... } } or { sweep: { idleForMs, everyMs, ... } }, got ${kind(job)}.`)
  const names = Object.keys(job)
  if (names.length !== 1 || !['watch', 'sweep'].includes(names[0])) {
    throw invalid(`${where}job must have exactly one key, watch or sweep; got ${names.length ? names.map((k) => JSON.stringify(k)).join(', ') : 'none'}.`)
  }
  const name = names[0]
  const opts = job[name]
  if (!isObject(opts)) throw invalid(`${where}job.${name} must be an object of ${name} options, got ${kind(opts)}.`)
  const own = Object.keys(opts).filter((k) => JOB_OWN.includes(k))
  if (own.length > 0) throw invalid(`${where}job.${name} must not set ${own.join(', ')}: the fleet sets ${own.length > 1 ? 'them' : 'it'} (use the fleet's onEvent for events).`)
  if (name === 'watch') {
    wholeIn(`${where}job.watch.idleMs`, opts.idleMs, 1000, 31_536_000_000)
    return { kind: 'watch', options: { ...opts } }
  }
  const { everyMs, ...sweep } = opts
  wholeIn(`${where}job.sweep.everyMs`, everyMs, 1000, 86_400_000)
  if (typeof sweep.idleForMs !== 'number') throw invalid(`${where}job.sweep.idleForMs is required: the idle time (ms) a conversation must have to be ended.`)
  if (sweep.concurrency !== undefined) wholeIn(`${where}job.sweep.concurrency`, sweep.concurrency, 1, 256)
  return { kind: 'sweep', options: sweep, everyMs }
}

/** A validated org: `{ id, connection, credentials, job }` (credentials: an object or a function). */
function checkOrg(org, index) {
  const at = index === undefined ? 'org' : `orgs[${index}]`
  if (!isObject(org)) throw invalid(`${at} must be an object { id, credentials, job, region or baseUrl, ... }, got ${kind(org)}.`)
  if (typeof org.id !== 'string' || !ORG_ID.test(org.id)) {
    throw invalid(`${at}.id must be 1 to 64 characters of A-Z a-z 0-9 . _ - (it names the org's lease), got ${shown(org.id)}.`)
  }
  const where = `org ${JSON.stringify(org.id)}: `
  unknownKeys(`${where}the org`, org, ORG_KEYS)
  if (org.region !== undefined && org.baseUrl !== undefined) {
    throw invalid(`${where}give region or baseUrl, not both (the base URL would silently override the region).`)
  }
  const credentials = typeof org.credentials === 'function' ? org.credentials : checkCredentials(where, org.credentials)
  const job = checkJob(where, org.job)
  const connection = {}
  for (const k of CONNECTION) if (org[k] !== undefined && org[k] !== null) connection[k] = org[k]
  if (connection.timeoutMs === undefined) connection.timeoutMs = 10_000
  return { id: org.id, connection, credentials, job }
}

/** The fleet's options, validated: defaults filled in. `orgs` checked one by one, ids unique. */
function checkFleetOptions(options) {
  if (!isObject(options)) throw invalid(`CleanupFleet needs an options object { redis, orgs, ... }, got ${kind(options)}.`)
  unknownKeys('CleanupFleet', options, FLEET_OPTIONS)
  const fleet = options.fleet ?? 'default'
  if (typeof fleet !== 'string' || !FLEET_NAME.test(fleet)) throw invalid(`fleet must be 1 to 64 characters of A-Z a-z 0-9 . _ - (it prefixes the Redis keys), got ${shown(fleet)}.`)
  const replicaId = options.replicaId ?? `${os.hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 128)
  if (typeof replicaId !== 'string' || !REPLICA_ID.test(replicaId)) {
    throw invalid(`replicaId must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (unique per live process), got ${shown(replicaId)}.`)
  }
  const ttlMs = wholeIn('ttlMs', options.ttlMs ?? 30_000, 1000, 3_600_000)
  const concurrency = wholeIn('concurrency', options.concurrency ?? 64, 1, 4096)
  if (options.dryRun !== undefined && typeof options.dryRun !== 'boolean') throw invalid(`dryRun must be true or false, got ${shown(options.dryRun)}.`)
  const orgs = options.orgs ?? []
  if (!Array.isArray(orgs)) throw invalid(`orgs must be an array of orgs ({ id, credentials, job, ... }), got ${kind(orgs)}.`)
  const checked = orgs.map((o, i) => checkOrg(o, i))
  const seen = new Set()
  for (const o of checked) {
    if (seen.has(o.id)) throw invalid(`orgs has the id ${JSON.stringify(o.id)} twice: each org needs its own id.`)
    seen.add(o.id)
  }
  const telemetry = options.telemetry
  if (telemetry !== undefined && !(isObject(telemetry) && typeof telemetry.onEvent === 'function')) {
    throw invalid('telemetry must be what createTelemetry() from genesys-cleanup/otel returns (an object with onEvent).')
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw invalid('onEvent must be a function.')
  return { fleet, replicaId, ttlMs, concurrency, dryRun: options.dryRun === true, orgs: checked, telemetry, logger: options.logger }
}

module.exports = { checkFleetOptions, checkOrg, checkCredentials, ORG_ID, FLEET_NAME }
