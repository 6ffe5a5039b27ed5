// Several replicas, one cleanup: sweep({ lease }) over a real redis-server and
// the emulator. Exactly one replica sweeps; a holder that loses its lease
// (stolen, Redis gone, event loop stalled past the TTL) stops writing; a
// killed holder is replaced within the TTL plus one renewal interval, and no
// conversation is left open or ended twice.
import { spawn, spawnSync, ChildProcess } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import Redis from 'ioredis'
import { isCleanupError, type Lease } from '../index'
import { redisLease } from '../redis'
import { startEmulator, Emulator, EmulatorOrg, RequestLogEntry } from '../testing'
import { startRedis, redisConnections, RedisServer } from './redis-server'
import { clientFor, matching, SEED } from './helpers'

const ORG_ID = '6f1f6b2e-0000-4000-8000-00000000000a'
const NAME = `genesys-cleanup:${ORG_ID}:sweep`
const HOUR = 3600_000

let emu: Emulator
let redisServer: RedisServer

beforeAll(async () => {
  ;[emu, redisServer] = await Promise.all([startEmulator(), startRedis()])
})
afterAll(async () => {
  connections.closeAll()
  await redisServer?.kill()
  await emu?.stop()
})

const connections = redisConnections(() => redisServer)
const redis = (): Promise<Redis> => connections.connect()

/** `n` open web messaging conversations idle for two hours. */
async function idleConversations(org: EmulatorOrg, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const c = await org.createConversation({ type: 'webmessaging', startedAt: Date.now() - 3 * HOUR, lastActivityAt: Date.now() - 2 * HOUR })
    ids.push(c.id)
  }
  return ids
}

/** The PATCHes that closed something (answered 200). */
const patches = (log: RequestLogEntry[]) => matching(log, { method: 'PATCH', status: 200 })
const analytics = (log: RequestLogEntry[]) => matching(log, { path: /^\/api\/v2\/analytics\// })

test('of three replicas sweeping at once, exactly one holds the lease and sweeps', async () => {
  const org = await emu.org()
  try {
    const ids = await idleConversations(org, 12)
    const leases = await Promise.all([0, 1, 2].map(async () => redisLease(await redis(), { ttlMs: 3000 })))
    const reports = await Promise.all(leases.map((lease) => clientFor(org).sweep({ idleForMs: 60_000, lease })))
    const holders = reports.filter((r) => r.lease.held)
    expect(holders).toHaveLength(1)
    expect(holders[0].lease).toMatchObject({ name: NAME, lost: false })
    expect(holders[0].sweep?.close.closed).toBe(ids.length)
    for (const r of reports.filter((x) => !x.lease.held)) expect(r).toEqual({ lease: { name: NAME, held: false, renewals: 0, lost: false, reason: 'another replica holds it' }, sweep: null })
    const log = await org.requests()
    expect(analytics(log)).toHaveLength(1)
    expect(patches(log)).toHaveLength(ids.length)
    // Released at the end: the next pass may run anywhere.
    expect(await (await redis()).get(NAME)).toBeNull()
  } finally {
    await org.stop()
  }
})

test('a holder whose lease is taken stops writing at the next renewal', async () => {
  const org = await emu.org({ config: { latencyMs: 25 } })
  const r = await redis()
  try {
    const ids = await idleConversations(org, 40)
    const lease = redisLease(r, { ttlMs: 1200 })
    const run = clientFor(org).sweep({ idleForMs: 60_000, concurrency: 1, lease })
    await new Promise((res) => setTimeout(res, 700))
    const stolenAt = Date.now()
    await r.set(NAME, 'another-replica', 'PX', 30_000)
    const report = await run
    expect(report.lease).toMatchObject({ held: true, lost: true })
    expect(report.lease.reason).toMatch(/renewal failed: another replica holds it now/)
    // Known lost at the next renewal (a third of the TTL), then no more writes.
    const late = patches(await org.requests()).filter((p) => p.atMs > stolenAt + 400 + 150)
    expect(late).toEqual([])
    const closed = patches(await org.requests()).length
    expect(closed).toBeGreaterThan(0)
    expect(closed).toBeLessThan(ids.length)
    // The report never claims more than happened.
    if (report.sweep) expect(report.sweep.close.closed).toBeLessThanOrEqual(closed)
    // Not released: the key is the thief's.
    expect(await r.get(NAME)).toBe('another-replica')
  } finally {
    await r.del(NAME)
    await org.stop()
  }
})

test('with the event loop stalled past the TTL, the native side stops writing on its own', async () => {
  const org = await emu.org({ config: { latencyMs: 15 } })
  try {
    await idleConversations(org, 150)
    const lease = redisLease(await redis(), { ttlMs: 1000 })
    const run = clientFor(org).sweep({ idleForMs: 60_000, concurrency: 2, lease })
    // Let it start writing, then block this thread: no renewal can run.
    for (let i = 0; i < 200 && patches(await org.requests()).length < 3; i++) await new Promise((res) => setTimeout(res, 20))
    const blockedAt = Date.now()
    while (Date.now() - blockedAt < 2500) {
      // busy: the JS timers (renewals, aborts) cannot fire
    }
    const unblockedAt = Date.now()
    const report = await run
    const log = patches(await org.requests())
    // The fence was armed for at most ttl - margin after the last renewal, sent before blockedAt.
    const afterTtl = log.filter((p) => p.atMs > blockedAt + 1000 + 60 && p.atMs < unblockedAt)
    expect(afterTtl).toEqual([])
    expect(log.filter((p) => p.atMs > blockedAt && p.atMs < blockedAt + 800).length).toBeGreaterThan(0)
    // The first refused write stops the run: no more reads either (at most
    // the two already in flight).
    const laterRequests = (await org.requests()).filter((r) => r.atMs > blockedAt + 1000 + 60 && r.atMs < unblockedAt)
    expect(laterRequests.length).toBeLessThanOrEqual(2)
    expect(report.sweep!.close.results.filter((r) => r.outcome === 'failed' && r.error.code === 'ERR_LEASE_LOST' && r.error.notAttempted).length).toBeGreaterThan(0)
    expect(report.lease.lost).toBe(true)
  } finally {
    await org.stop()
  }
})

test('Redis gone: the holder stops and reports; Redis back: the next pass finishes the work', async () => {
  const org = await emu.org({ config: { latencyMs: 25 } })
  try {
    const ids = await idleConversations(org, 40)
    const r = await redis()
    const lease = redisLease(r, { ttlMs: 1500, timeoutMs: 300 })
    const c = clientFor(org)
    const run = c.sweep({ idleForMs: 60_000, concurrency: 1, lease })
    await new Promise((res) => setTimeout(res, 300))
    await redisServer.kill()
    const first = await run
    expect(first.lease).toMatchObject({ held: true, lost: true })
    expect(first.lease.reason).toMatch(/did not answer/)
    const afterFirst = patches(await org.requests()).length
    expect(afterFirst).toBeLessThan(ids.length)
    // Down: no replica can hold the lease, so none sweeps.
    const down = await c.sweep({ idleForMs: 60_000, lease })
    expect(down).toMatchObject({ lease: { held: false }, sweep: null })
    expect(patches(await org.requests())).toHaveLength(afterFirst)
    await redisServer.restart()
    for (let i = 0; i < 50 && r.status !== 'ready'; i++) await new Promise((res) => setTimeout(res, 100))
    const again = await c.sweep({ idleForMs: 60_000, concurrency: 4, lease })
    expect(again.lease).toMatchObject({ held: true, lost: false })
    expect(again.sweep!.close.closed + afterFirst).toBe(ids.length)
    expect((await org.admin<{ ids: string[] }>('GET', 'conversations?state=active')).ids).toEqual([])
  } finally {
    await org.stop()
  }
})

test('a killed holder is replaced within TTL + one renewal; nothing left open, nothing ended twice', async () => {
  const org = await emu.org({ config: { latencyMs: 20 } })
  const ttlMs = 1500
  const replicas: Array<{ child: ChildProcess; holder: Promise<string>; lines: Array<{ held: boolean; lost: boolean; closed: number }> }> = []
  const r = await redis()
  try {
    const ids = await idleConversations(org, 80)
    for (let i = 0; i < 3; i++) {
      const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'replica.js'), org.url, String(redisServer.port), String(ttlMs), '60000', '2'], { stdio: ['ignore', 'pipe', 'inherit'] })
      const lines: Array<{ held: boolean; lost: boolean; closed: number }> = []
      const holder = new Promise<string>((resolve) => {
        readline.createInterface({ input: child.stdout! }).on('line', (l) => {
          const v = JSON.parse(l)
          if (v.holder) resolve(v.holder)
          else lines.push(v)
        })
      })
      replicas.push({ child, holder, lines })
    }
    const tokens = await Promise.all(replicas.map((x) => x.holder))
    // Wait until one holds the lease and has started writing.
    let holderToken: string | null = null
    for (let i = 0; i < 200 && !(holderToken && patches(await org.requests()).length > 5); i++) {
      holderToken = await r.get(NAME)
      await new Promise((res) => setTimeout(res, 25))
    }
    // The key holds the holder's token and the number of its acquisition.
    const holderOf = (value: string | null) => (value ?? '').split(':')[0]
    const victim = replicas[tokens.indexOf(holderOf(holderToken))]
    expect(victim).toBeDefined()
    victim.child.kill('SIGKILL')
    const killedAt = Date.now()
    let takenAt = 0
    for (let i = 0; i < 400; i++) {
      const now = await r.get(NAME)
      if (now && now !== holderToken) {
        takenAt = Date.now()
        break
      }
      await new Promise((res) => setTimeout(res, 10))
    }
    expect(takenAt).toBeGreaterThan(0)
    expect(takenAt - killedAt).toBeLessThan(ttlMs + ttlMs / 3 + 200)
    for (let i = 0; i < 300; i++) {
      if ((await org.admin<{ ids: string[] }>('GET', 'conversations?state=active')).ids.length === 0) break
      await new Promise((res) => setTimeout(res, 50))
    }
    expect((await org.admin<{ ids: string[] }>('GET', 'conversations?state=active')).ids).toEqual([])
    const log = await org.requests()
    const perId = new Map<string, number>()
    for (const p of patches(log)) perId.set(p.path, (perId.get(p.path) ?? 0) + 1)
    expect([...perId.values()].every((n) => n === 1)).toBe(true)
    expect(perId.size).toBe(ids.length)
    // One analytics query per pass of a holder (the killed one's last pass
    // may have queried without reporting).
    const heldPasses = replicas.reduce((n, x) => n + x.lines.filter((l) => l.held).length, 0)
    expect(analytics(log).length - heldPasses).toBeGreaterThanOrEqual(0)
    expect(analytics(log).length - heldPasses).toBeLessThanOrEqual(2)
  } finally {
    for (const x of replicas) x.child.kill('SIGKILL')
    await org.stop()
  }
}, 60_000)

test('two overlapping sweeps on one lease object: one writes, the other is refused; nothing PATCHed twice', async () => {
  // The README's pattern, setInterval(() => client.sweep({ lease }), ...),
  // starts a sweep while the last one still runs.
  const org = await emu.org({ config: { latencyMs: 20 } })
  try {
    const ids = await idleConversations(org, 20)
    const lease = redisLease(await redis(), { ttlMs: 3000 })
    const c = clientFor(org)
    // The replicas of an earlier test may have left their key behind (they
    // die holding it); this test starts from a free lease.
    const conn = await redis()
    await conn.del(NAME)
    const first = c.sweep({ idleForMs: 60_000, lease, concurrency: 2 })
    // The second starts once the first holds the lease: the key carries this
    // lease object's holder token.
    while (!((await conn.get(NAME)) ?? '').startsWith(`${lease.holder}:`)) await new Promise((r) => setTimeout(r, 5))
    const second = await c.sweep({ idleForMs: 60_000, lease, concurrency: 2 })
    expect(second.lease).toMatchObject({ name: NAME, held: false, lost: false })
    expect(second.lease.reason).toMatch(/still running in this process/)
    expect(second.sweep).toBeNull()
    const r = await first
    expect(r.lease).toMatchObject({ held: true, lost: false })
    expect(r.sweep?.close.closed).toBe(ids.length)
    const byId = new Map<string, number>()
    for (const p of patches(await org.requests())) byId.set(p.path, (byId.get(p.path) ?? 0) + 1)
    expect([...byId.values()].every((n) => n === 1)).toBe(true)
    expect(byId.size).toBe(ids.length)
    // The first sweep's release freed the lease: the next pass may run.
    expect(await conn.get(NAME)).toBeNull()
    expect((await c.sweep({ idleForMs: 60_000, lease })).lease.held).toBe(true)
  } finally {
    await org.stop()
  }
})

test('a custom store that lets its holder take a lease twice still gets one writer per lease object', async () => {
  const org = await emu.org({ config: { latencyMs: 20 } })
  try {
    await idleConversations(org, 6)
    let holders = 0
    // Re-entrant: acquire always answers true, as a naive store would.
    const naive: Lease = { ttlMs: 3000, acquire: async () => (holders++, true), renew: async () => true, release: async () => undefined }
    const c = clientFor(org)
    const [a, b] = await Promise.all([c.sweep({ idleForMs: 60_000, lease: naive }), c.sweep({ idleForMs: 60_000, lease: naive })])
    expect([a.lease.held, b.lease.held].sort()).toEqual([false, true])
    expect(holders).toBe(1)
    const byId = new Map<string, number>()
    for (const p of patches(await org.requests())) byId.set(p.path, (byId.get(p.path) ?? 0) + 1)
    expect([...byId.values()].every((n) => n === 1)).toBe(true)
  } finally {
    await org.stop()
  }
})

test('a lease that is not a lease is a typed error; a throwing or hung lease is not held', async () => {
  const org = await emu.org()
  try {
    const c = clientFor(org)
    for (const bad of [{}, { ttlMs: 500, acquire() {}, renew() {}, release() {} }, 'redis://x']) {
      const e = await c.sweep({ idleForMs: 60_000, lease: bad as unknown as Lease }).catch((x: unknown) => x)
      expect(isCleanupError(e) && e.code).toBe('ERR_INVALID_ARGUMENT')
    }
    const broken: Lease = {
      ttlMs: 2000,
      acquire: async () => {
        throw new Error('store down')
      },
      renew: async () => false,
      release: async () => undefined,
    }
    const r = await c.sweep({ idleForMs: 60_000, lease: broken })
    expect(r).toEqual({ lease: { name: NAME, held: false, renewals: 0, lost: false, reason: 'the lease store did not answer: store down' }, sweep: null })
    // A store that never answers is not held after a third of the TTL.
    const hung: Lease = { ttlMs: 1500, acquire: () => new Promise<boolean>(() => undefined), renew: async () => false, release: async () => undefined }
    const t0 = Date.now()
    const h = await c.sweep({ idleForMs: 60_000, lease: hung })
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(h).toEqual({ lease: { name: NAME, held: false, renewals: 0, lost: false, reason: 'the lease store did not answer: acquire did not answer within 500 ms' }, sweep: null })
  } finally {
    await org.stop()
  }
})

describe('CLI: sweep --lease', () => {
  const CLI = path.join(__dirname, '..', 'bin', 'genesys-cleanup.js')
  const cli = (org: EmulatorOrg, args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GENESYS_BASE_URL: org.url, GENESYS_ACCESS_TOKEN: SEED.cleanupToken, GENESYS_CLIENT_ID: '', GENESYS_CLIENT_SECRET: '' },
      timeout: 30_000,
    })

  test('another replica holds the lease: nothing is done, exit 0', async () => {
    const org = await emu.org()
    const r = await redis()
    try {
      await idleConversations(org, 3)
      await r.set(NAME, 'another-replica', 'PX', 30_000)
      const run = cli(org, ['sweep', '--idle', '1h', '--lease', redisServer.url])
      expect(run.stdout).toContain(`Not swept: this replica does not hold the lease ${NAME} (another replica holds it).`)
      expect(run.status).toBe(0)
      expect(analytics(await org.requests())).toEqual([])
    } finally {
      await r.del(NAME)
      await org.stop()
    }
  })

  test('holding the lease, it sweeps and reports the lease in --json', async () => {
    const org = await emu.org()
    try {
      const ids = await idleConversations(org, 3)
      const run = cli(org, ['--json', 'sweep', '--idle', '1h', '--lease', redisServer.url, '--lease-ttl', '10s'])
      expect(run.status).toBe(0)
      const doc = JSON.parse(run.stdout)
      expect(doc.lease).toMatchObject({ name: NAME, held: true, lost: false })
      expect(doc.sweep.close.closed).toBe(ids.length)
    } finally {
      await org.stop()
    }
  })

  test('watch --lease: holds the lease, watches, and says so at Ctrl-C', async () => {
    const org = await emu.org()
    try {
      const child = spawn(process.execPath, [CLI, 'watch', '--idle', '1h', '--lease', redisServer.url, '--lease-ttl', '3s'], {
        env: { ...process.env, GENESYS_BASE_URL: org.url, GENESYS_ACCESS_TOKEN: SEED.cleanupToken, GENESYS_CLIENT_ID: '', GENESYS_CLIENT_SECRET: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      child.stdout!.on('data', (d: Buffer) => (stdout += d))
      for (let i = 0; i < 100 && (await org.notifications()).channels.filter((c) => c.connected).length === 0; i++) await new Promise((res) => setTimeout(res, 50))
      const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
      child.kill('SIGINT')
      expect(await exited).toBe(0)
      expect(stdout).toContain(`Held the lease genesys-cleanup:${ORG_ID}:watch 1 time(s); the report is of the last term.`)
      expect(stdout).toMatch(/Watch stopped after/)
    } finally {
      await org.stop()
    }
  })

  test('a bad --lease is a usage error (exit 2) naming the fix', async () => {
    const org = await emu.org()
    try {
      const run = cli(org, ['sweep', '--idle', '1h', '--lease', 'http://127.0.0.1:1'])
      expect(run.status).toBe(2)
      expect(run.stderr).toMatch(/--lease must be a Redis URL/)
    } finally {
      await org.stop()
    }
  })
})

describe('watch({ lease })', () => {
  const WATCH_NAME = `genesys-cleanup:${ORG_ID}:watch`

  test('one of two replicas watches; when it stops, the other takes over within a renewal and ends what went idle', async () => {
    const org = await emu.org()
    const r = await redis()
    // A renewal (and a standby's retry) every third of the TTL, each Redis
    // call bounded by that third: a TTL of 1.5 s lost the lease whenever a
    // loaded machine stalled this process or Redis for 0.5 s. 6 s holds on a
    // loaded 2-core machine; the bounds below are in thirds of it.
    const ttlMs = 6000
    const replicas = await Promise.all(
      [0, 1].map(async () => {
        const lease = redisLease(await redis(), { ttlMs })
        const controller = new AbortController()
        const done = clientFor(org).watch({ idleMs: 1500, reconcileEveryMs: 3_600_000, lease, signal: controller.signal })
        return { lease, controller, done }
      }),
    )
    const connected = async () => (await org.notifications()).channels.filter((c) => c.connected)
    try {
      for (let i = 0; i < 100 && (await connected()).length === 0; i++) await new Promise((res) => setTimeout(res, 50))
      await new Promise((res) => setTimeout(res, 700))
      expect(await connected()).toHaveLength(1)
      const holderToken = await r.get(WATCH_NAME)
      // The key holds the holder's token and the number of its acquisition.
      const holderOf = (value: string | null) => (value ?? '').split(':')[0]
      const holder = replicas.find((x) => x.lease.holder === holderOf(holderToken))!
      const other = replicas.find((x) => x !== holder)!
      expect(holder).toBeDefined()
      // The holder stops (a rolling deploy): it releases, the other takes over.
      holder.controller.abort()
      const first = await holder.done
      expect(first.lease).toMatchObject({ name: WATCH_NAME, held: true, terms: 1, lost: 0 })
      expect(first.watch).not.toBeNull()
      const stoppedAt = Date.now()
      while (Date.now() - stoppedAt < ttlMs && holderOf(await r.get(WATCH_NAME)) !== other.lease.holder) await new Promise((res) => setTimeout(res, 20))
      expect(holderOf(await r.get(WATCH_NAME))).toBe(other.lease.holder)
      // Within one standby retry (a third of the TTL) and the acquire itself.
      expect(Date.now() - stoppedAt).toBeLessThan(ttlMs / 3 + 1000)
      for (let i = 0; i < 100 && (await connected()).length === 0; i++) await new Promise((res) => setTimeout(res, 50))
      expect(await connected()).toHaveLength(1)
      // A conversation that falls idle now is ended by the new holder.
      const conv = await org.createConversation({ type: 'webmessaging' })
      let state = ''
      for (let i = 0; i < 100 && state !== 'ended'; i++) {
        await new Promise((res) => setTimeout(res, 100))
        state = (await org.conversation(conv.id)).state
      }
      expect(state).toBe('ended')
      other.controller.abort()
      const second = await other.done
      expect(second.lease).toMatchObject({ held: true, terms: 1, lost: 0 })
      expect(second.watch!.closed).toBeGreaterThanOrEqual(1)
      const perId = new Map<string, number>()
      for (const p of patches(await org.requests())) perId.set(p.path, (perId.get(p.path) ?? 0) + 1)
      expect([...perId.values()].every((n) => n === 1)).toBe(true)
    } finally {
      for (const x of replicas) x.controller.abort()
      await Promise.allSettled(replicas.map((x) => x.done))
      await org.stop()
    }
  }, 30_000)

  test('a term that starts clears the reason an earlier failed try left', async () => {
    const org = await emu.org()
    let tries = 0
    // The store is down for the first try, then answers.
    const flaky: Lease = {
      ttlMs: 1500,
      acquire: async () => {
        if (++tries === 1) throw new Error('store down')
        return true
      },
      renew: async () => true,
      release: async () => undefined,
    }
    const controller = new AbortController()
    const done = clientFor(org).watch({ idleMs: 60_000, reconcileEveryMs: 3_600_000, lease: flaky, signal: controller.signal })
    try {
      const connected = async () => (await org.notifications()).channels.filter((c) => c.connected).length
      for (let i = 0; i < 100 && (await connected()) === 0; i++) await new Promise((res) => setTimeout(res, 50))
      expect(tries).toBe(2)
      controller.abort()
      const report = await done
      expect(report.lease).toMatchObject({ name: WATCH_NAME, held: true, terms: 1, lost: 0 })
      expect(report.lease.reason).toBeUndefined()
    } finally {
      controller.abort()
      await org.stop()
    }
  })

  test('a watcher whose lease is taken stops writing and waits; a stop while waiting resolves at once', async () => {
    const org = await emu.org()
    const r = await redis()
    const lease = redisLease(await redis(), { ttlMs: 1200 })
    const controller = new AbortController()
    const done = clientFor(org).watch({ idleMs: 60_000, reconcileEveryMs: 3_600_000, lease, signal: controller.signal })
    try {
      for (let i = 0; i < 100 && !((await r.get(WATCH_NAME)) ?? '').startsWith(`${lease.holder}:`); i++) await new Promise((res) => setTimeout(res, 20))
      await r.set(WATCH_NAME, 'another-replica', 'PX', 30_000)
      // Lost at the next renewal: its channel's socket closes.
      const connected = async () => (await org.notifications()).channels.filter((c) => c.connected).length
      for (let i = 0; i < 100 && (await connected()) > 0; i++) await new Promise((res) => setTimeout(res, 50))
      expect(await connected()).toBe(0)
      const t0 = Date.now()
      controller.abort()
      const report = await done
      expect(Date.now() - t0).toBeLessThan(300)
      expect(report.lease).toMatchObject({ name: WATCH_NAME, held: true, terms: 1, lost: 1 })
      expect(report.lease.reason).toMatch(/renewal failed: another replica holds it now/)
      expect(await r.get(WATCH_NAME)).toBe('another-replica')
    } finally {
      controller.abort()
      await r.del(WATCH_NAME)
      await org.stop()
    }
  })
})
