#!/usr/bin/env node
'use strict'
// Watch mode against sweep polling, on the emulator, in scaled time.
//
//   node bench/watch.js            5000 conversations on 20 queues
//   node bench/watch.js --quick    1000 conversations
//   BENCH_WATCH_N, BENCH_WATCH_MINUTE_MS (default 200: one simulated minute),
//   BENCH_WATCH_CONTENDERS (comma list of watch,sweep1,sweep5,sweep15)
//   node bench/watch.js --reconnects   the cost of reconciling a gap: requests
//                                      per reconnect (BENCH_WATCH_OPEN open
//                                      conversations, default 2000; 500 with --quick)
//
// One simulated minute is BENCH_WATCH_MINUTE_MS of real time, so a 30-minute
// idle time is 6 s. Every contender gets a fresh emulator and the same
// activity (a seeded random pattern): conversations start over the first 10
// minutes, each gets 0 to 4 messages 1 to 8 minutes apart, then falls
// silent. A driver posts the messages through the emulator's admin API as
// their time comes. Each contender runs in a child process of its own (its
// peak RSS includes the driver's, the same for every contender).
//
// Measured per contender: idle-to-closed latency (end time minus the moment
// the conversation had been idle for 30 minutes), p50 and p99; conversations
// closed early (must be 0) or never; API requests (the emulator's count,
// admin calls excluded) per conversation closed; peak RSS.

const { spawn } = require('node:child_process')
const path = require('node:path')
const fs = require('node:fs')

const ROOT = path.join(__dirname, '..')
const QUICK = process.argv.includes('--quick')
const N = Number(process.env.BENCH_WATCH_N || (QUICK ? 1000 : 5000))
const MIN = Number(process.env.BENCH_WATCH_MINUTE_MS || 200)
const IDLE = 30 * MIN
const QUEUES = 20
const CONTENDERS = (process.env.BENCH_WATCH_CONTENDERS || 'watch,sweep1,sweep5,sweep15').split(',')

/** A small seeded generator (mulberry32): the same pattern for every contender. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Per conversation: start offset and message offsets (ms from the run's start). */
function pattern() {
  const r = rng(15)
  return Array.from({ length: N }, (_, i) => {
    const start = Math.floor(r() * 10 * MIN)
    const messages = []
    let t = start
    for (let k = Math.floor(r() * 5); k > 0; k--) {
      t += Math.floor((1 + r() * 7) * MIN)
      messages.push(t)
    }
    return { queue: i % QUEUES, start, messages }
  })
}

function queueId(i) {
  return `c1000000-0000-4000-8000-${String(i).padStart(12, '0')}`
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

// ------------------------------------------------------------ the child: one contender

async function child(contender, url) {
  const { CleanupClient } = require(path.join(ROOT, 'index.js'))
  const admin = async (method, route, body) => {
    const res = await fetch(`${url}/__emulator/${route}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`)
    return res.json()
  }
  for (let q = 0; q < QUEUES; q++) await admin('POST', 'queues', { id: queueId(q), name: `Queue ${q}` })
  const client = new CleanupClient({ baseUrl: url, clientId: 'cleanup-client', clientSecret: 'cleanup-secret', timeoutMs: 60_000 })
  const controller = new AbortController()
  let running
  if (contender === 'watch') {
    running = client.watch({ idleMs: IDLE, reconcileEveryMs: 5 * MIN, signal: controller.signal })
    await new Promise((r) => setTimeout(r, 500)) // subscribed before the first conversation
  } else {
    const every = Number(contender.replace('sweep', '')) * MIN
    running = (async () => {
      for (let next = Date.now(); !controller.signal.aborted; next += every) {
        await client.sweep({ idleForMs: IDLE, concurrency: 16, signal: controller.signal }).catch(() => undefined)
        await new Promise((r) => setTimeout(r, Math.max(0, next + every - Date.now())))
      }
    })()
  }
  const plan = pattern()
  const t0 = Date.now()
  const last = new Array(N).fill(0)
  const ids = new Array(N)
  // The driver: every action at its time, at most 64 in flight.
  const actions = []
  plan.forEach((c, i) => {
    actions.push({ at: c.start, i, kind: 'create' })
    for (const m of c.messages) actions.push({ at: m, i, kind: 'message' })
  })
  actions.sort((a, b) => a.at - b.at)
  let inFlight = 0
  const done = []
  for (const a of actions) {
    const wait = t0 + a.at - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    while (inFlight >= 64) await new Promise((r) => setTimeout(r, 1))
    inFlight++
    const p = (async () => {
      if (a.kind === 'create') {
        const c = await admin('POST', 'conversations', { queueId: queueId(plan[a.i].queue) })
        ids[a.i] = c.id
        last[a.i] = Date.parse(c.lastActivityAt)
      } else {
        while (!ids[a.i]) await new Promise((r) => setTimeout(r, 1))
        const c = await admin('POST', `conversations/${ids[a.i]}/messages`, { from: 'customer' }).catch(() => null)
        if (c) last[a.i] = Math.max(last[a.i], Date.parse(c.lastActivityAt))
      }
    })().finally(() => inFlight--)
    done.push(p)
  }
  await Promise.all(done)
  const every = contender === 'watch' ? 0 : Number(contender.replace('sweep', '')) * MIN
  const until = Math.max(...last) + IDLE + every + 3000
  while (Date.now() < until) await new Promise((r) => setTimeout(r, 200))
  controller.abort()
  await running.catch(() => undefined)
  const stats = await admin('GET', 'stats')
  const latencies = []
  let early = 0
  let open = 0
  for (let i = 0; i < N; i++) {
    const c = await admin('GET', `conversations/${ids[i]}`)
    if (c.state !== 'ended') {
      open++
      continue
    }
    const lag = Date.parse(c.endedAt) - (last[i] + IDLE)
    if (lag < 0) early++
    latencies.push(lag)
  }
  latencies.sort((a, b) => a - b)
  process.stdout.write(
    `${JSON.stringify({
      contender,
      closed: latencies.length,
      open,
      early,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      requests: stats.requests,
      requestsPerClose: stats.requests / Math.max(1, latencies.length),
      rateLimited: stats.rateLimited,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  )
}

// ------------------------------------------------------------ the parent

async function main() {
  const { startEmulator } = require('./emulator')
  const bin = process.env.GENESYS_EMULATOR_BIN || require(path.join(ROOT, 'testing.js')).findEmulatorBinary()
  const rows = []
  for (const contender of CONTENDERS) {
    const emu = await startEmulator(bin)
    try {
      const out = await new Promise((resolve, reject) => {
        // The child gets the same N and scale (it does not see --quick).
        const env = { ...process.env, BENCH_WATCH_N: String(N), BENCH_WATCH_MINUTE_MS: String(MIN) }
        const p = spawn(process.execPath, [__filename, '--child', contender, emu.url], { stdio: ['ignore', 'pipe', 'inherit'], env })
        let text = ''
        p.stdout.on('data', (d) => (text += d))
        p.on('error', reject)
        p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`${contender} exited ${code}`))))
      })
      const row = JSON.parse(out.trim().split('\n').pop())
      rows.push(row)
      console.error(`${contender}: ${JSON.stringify(row)}`)
    } finally {
      await emu.stop()
    }
  }
  const label = { watch: 'watch', sweep1: 'sweep every 1 min', sweep5: 'sweep every 5 min', sweep15: 'sweep every 15 min' }
  const minutes = (ms) => (ms / MIN).toFixed(2)
  console.log(`\n${N} conversations on ${QUEUES} queues, idle 30 min; 1 simulated minute = ${MIN} ms\n`)
  console.log('| contender | idle-to-closed p50 | p99 | closed early | left open | requests per close | peak RSS |')
  console.log('|---|---|---|---|---|---|---|')
  for (const r of rows) {
    console.log(
      `| ${label[r.contender]} | ${Math.round(r.p50Ms)} ms (${minutes(r.p50Ms)} min) | ${Math.round(r.p99Ms)} ms (${minutes(r.p99Ms)} min) | ${r.early} | ${r.open} | ${r.requestsPerClose.toFixed(2)} | ${Math.round(r.peakRssMb)} MB |`,
    )
  }
  const dir = path.join(__dirname, 'results')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, QUICK ? 'watch-quick.json' : 'watch.json'), `${JSON.stringify({ n: N, minuteMs: MIN, queues: QUEUES, at: new Date().toISOString(), rows }, null, 2)}\n`)
}

// ------------------------------------------------------------ --reconnects: what a gap costs

/**
 * Every reconnect is reconciled by one sweep over the whole lookback (a
 * conversation that started before the gap may have been moved onto a watched
 * queue during it). Measured here: the requests that sweep makes, by kind,
 * with OPEN open conversations already tracked (the steady state), for single
 * drops and for three drops in quick succession (which share sweeps).
 */
async function reconnects() {
  const OPEN = Number(process.env.BENCH_WATCH_OPEN || (QUICK ? 500 : 2000))
  const DROPS = 5
  const { startEmulator } = require('./emulator')
  const { CleanupClient } = require(path.join(ROOT, 'index.js'))
  const bin = process.env.GENESYS_EMULATOR_BIN || require(path.join(ROOT, 'testing.js')).findEmulatorBinary()
  const emu = await startEmulator(bin)
  const controller = new AbortController()
  try {
    // Open and lively: nothing falls due during the run (idle 1 h, started < 30 min ago).
    await emu.admin('POST', 'seed', { count: OPEN, mix: { webmessaging: 1 }, endedFraction: 0, agentFraction: 1, ageMinMs: 60_000, ageMaxMs: 30 * 60_000, rngSeed: 24 })
    const events = []
    const client = new CleanupClient({ baseUrl: emu.url, clientId: 'cleanup-client', clientSecret: 'cleanup-secret', timeoutMs: 60_000 })
    const running = client.watch({ idleMs: 3_600_000, reconcileEveryMs: 3_600_000, signal: controller.signal, onEvent: (e) => events.push(e) })
    const until = async (what, probe) => {
      for (const t0 = Date.now(); !probe(); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() - t0 > 120_000) throw new Error(`timed out waiting for ${what}`)
      }
    }
    const gapSweeps = () => events.filter((e) => e.kind === 'reconciled' && e.reason === 'gap').length
    await until('the first sweep', () => events.some((e) => e.kind === 'reconciled'))
    await new Promise((r) => setTimeout(r, 500)) // its re-reads, if any, settle
    const log = async () => (await emu.admin('GET', 'requests')).requests
    const classify = (entries) => {
      const out = { analytics: 0, reads: 0, channel: 0, other: 0 }
      for (const r of entries) {
        if (r.path.startsWith('/api/v2/analytics/')) out.analytics++
        else if (r.method === 'GET' && r.path.startsWith('/api/v2/conversations/')) out.reads++
        else if (r.path.startsWith('/api/v2/notifications/')) out.channel++
        else if (r.path.startsWith('/api/v2/')) out.other++
      }
      return out
    }
    const measure = async (label, drops) => {
      const before = gapSweeps()
      const seq = (await log()).reduce((m, r) => Math.max(m, r.seq), 0)
      const t0 = Date.now()
      const connected = () => events.filter((e) => e.kind === 'connected').length
      for (let i = 0; i < drops; i++) {
        const up = connected()
        await emu.admin('POST', 'notifications/drop-socket', {})
        // The next drop hits the new socket (before the gap's sweep is done, so they share it).
        if (i + 1 < drops) await until('the reconnect', () => connected() > up)
      }
      await until('the gap sweep', () => gapSweeps() > before)
      const ms = Date.now() - t0
      await new Promise((r) => setTimeout(r, 500))
      const kinds = classify((await log()).filter((r) => r.seq > seq))
      return { label, drops, sweeps: gapSweeps() - before, ms, ...kinds, requests: kinds.analytics + kinds.reads + kinds.other }
    }
    const rows = []
    for (let i = 0; i < DROPS; i++) rows.push(await measure(`drop ${i + 1}`, 1))
    rows.push(await measure('3 drops back to back', 3))
    controller.abort()
    const report = await running
    console.log(`\n${OPEN} open conversations, all tracked; one analytics page holds 100\n`)
    console.log('| reconnect | drops | gap sweeps | analytics pages | re-reads | other REST | requests | drop to swept |')
    console.log('|---|---|---|---|---|---|---|---|')
    for (const r of rows) console.log(`| ${r.label} | ${r.drops} | ${r.sweeps} | ${r.analytics} | ${r.reads} | ${r.other} | ${r.requests} | ${r.ms} ms |`)
    const single = rows.filter((r) => r.drops === 1)
    const perReconnect = single.reduce((a, r) => a + r.requests, 0) / single.length
    console.log(`\nrequests per reconnect: ${perReconnect.toFixed(1)} (the old gap-window sweep: 1 page while fewer than 100 conversations started in the gap plus a minute)`)
    console.log(`watch report: reconnects ${report.reconnects}, gapsReconciled ${report.gapsReconciled}, periodicSweeps ${report.periodicSweeps}`)
    const dir = path.join(__dirname, 'results')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, QUICK ? 'watch-reconnects-quick.json' : 'watch-reconnects.json'), `${JSON.stringify({ open: OPEN, at: new Date().toISOString(), perReconnect, rows }, null, 2)}\n`)
  } finally {
    controller.abort()
    await emu.stop()
  }
}

if (process.argv.includes('--reconnects')) {
  reconnects().catch((e) => {
    console.error(e)
    process.exit(1)
  })
} else if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e)
    process.exit(1)
  })
} else {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
