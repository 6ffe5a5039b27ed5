#!/usr/bin/env node
'use strict'
// Soak (issue 12): many closes on ONE CleanupClient against the local
// emulator, printing the process's RSS as the count grows, so a leak per
// close (results, events, strings kept) shows as a climbing line. Not part of
// `npm test` (minutes, and a figure to read rather than a pass/fail):
//   node scripts/soak.js              # 200 000 closes in runs of 10 000
//   SOAK_TOTAL=50000 SOAK_BATCH=5000 node scripts/soak.js
// It uses the addon and the emulator as built (node scripts/build.js first).
// An onEvent listener and onProgress are attached, as a service would.

const path = require('node:path')
const { CleanupClient } = require(path.join(__dirname, '..', 'index.js'))
const { startEmulator } = require(path.join(__dirname, '..', 'testing.js'))
const { positiveInt } = require('./env')

const TOTAL = positiveInt('SOAK_TOTAL', 200_000)
const BATCH = positiveInt('SOAK_BATCH', 10_000)
const MiB = 2 ** 20


function rss() {
  return Math.round(process.memoryUsage().rss / MiB)
}

async function main() {
  const emu = await startEmulator({ quiet: true })
  try {
    // The emulator's request log is bounded by logLimit; keep it small, the
    // soak measures this process, not the emulator.
    await emu.configure({ logLimit: 1000 })
    let events = 0
    let dropped = 0
    const client = new CleanupClient({
      baseUrl: emu.url,
      accessToken: 'cc-cleanup-token',
      onEvent: (e) => {
        events++
        if (e.kind === 'dropped') dropped += e.count
      },
    })
    const marks = new Set([50_000, 100_000, 150_000, 200_000, TOTAL])
    const t0 = Date.now()
    let done = 0
    let closed = 0
    let failed = 0
    console.log(JSON.stringify({ closes: 0, rssMiB: rss() }))
    while (done < TOTAL) {
      const n = Math.min(BATCH, TOTAL - done)
      const { ids } = await emu.seed({ count: n, mix: { webmessaging: 1 }, endedFraction: 0 })
      const report = await client.closeConversations(ids, { concurrency: 64, onProgress: () => {} })
      closed += report.closed
      failed += report.failed
      done += n
      // Freed memory is counted once the collector had its chance.
      if (global.gc) global.gc()
      if (marks.has(done)) console.log(JSON.stringify({ closes: done, rssMiB: rss(), closed, failed, events, dropped, seconds: Math.round((Date.now() - t0) / 1000) }))
    }
  } finally {
    await emu.stop()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
