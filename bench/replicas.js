#!/usr/bin/env node
'use strict'
// Several replicas, one cleanup (issue 18): three replica processes sweep one
// emulator org of N idle conversations, without and with a Redis lease.
// Reports requests per closed conversation (from the emulator's own count)
// against one replica alone, and the take-over time after SIGKILL of the
// holder. Needs redis-server (the system package).
//
//   node bench/replicas.js            (N = 5000; BENCH_REPLICAS_N to change)

const { spawn, spawnSync } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')
const readline = require('node:readline')
const { startEmulator } = require('../testing')

const N = Number(process.env.BENCH_REPLICAS_N || 5000)
const TTL_MS = Number(process.env.BENCH_LEASE_TTL_MS || 3000)
const HOUR = 3600_000

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function redisServer() {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server not found (apt-get install redis-server)')
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] })
  await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('Ready to accept') && resolve()))
  return { port, stop: () => child.kill('SIGKILL') }
}

async function seed(org) {
  const now = Date.now()
  for (let done = 0; done < N; done += 500) {
    const batch = []
    for (let i = done; i < Math.min(N, done + 500); i++) {
      batch.push(org.createConversation({ type: 'webmessaging', startedAt: now - 3 * HOUR, lastActivityAt: now - 2 * HOUR }))
    }
    await Promise.all(batch)
  }
}

function replica(org, redisPort, mode) {
  const child = spawn(process.execPath, [path.join(__dirname, 'replica-child.js'), org.url, String(redisPort), String(TTL_MS), mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = []
  let holder
  const ready = new Promise((resolve) => {
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      const v = JSON.parse(l)
      if ('holder' in v) {
        holder = v.holder
        resolve()
      } else lines.push(v)
    })
  })
  return { child, lines, ready, get holder() { return holder } }
}

async function openCount(org) {
  return (await org.admin('GET', 'conversations?state=active')).ids.length
}

async function untilAllClosed(org, timeoutMs) {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    if ((await openCount(org)) === 0) return Date.now() - t0
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`conversations still open after ${timeoutMs} ms`)
}

async function run(emu, redis, replicas, mode) {
  const org = await emu.org()
  try {
    await seed(org)
    await org.clearRequests()
    const before = (await org.stats()).requests
    const procs = Array.from({ length: replicas }, () => replica(org, redis.port, mode))
    await Promise.all(procs.map((p) => p.ready))
    const ms = await untilAllClosed(org, 600_000)
    // Let a pass in flight finish, then stop everyone.
    await new Promise((r) => setTimeout(r, 500))
    for (const p of procs) p.child.kill('SIGKILL')
    const requests = (await org.stats()).requests - before
    return { mode, replicas, closed: N, requests, perClose: requests / N, ms }
  } finally {
    await org.stop()
  }
}

async function takeover(emu, redis) {
  const Redis = require('ioredis')
  const r = new Redis(redis.port, '127.0.0.1', { lazyConnect: true })
  await r.connect()
  const org = await emu.org({ config: { latencyMs: 20 } })
  try {
    await seed(org)
    const procs = [0, 1, 2].map(() => replica(org, redis.port, 'lease'))
    await Promise.all(procs.map((p) => p.ready))
    const name = 'genesys-cleanup:6f1f6b2e-0000-4000-8000-00000000000a:sweep'
    let token = null
    while (!token) {
      token = await r.get(name)
      await new Promise((res) => setTimeout(res, 20))
    }
    await new Promise((res) => setTimeout(res, 500))
    procs.find((p) => p.holder === token).child.kill('SIGKILL')
    const killed = Date.now()
    for (;;) {
      const now = await r.get(name)
      if (now && now !== token) break
      await new Promise((res) => setTimeout(res, 5))
    }
    const ms = Date.now() - killed
    await untilAllClosed(org, 600_000)
    for (const p of procs) p.child.kill('SIGKILL')
    return ms
  } finally {
    r.disconnect()
    await org.stop()
  }
}

async function main() {
  const [emu, redis] = await Promise.all([startEmulator(), redisServer()])
  try {
    const alone = await run(emu, redis, 1, 'none')
    const three = await run(emu, redis, 3, 'none')
    const leased = await run(emu, redis, 3, 'lease')
    const rows = [
      ['one replica, no lease', alone],
      ['three replicas, no lease', three],
      ['three replicas, Redis lease', leased],
    ]
    console.log(`\n${N} idle conversations, sweeps with concurrency 16, lease TTL ${TTL_MS} ms\n`)
    console.log('| setup | requests | per closed conversation | vs one replica | all closed in |')
    console.log('|---|---|---|---|---|')
    for (const [label, r] of rows) {
      console.log(`| ${label} | ${r.requests} | ${r.perClose.toFixed(3)} | ${(r.perClose / alone.perClose).toFixed(3)}x | ${(r.ms / 1000).toFixed(1)} s |`)
    }
    const takeoverMs = await takeover(emu, redis)
    console.log(`\nTake-over after SIGKILL of the holder: ${takeoverMs} ms (TTL ${TTL_MS} ms; target under TTL + 1 s)`)
  } finally {
    redis.stop()
    await emu.stop()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
