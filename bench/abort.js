#!/usr/bin/env node
'use strict'
// Abort latency and event-loop stalls of big bulk runs (issue 12 row 8), with
// the dev-opt or release addon in the repository root, against the emulator:
//   node bench/abort.js [--late | --sweep | --find] [sizes...]
//     default sizes: 2000 20000 50000 200000 1000000 (--late: 20000 200000;
//     --sweep: 20000 100000 idle conversations, the sweep aborted once half
//     of its candidates are done; --find: 20000 100000 idle conversations,
//     the longest stall of a findIdleConversations and of a whole sweep)
// For each size N: N ids (a few thousand real open conversations, the rest
// unknown ids that answer 404), concurrency 64, aborted after 0.5 s (with
// --late: once 90% of the ids are done, so most results exist before the
// abort); prints the time from abort() to the promise settling, and the
// longest event-loop stall (perf_hooks.monitorEventLoopDelay, 1 ms
// resolution) during the run and its settling. Timings belong here, not in
// Jest (the suite only checks wide bounds).
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { randomUUID } = require('node:crypto')
const path = require('node:path')
const { CleanupClient } = require(path.join(__dirname, '..', 'index.js'))
const { startEmulator } = require(path.join(__dirname, '..', 'testing.js'))

async function one(emu, n, late) {
  await emu.reset()
  const real = (await emu.seed({ count: Math.min(n, 3000), mix: { webmessaging: 1 }, endedFraction: 0 })).ids
  const ids = real.concat(Array.from({ length: n - real.length }, () => randomUUID()))
  const client = new CleanupClient({ baseUrl: emu.url, accessToken: 'cc-cleanup-token' })
  const ac = new AbortController()
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  let t0
  const abort = () => {
    if (t0 !== undefined) return
    t0 = process.hrtime.bigint()
    ac.abort()
  }
  const onProgress = late ? (p) => p && p.done >= 0.9 * n && abort() : undefined
  const p = client.closeConversations(ids, { concurrency: 64, signal: ac.signal, onProgress })
  if (!late) {
    await new Promise((r) => setTimeout(r, 500))
    abort()
  }
  const report = await p
  const settleMs = Number(process.hrtime.bigint() - t0) / 1e6
  // The histogram records a stall when its timer fires after it: let it.
  await new Promise((r) => setTimeout(r, 20))
  h.disable()
  const rss = Math.round(process.memoryUsage().rss / 2 ** 20)
  return { n, settleMs: +settleMs.toFixed(1), maxStallMs: +(h.max / 1e6).toFixed(1), aborted: report.aborted, done: report.done, rssMiB: rss }
}

async function sweepOnce(emu, n) {
  await seedIdle(emu, n)
  const client = new CleanupClient({ baseUrl: emu.url, accessToken: 'cc-cleanup-token' })
  const ac = new AbortController()
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  let t0
  const onProgress = (p) => {
    if (p && t0 === undefined && p.done >= p.total / 2) {
      t0 = process.hrtime.bigint()
      ac.abort()
    }
  }
  const report = await client.sweep({ idleForMs: 60_000, concurrency: 64, signal: ac.signal, onProgress })
  const settleMs = Number(process.hrtime.bigint() - t0) / 1e6
  await new Promise((r) => setTimeout(r, 20))
  h.disable()
  const rss = Math.round(process.memoryUsage().rss / 2 ** 20)
  return { n, settleMs: +settleMs.toFixed(1), maxStallMs: +(h.max / 1e6).toFixed(1), found: report.found.length, aborted: report.close.aborted, rssMiB: rss }
}

async function seedIdle(emu, n) {
  await emu.reset()
  for (let s = 0; s < n; s += 10_000) {
    await emu.seed({ count: Math.min(10_000, n - s), mix: { webmessaging: 1 }, endedFraction: 0, agentFraction: 0, ageMinMs: 3 * 3600e3, ageMaxMs: 4 * 3600e3 })
  }
}

async function stallOf(run) {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  const value = await run()
  await new Promise((r) => setTimeout(r, 20))
  h.disable()
  return { value, maxStallMs: +(h.max / 1e6).toFixed(1) }
}

async function findOnce(emu, n) {
  await seedIdle(emu, n)
  const client = new CleanupClient({ baseUrl: emu.url, accessToken: 'cc-cleanup-token' })
  const find = await stallOf(() => client.findIdleConversations({ idleForMs: 60_000 }))
  const sweep = await stallOf(() => client.sweep({ idleForMs: 60_000, concurrency: 64 }))
  return { n, found: find.value.length, findMaxStallMs: find.maxStallMs, swept: sweep.value.close.closed, sweepMaxStallMs: sweep.maxStallMs }
}

async function main() {
  const late = process.argv.includes('--late')
  const sweep = process.argv.includes('--sweep')
  const find = process.argv.includes('--find')
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
  const defaults = sweep || find ? [20000, 100000] : late ? [20000, 200000] : [2000, 20000, 50000, 200000, 1000000]
  const emu = await startEmulator({ quiet: true })
  try {
    for (const n of sizes.length ? sizes : defaults) {
      const row = find ? { find, ...(await findOnce(emu, n)) } : sweep ? { sweep, ...(await sweepOnce(emu, n)) } : { late, ...(await one(emu, n, late)) }
      console.log(JSON.stringify(row))
    }
  } finally {
    await emu.stop()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
