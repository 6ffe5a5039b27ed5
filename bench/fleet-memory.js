#!/usr/bin/env node
'use strict'
// Memory of an org (issue 27): the RSS that one more CleanupClient costs in
// a process, idle and watching. Each figure comes from a fresh child process
// (--expose-gc, MALLOC_ARENA_MAX=2), RSS after a GC, against the process
// with one client already made and used (addon, runtime and shared HTTP
// client loaded):
//   - idle org, made: N clients constructed, no request;
//   - idle org, used: the same N after one close each (a 404 on the
//     emulator: the request path, the token, a pooled connection);
//   - watching org: W clients each watching its own emulator org (channel
//     subscribed, socket open, first reconciliation done), nothing tracked.
// Median of the runs. Prints JSON; `node bench/fleet.js --memory` runs it too.
//
//   node bench/fleet-memory.js [--clients 1000] [--watchers 50] [--runs 3]
//   NAPI_RS_NATIVE_LIBRARY_PATH=/path/to/other.node ...   (another addon build)

const { spawn } = require('node:child_process')
const path = require('node:path')

const HOUR = 3600_000
const TOKEN = 'cc-cleanup-token'

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function rssAfterGc() {
  for (let i = 0; i < 3; i++) global.gc()
  return process.memoryUsage().rss
}

async function child(mode, urls, n) {
  const { CleanupClient } = require('../index.js')
  const make = (url) => new CleanupClient({ baseUrl: url, accessToken: TOKEN, timeoutMs: 10_000 })
  const closeOnce = (c) => c.closeConversation('00000000-0000-4000-8000-000000000000').catch(() => undefined)
  // The process with its first client made and used: the fixed cost is out.
  await closeOnce(make(urls[0]))
  await sleep(200)
  const base = rssAfterGc()
  const out = { mode, n, baseRss: base }
  const clients = []
  if (mode === 'idle') {
    for (let i = 0; i < n; i++) clients.push(make(urls[0]))
    out.madeRss = rssAfterGc()
    for (let i = 0; i < n; i += 50) await Promise.all(clients.slice(i, i + 50).map(closeOnce))
    await sleep(200)
    out.usedRss = rssAfterGc()
  } else {
    const controller = new AbortController()
    require('node:events').setMaxListeners(0, controller.signal)
    let connected = 0
    let reconciled = 0
    const runs = urls.slice(0, n).map((url) => {
      const c = make(url)
      clients.push(c)
      const seen = new Set()
      return c.watch({
        idleMs: HOUR,
        reconcileEveryMs: HOUR,
        signal: controller.signal,
        onEvent: (e) => {
          if (seen.has(e.kind)) return
          seen.add(e.kind)
          if (e.kind === 'connected') connected++
          if (e.kind === 'reconciled') reconciled++
        },
      })
    })
    const t0 = Date.now()
    while ((connected < n || reconciled < n) && Date.now() - t0 < 60_000) await sleep(100)
    if (connected < n) throw new Error(`only ${connected} of ${n} watches connected`)
    await sleep(500)
    out.watchRss = rssAfterGc()
    controller.abort()
    await Promise.allSettled(runs)
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

function runChild(mode, urls, n) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', __filename, '--child', mode, String(n), JSON.stringify(urls)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, MALLOC_ARENA_MAX: '2' },
    })
    let text = ''
    p.stdout.on('data', (d) => (text += d))
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(text.trim().split('\n').pop())) : reject(new Error(`${mode} child exited ${code}`))))
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const kb = (bytes) => Math.round(bytes / 1024)

async function main() {
  const clients = flag('clients', 1000)
  const watchers = flag('watchers', 50)
  const runs = flag('runs', 3)
  const { startEmulator } = require('../testing')
  const emu = await startEmulator()
  try {
    const orgs = await Promise.all(Array.from({ length: Math.max(1, watchers) }, () => emu.org()))
    const urls = orgs.map((o) => o.url)
    const idle = []
    const watching = []
    for (let r = 0; r < runs; r++) {
      const i = await runChild('idle', urls, clients)
      idle.push({ made: (i.madeRss - i.baseRss) / clients, used: (i.usedRss - i.baseRss) / clients })
      if (watchers > 0) {
        const w = await runChild('watch', urls, watchers)
        watching.push((w.watchRss - w.baseRss) / watchers)
      }
    }
    const result = {
      addon: process.env.NAPI_RS_NATIVE_LIBRARY_PATH ? path.basename(process.env.NAPI_RS_NATIVE_LIBRARY_PATH) : 'as built',
      clients,
      watchers,
      runs,
      kbPerIdleOrgMade: kb(median(idle.map((x) => x.made))),
      kbPerIdleOrgUsed: kb(median(idle.map((x) => x.used))),
      kbPerWatchingOrg: watchers > 0 ? kb(median(watching)) : null,
      samples: { idle: idle.map((x) => ({ made: kb(x.made), used: kb(x.used) })), watching: watching.map(kb) },
    }
    console.log(JSON.stringify(result, null, 2))
    await Promise.all(orgs.map((o) => o.stop().catch(() => undefined)))
  } finally {
    await emu.stop()
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3], JSON.parse(process.argv[5]), Number(process.argv[4])).catch((e) => {
    process.stderr.write(`${e && e.stack}\n`)
    process.exit(1)
  })
} else {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
