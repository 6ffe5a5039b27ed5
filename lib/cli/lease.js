'use strict'
// `--lease redis://host:port` (sweep, watch): a Redis lease through ioredis,
// an optional dependency, so that of several replicas one does the job.

const { CliError } = require('./errors')

/** `--lease redis://host:port`: a Redis lease through ioredis (an optional dependency). */
function redisLeaseFrom(url, ttlMs) {
  let parsed
  try {
    parsed = new URL(url)
  } catch {
    throw new CliError('ERR_USAGE', '--lease must be a Redis URL: redis://host:port (or rediss:// for TLS).')
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new CliError('ERR_USAGE', '--lease must be a Redis URL: redis://host:port (or rediss:// for TLS).')
  }
  let Redis
  try {
    Redis = require('ioredis')
  } catch {
    throw new CliError('ERR_USAGE', '--lease needs the ioredis package next to genesys-cleanup: npm install ioredis.')
  }
  const connection = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 5000 })
  // Errors surface through the lease (a failed acquire or renewal), not as events.
  connection.on('error', () => undefined)
  const { redisLease } = require('../../redis')
  return { connection, lease: redisLease(connection, { ttlMs }) }
}

module.exports = { redisLeaseFrom }
