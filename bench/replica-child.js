'use strict'
// One replica for bench/replicas.js: sweeps in passes (with or without a
// Redis lease) until told to stop; prints one JSON line per pass.
const { CleanupClient } = require('..')

const [baseUrl, redisPort, ttlMs, useLease] = process.argv.slice(2)

async function main() {
  const client = new CleanupClient({ baseUrl, accessToken: 'cc-cleanup-token' })
  let lease
  if (useLease === 'lease') {
    const Redis = require('ioredis')
    const redis = new Redis(Number(redisPort), '127.0.0.1', { maxRetriesPerRequest: 0, lazyConnect: true })
    await redis.connect()
    lease = require('../redis').redisLease(redis, { ttlMs: Number(ttlMs) })
    process.stdout.write(JSON.stringify({ holder: lease.holder }) + '\n')
  } else {
    process.stdout.write(JSON.stringify({ holder: null }) + '\n')
  }
  for (;;) {
    const r = await client.sweep({ idleForMs: 60_000, concurrency: 16, ...(lease ? { lease } : {}) })
    const report = lease ? r.sweep : r
    process.stdout.write(JSON.stringify({ t: Date.now(), held: lease ? r.lease.held : true, closed: report ? report.close.closed : 0, requests: report ? report.requests : 0 }) + '\n')
    await new Promise((res) => setTimeout(res, 200))
  }
}

main().catch((e) => {
  process.stderr.write(`replica failed: ${e && e.stack}\n`)
  process.exit(1)
})
