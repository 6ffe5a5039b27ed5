#!/usr/bin/env node
'use strict'
// The fleet (issue 27): 200 orgs with 50 conversations each (20 idle, 30
// active), 3 replica processes, one Redis, one emulator serving every org
// (an org per port). 150 orgs sweep every 10 s, 50 watch. Reports:
//   1. all held and every idle conversation ended: each exactly once (one
//      200 PATCH per idle id, none for an active one); orgs per replica
//      (max, min); requests per close;
//   2. SIGKILL of the replica holding most: time until all its orgs are
//      held again (against TTL + one pass), and a new idle conversation in
//      each of its orgs ended;
//   3. a 4th replica joins: time until the share is fair, and orgs moved;
//   4. RSS per replica, and per held org: (RSS - RSS of a replica of an
//      empty fleet) / orgs held.
// Writes bench/results/fleet.json.
//
//   node bench/fleet.js      (BENCH_FLEET_ORGS=200 BENCH_FLEET_TTL_MS=3000 to change)
//   node bench/fleet.js --memory [--clients 1000] [--watchers 50]
//                            (KB per idle and per watching org: fleet-memory.js)

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')
const Redis = require('ioredis')
const { startEmulator } = require('../testing')
const { CleanupFleet } = require('../fleet')
const { ensureRedisServer } = require('../scripts/redis')

const ORGS = Number(process.env.BENCH_FLEET_ORGS || 200)
const TTL_MS = Number(process.env.BENCH_FLEET_TTL_MS || 3000)
const IDLE = 20
const ACTIVE = 30
const HOUR = 3600_000
const FIXTURE = path.join(__dirname, '..', '__test__', 'fixtures', 'fleet-replica.js')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function until(what, ms, check, every = 100) {
  const t0 = Date.now()
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(every)
  }
}

async function redisServer() {
  const bin = ensureRedisServer({ log: () => {} })
  const net = require('node:net')
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => resolve(p))
    })
  })
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] })
  await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('Ready to accept') && resolve()))
  return { port, stop: () => child.kill('SIGKILL') }
}

async function seed(emu) {
  const orgs = []
  for (let i = 0; i < ORGS; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, ORGS - i) }, async (_, k) => {
        const n = i + k
        const org = await emu.org({ config: { latencyMs: 20, logLimit: 5000 }, organizationId: `bench-fleet-org-${n}` })
        const now = Date.now()
        const idle = []
        const active = []
        for (let j = 0; j < IDLE; j++) idle.push((await org.createConversation({ type: 'webmessaging', startedAt: now - 3 * HOUR, lastActivityAt: now - 2 * HOUR })).id)
        for (let j = 0; j < ACTIVE; j++) active.push((await org.createConversation({ type: 'webmessaging', startedAt: now - 3 * HOUR, lastActivityAt: now })).id)
        const job = n % 4 === 3 ? { watch: { idleMs: HOUR, reconcileEveryMs: 60_000 } } : { sweep: { idleForMs: HOUR, everyMs: 10_000 } }
        return { org, idle, active, spec: { id: `org-${String(n).padStart(3, '0')}`, baseUrl: org.url, credentials: { accessToken: 'cc-cleanup-token' }, job } }
      }),
    )
    orgs.push(...batch)
  }
  return orgs
}

function replica(redisPort, id, file, fleet) {
  const args = [FIXTURE, String(redisPort), id, String(TTL_MS), file]
  if (fleet) args.push(fleet)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const r = { id, child, lines: [], rss: 0, held: 0 }
  r.ready = new Promise((resolve) => {
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      const v = JSON.parse(l)
      if (v.ready) resolve()
      if (v.rss !== undefined) {
        r.rss = v.rss
        r.held = v.held
      } else r.lines.push(v)
    })
  })
  return r
}

async function openIdle(orgs) {
  let n = 0
  for (let i = 0; i < orgs.length; i += 25) {
    const counts = await Promise.all(orgs.slice(i, i + 25).map(async (o) => (await o.org.admin('GET', 'conversations?state=active')).ids.length - o.active.length))
    n += counts.reduce((a, b) => a + b, 0)
  }
  return n
}

const holdsOf = (s) => s.replicas.map((r) => r.holds)

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-'))
  const [emu, redis] = await Promise.all([startEmulator(), redisServer()])
  const conn = new Redis(redis.port, '127.0.0.1')
  const replicas = []
  try {
    console.log(`seeding ${ORGS} orgs x ${IDLE + ACTIVE} conversations...`)
    const orgs = await seed(emu)
    const file = path.join(dir, 'orgs.json')
    fs.writeFileSync(file, JSON.stringify(orgs.map((o) => o.spec)))
    const ids = orgs.map((o) => o.spec.id)
    const status = () => CleanupFleet.status(conn, { orgs: ids })
    const statsBefore = await Promise.all(orgs.map((o) => o.org.stats()))

    // A replica of an empty fleet (its own name): the RSS of the process without orgs.
    fs.writeFileSync(path.join(dir, 'empty.json'), '[]')
    const empty = replica(redis.port, 'empty', path.join(dir, 'empty.json'), 'bench-empty')
    await empty.ready
    await until('the empty replica reporting RSS', 10_000, () => empty.rss > 0)
    await sleep(1500)
    const emptyRss = empty.rss
    empty.child.kill('SIGTERM')

    // 1. Three replicas.
    const t0 = Date.now()
    for (const id of ['r1', 'r2', 'r3']) replicas.push(replica(redis.port, id, file))
    await Promise.all(replicas.map((r) => r.ready))
    const held = await until('every org held', 10 * TTL_MS, async () => {
      const s = await status()
      return s.orgs.every((o) => o.holder) ? s : null
    })
    const allHeldMs = Date.now() - t0
    const sweepOrgs = orgs.filter((o) => o.spec.job.sweep)
    const watchOrgs = orgs.filter((o) => o.spec.job.watch)
    await until('every idle conversation of the sweep orgs ended', 600_000, async () => (await openIdle(sweepOrgs)) === 0, 500)
    const sweepOrgsClosedMs = Date.now() - t0
    await until('every idle conversation ended', 600_000, async () => (await openIdle(watchOrgs)) === 0, 500)
    const allClosedMs = Date.now() - t0
    const fair3 = await until('a fair share of 3', 4 * TTL_MS, async () => {
      const s = await status()
      return s.share.fair && s.share.replicas === 3 ? s : null
    })
    const statsAfter = await Promise.all(orgs.map((o) => o.org.stats()))
    const requests = statsAfter.reduce((n, s, i) => n + s.requests - statsBefore[i].requests, 0)
    await sleep(1500)
    const rss3 = replicas.map((r) => ({ id: r.id, rssMb: r.rss / 1e6, held: r.held }))

    // 2. SIGKILL the replica holding most.
    const counts = holdsOf(fair3)
    const victimId = fair3.replicas[counts.indexOf(Math.max(...counts))].id
    const victim = replicas.find((r) => r.id === victimId)
    const victimOrgs = fair3.orgs.filter((o) => o.holder === victimId).map((o) => o.id)
    victim.child.kill('SIGKILL')
    const killedAt = Date.now()
    await until('the victim orgs held again', 10 * TTL_MS, async () => {
      const s = await status()
      return s.orgs.filter((o) => victimOrgs.includes(o.id)).every((o) => o.holder && o.holder !== victimId)
    }, 50)
    const takeoverMs = Date.now() - killedAt
    const fair2 = await until('a fair share of 2', 10 * TTL_MS, async () => {
      const s = await status()
      return s.share.fair && s.share.replicas === 2 ? s : null
    }, 50)
    const fair2Ms = Date.now() - killedAt
    const victimTestOrgs = orgs.filter((o) => victimOrgs.includes(o.spec.id))
    for (const o of victimTestOrgs) {
      const now = Date.now()
      o.idle.push((await o.org.createConversation({ type: 'webmessaging', startedAt: now - 3 * HOUR, lastActivityAt: now - 2 * HOUR })).id)
    }
    await until('the new idle conversations in the victim orgs ended', 300_000, async () => (await openIdle(victimTestOrgs)) === 0, 500)
    const afterKillMs = Date.now() - killedAt

    // 3. A fourth replica joins (after the victim's presence is gone: 3 live again).
    const joinAt = Date.now()
    const r4 = replica(redis.port, 'r4', file)
    replicas.push(r4)
    await r4.ready
    const fair4 = await until('a fair share of 3 with the joiner', 10 * TTL_MS, async () => {
      const s = await status()
      return s.share.fair && s.share.replicas === 3 && s.replicas.some((r) => r.id === 'r4' && r.holds > 0) ? s : null
    }, 50)
    const joinFairMs = Date.now() - joinAt
    const moved = replicas.filter((r) => r !== victim).flatMap((r) => r.lines.filter((l) => l.kind === 'released' && l.t >= joinAt)).length
    const minimumMoves = Math.min(...holdsOf(fair4))

    // Checks: one 200 PATCH per idle id, none for an active one.
    const logs = await Promise.all(orgs.map((o) => o.org.requests()))
    let twice = 0
    let missing = 0
    let activeEnded = 0
    orgs.forEach((o, i) => {
      const per = new Map()
      for (const r of logs[i]) if (r.method === 'PATCH' && r.status === 200) per.set(r.path.split('/').pop(), (per.get(r.path.split('/').pop()) ?? 0) + 1)
      for (const id of o.idle) {
        const n = per.get(id) ?? 0
        if (n > 1) twice++
        if (n === 0) missing++
      }
      for (const id of o.active) if (per.has(id)) activeEnded++
    })
    await sleep(1500)
    const rss = replicas.filter((r) => r !== victim).map((r) => ({ id: r.id, rssMb: r.rss / 1e6, held: r.held }))
    // Per org client made (a replica keeps the client of an org it handed over while the org is configured).
    const perOrgKb = rss3.map((r) => (r.held > 0 ? Math.round((r.rssMb * 1e6 - emptyRss) / r.held / 1024) : null))
    const closes = orgs.length * IDLE
    const result = {
      orgs: ORGS,
      conversationsPerOrg: IDLE + ACTIVE,
      idlePerOrg: IDLE,
      ttlMs: TTL_MS,
      addonProfile: 'as built (npm run build for release figures)',
      allHeldMs,
      sweepOrgsClosedMs,
      allClosedMs,
      orgsPerReplica: { max: Math.max(...holdsOf(fair3)), min: Math.min(...holdsOf(fair3)) },
      requests,
      requestsPerClose: requests / closes,
      idleEndedTwice: twice,
      idleNotEnded: missing,
      activeEnded,
      sigkill: { victimOrgs: victimOrgs.length, takeoverMs, bound: TTL_MS + Math.round((1.1 * TTL_MS) / 3), fairMs: fair2Ms, newIdleEndedMs: afterKillMs },
      join: { fairMs: joinFairMs, moved, minimumMoves, holds: holdsOf(fair4) },
      emptyReplicaRssMb: emptyRss / 1e6,
      rssAfterStart: rss3,
      rssAtEnd: rss,
      rssPerHeldOrgKbAfterStart: perOrgKb,
      machine: `${os.cpus().length} cpu, ${os.cpus()[0]?.model ?? ''}`.trim(),
      at: new Date().toISOString(),
    }
    console.log(JSON.stringify(result, null, 2))
    const out = path.join(__dirname, 'results', 'fleet.json')
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
    console.log(`\nwritten to ${path.relative(process.cwd(), out)}`)
    if (twice > 0 || missing > 0 || activeEnded > 0) {
      console.error(`FAILED: ${twice} idle ended twice, ${missing} not ended, ${activeEnded} active ended`)
      process.exitCode = 1
    }
    for (const r of replicas) r.child.kill('SIGTERM')
    await sleep(500)
    await Promise.all(orgs.map((o) => o.org.stop().catch(() => undefined)))
  } finally {
    for (const r of replicas) r.child.kill('SIGKILL')
    conn.disconnect()
    redis.stop()
    await emu.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv.includes('--memory')) {
  require('./fleet-memory.js')
} else {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
