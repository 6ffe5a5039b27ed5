// The fleet (genesys-cleanup/fleet): many orgs on many replicas, over a real
// redis-server and the emulator (one emulator org per fleet org, each on its
// own port). Fair share, rebalancing on a join, take-over after SIGKILL,
// per-org isolation, fenced writes, and no conversation written twice.
// Every wait is for a condition, bounded by a timeout.
import { spawn, ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import Redis from 'ioredis'
import { isCleanupError } from '../index'
import { CleanupFleet, type FleetEvent, type FleetOrg, type FleetStatus } from '../fleet'
import { startEmulator, Emulator, EmulatorOrg, RequestLogEntry } from '../testing'
import { startRedis, redisConnections, RedisServer } from './redis-server'
import { matching, SEED } from './helpers'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { plan, quotas } = require('../lib/fleet/plan.js') as {
  plan: (s: { self: string; live: string[]; orgs: string[]; holders: Map<string, string | null>; mine: string[]; handing: number; costOf: (o: string) => number }) => {
    quota: number
    cap: number
    release: string[]
    acquire: string[]
    want: number
  }
  quotas: (live: string[], counts: Map<string, number>, m: number) => Map<string, number>
}

const HOUR = 3600_000
// A pass every third of it; a Redis call may take a third of it too. 3 s
// holds on a loaded 2-core machine (1.5 s did not for the lease tests).
const TTL = 3000

let emu: Emulator
let redisServer: RedisServer
const fleets: CleanupFleet[] = []

beforeAll(async () => {
  ;[emu, redisServer] = await Promise.all([startEmulator(), startRedis()])
})
afterAll(async () => {
  await Promise.allSettled(fleets.map((f) => f.stop()))
  connections.closeAll()
  await redisServer?.kill()
  await emu?.stop()
})

const connections = redisConnections(() => redisServer)
const redis = (): Promise<Redis> => connections.connect()

/** Polls `check` every 50 ms until it returns a truthy value; fails after `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T> | T): Promise<NonNullable<T>> {
  const t0 = Date.now()
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function idle(org: EmulatorOrg, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const c = await org.createConversation({ type: 'webmessaging', startedAt: Date.now() - 3 * HOUR, lastActivityAt: Date.now() - 2 * HOUR })
    ids.push(c.id)
  }
  return ids
}

const open = async (org: EmulatorOrg) => (await org.admin<{ ids: string[] }>('GET', 'conversations?state=active')).ids.length

/** PATCHes answered 200 per path, over every org's log. */
function patchesPerPath(logs: RequestLogEntry[][]): Map<string, number> {
  const per = new Map<string, number>()
  for (const log of logs) for (const p of matching(log, { method: 'PATCH', status: 200 })) per.set(p.path, (per.get(p.path) ?? 0) + 1)
  return per
}

interface TestOrg {
  emu: EmulatorOrg
  spec: FleetOrg
  ids: string[]
}

/** `n` emulator orgs with `idleEach` idle conversations; every third org watches, the rest sweep every 2 s. */
async function makeOrgs(prefix: string, n: number, idleEach: number): Promise<TestOrg[]> {
  const out: TestOrg[] = []
  for (let i = 0; i < n; i++) {
    const org = await emu.org()
    const ids = await idle(org, idleEach)
    const job: FleetOrg['job'] = i % 3 === 2 ? { watch: { idleMs: 60_000, reconcileEveryMs: 3_600_000 } } : { sweep: { idleForMs: 60_000, everyMs: 2000 } }
    out.push({ emu: org, ids, spec: { id: `${prefix}-${i}`, baseUrl: org.url, credentials: { accessToken: SEED.cleanupToken }, job } })
  }
  return out
}

async function stopOrgs(orgs: TestOrg[]) {
  await Promise.allSettled(orgs.map((o) => o.emu.stop()))
}

/** A fleet in this process, its events kept. */
async function fleetOf(replicaId: string, orgs: FleetOrg[], extra: Partial<ConstructorParameters<typeof CleanupFleet>[0]> = {}) {
  const events: Array<FleetEvent & { t: number }> = []
  const fleet = new CleanupFleet({
    redis: await redis(),
    replicaId,
    ttlMs: TTL,
    orgs,
    onEvent: (e) => {
      if (e.kind !== 'client' && e.kind !== 'watch') events.push({ ...e, t: Date.now() })
    },
    ...extra,
  })
  fleets.push(fleet)
  return { fleet, events }
}

const holdsOf = (s: FleetStatus) => Object.fromEntries(s.replicas.map((r) => [r.id, r.holds]))

describe('plan (pure)', () => {
  const ids = (n: number, p = 'o') => Array.from({ length: n }, (_, i) => `${p}${i}`)

  test('quotas sum to M, differ by at most one, and stick with those already at the cap', () => {
    const q = quotas(['a', 'b', 'c', 'd'], new Map([['a', 10], ['b', 10], ['c', 10]]), 30)
    expect([...q.values()].reduce((x, y) => x + y)).toBe(30)
    expect([...q.values()].sort()).toEqual([7, 7, 8, 8])
    // The joiner (holding nothing) is never among those given the extra one.
    expect(q.get('d')).toBe(7)
  })

  test('a replica sheds its surplus, cheapest first, and never takes past its quota', () => {
    const orgs = ids(12)
    const holders = new Map(orgs.map((o, i) => [o, i < 8 ? 'a' : 'b'] as [string, string]))
    const costs = new Map(orgs.map((o, i) => [o, i === 3 ? 0 : 3]))
    const d = plan({ self: 'a', live: ['a', 'b', 'c'], orgs, holders, mine: orgs.slice(0, 8), handing: 0, costOf: (o) => costs.get(o)! })
    expect(d.quota).toBe(4)
    expect(d.release).toHaveLength(4)
    expect(d.release[0]).toBe('o3')
    expect(d.want).toBe(0)
    // A replica under quota wants exactly the difference; held keys (a dead holder's) are not free.
    const c = plan({ self: 'c', live: ['a', 'b', 'c'], orgs, holders: new Map([...holders, ['o11', null]]), mine: [], handing: 0, costOf: () => 0 })
    expect(c.want).toBe(4)
    expect(c.acquire).toEqual(['o11'])
    // Orgs being handed over count as held.
    const h = plan({ self: 'a', live: ['a', 'b', 'c'], orgs, holders: new Map(orgs.map((o) => [o, null])), mine: ['o0', 'o1'], handing: 2, costOf: () => 0 })
    expect(h.want).toBe(0)
  })

  test('simulated: joins and deaths converge to a fair share with the fewest moves', () => {
    const orgs = ids(30)
    const holders = new Map<string, string | null>(orgs.map((o) => [o, null]))
    const step = (live: string[]) => {
      // Each replica in turn: shed, then take (the ACQUIRE script: first free in its order).
      for (const self of live) {
        const mine = orgs.filter((o) => holders.get(o) === self)
        const d = plan({ self, live, orgs, holders, mine, handing: 0, costOf: () => 0 })
        for (const o of d.release) holders.set(o, null)
        let n = d.want
        for (const o of d.acquire) if (n > 0 && !holders.get(o)) holders.set(o, self), n--
      }
    }
    const counts = (live: string[]) => live.map((r) => orgs.filter((o) => holders.get(o) === r).length)
    for (let i = 0; i < 3; i++) step(['a', 'b', 'c'])
    expect(counts(['a', 'b', 'c'])).toEqual([10, 10, 10])
    const before = new Map(holders)
    for (let i = 0; i < 3; i++) step(['a', 'b', 'c', 'd'])
    expect(counts(['a', 'b', 'c', 'd']).sort()).toEqual([7, 7, 8, 8])
    expect(orgs.filter((o) => holders.get(o) !== before.get(o))).toHaveLength(7)
    // 'b' dies: its keys expire; only its orgs move.
    const beforeDeath = new Map(holders)
    for (const o of orgs) if (holders.get(o) === 'b') holders.set(o, null)
    for (let i = 0; i < 3; i++) step(['a', 'c', 'd'])
    expect(counts(['a', 'c', 'd'])).toEqual([10, 10, 10])
    expect(orgs.filter((o) => beforeDeath.get(o) !== 'b' && holders.get(o) !== beforeDeath.get(o))).toEqual([])
  })
})

describe('fleet over Redis and the emulator', () => {
  test('3 replicas, 30 orgs: 10 each; a 4th joins: 7 or 8 each within one TTL, 7 moves, never past quota; nothing written twice', async () => {
    const orgs = await makeOrgs('fair', 30, 2)
    try {
      const reps = await Promise.all(['a', 'b', 'c'].map((id) => fleetOf(id, orgs.map((o) => o.spec))))
      await Promise.all(reps.map((r) => r.fleet.start()))
      const fair = await until('10 orgs each', 6 * TTL, async () => {
        const s = await reps[0].fleet.status()
        return s.share.fair && s.share.replicas === 3 ? s : null
      })
      expect(Object.values(holdsOf(fair)).sort()).toEqual([10, 10, 10])
      await until('every idle conversation closed', 60_000, async () => (await Promise.all(orgs.map((o) => open(o.emu)))).every((n) => n === 0))

      // The 4th replica joins.
      const d = await fleetOf('d', orgs.map((o) => o.spec))
      const joinAt = Date.now()
      await d.fleet.start()
      const after = await until('the share with 4 replicas', 4 * TTL, async () => {
        const s = await d.fleet.status()
        return s.share.fair && s.share.replicas === 4 ? s : null
      })
      const fairInMs = Date.now() - joinAt
      expect(Object.values(holdsOf(after)).sort()).toEqual([7, 7, 8, 8])
      // Within one TTL of joining (the bound of the issue; 1 s of slack for a loaded machine).
      expect(fairInMs).toBeLessThan(TTL + 1000)
      const moved = reps.flatMap((r) => r.events.filter((e) => e.kind === 'released' && e.t >= joinAt))
      expect(moved).toHaveLength(7)
      // The old replicas took nothing after the join; the joiner took exactly the 7.
      for (const r of reps) expect(r.events.filter((e) => e.kind === 'acquired' && e.t >= joinAt)).toEqual([])
      expect(d.events.filter((e) => e.kind === 'acquired')).toHaveLength(7)
      // Never an acquisition past the quota the replica knew then.
      for (const r of [...reps, d]) {
        let held = 0
        let cap = Infinity
        for (const e of r.events) {
          if (e.kind === 'replicas') cap = e.cap
          if (e.kind === 'acquired') {
            held++
            expect(held).toBeLessThanOrEqual(cap)
          }
          if (e.kind === 'released' || e.kind === 'lost') held--
        }
      }
      // New idle conversations on the moved orgs are closed by their new holder, once.
      const movedOrgs = orgs.filter((o) => moved.some((e) => e.kind === 'released' && e.org === o.spec.id))
      for (const o of movedOrgs) o.ids.push(...(await idle(o.emu, 1)))
      await until('the moved orgs swept by the joiner', 60_000, async () => (await Promise.all(movedOrgs.map((o) => open(o.emu)))).every((n) => n === 0))
      const per = patchesPerPath(await Promise.all(orgs.map((o) => o.emu.requests())))
      expect([...per.values()].filter((n) => n !== 1)).toEqual([])
      expect(per.size).toBe(orgs.reduce((n, o) => n + o.ids.length, 0))
      await Promise.all([...reps, d].map((r) => r.fleet.stop()))
      // Stopped replicas leave nothing behind.
      expect((await CleanupFleet.status(await redis(), { orgs: orgs.map((o) => o.spec.id) })).orgs.every((o) => o.holder === null)).toBe(true)
    } finally {
      await stopOrgs(orgs)
    }
  }, 120_000)

  test('SIGKILL of a replica process: its orgs are held again within TTL + one pass; nothing left open, nothing written twice', async () => {
    const orgs = await makeOrgs('kill', 12, 3)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-test-'))
    const file = path.join(dir, 'orgs.json')
    fs.writeFileSync(file, JSON.stringify(orgs.map((o) => o.spec)))
    const children: Array<{ id: string; child: ChildProcess; ready: Promise<void> }> = []
    const r = await redis()
    try {
      for (const id of ['k1', 'k2', 'k3']) {
        const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'fleet-replica.js'), String(redisServer.port), id, String(TTL), file], { stdio: ['ignore', 'pipe', 'inherit'] })
        const ready = new Promise<void>((resolve) => {
          readline.createInterface({ input: child.stdout! }).on('line', (l) => {
            if (JSON.parse(l).ready) resolve()
          })
        })
        children.push({ id, child, ready })
      }
      await Promise.all(children.map((c) => c.ready))
      const ids = orgs.map((o) => o.spec.id)
      const status = () => CleanupFleet.status(r, { orgs: ids })
      const fair = await until('4 orgs each', 8 * TTL, async () => {
        const s = await status()
        return s.share.fair && s.share.replicas === 3 ? s : null
      })
      expect(Object.values(holdsOf(fair))).toEqual([4, 4, 4])
      await until('every idle conversation closed', 60_000, async () => (await Promise.all(orgs.map((o) => open(o.emu)))).every((n) => n === 0))
      const victim = children[0]
      const victimOrgs = fair.orgs.filter((o) => o.holder === victim.id).map((o) => o.id)
      victim.child.kill('SIGKILL')
      const killedAt = Date.now()
      const taken = await until('the victim orgs held by the others', 4 * TTL, async () => {
        const s = await status()
        return s.orgs.filter((o) => victimOrgs.includes(o.id)).every((o) => o.holder !== null && o.holder !== victim.id) ? s : null
      })
      const takeoverMs = Date.now() - killedAt
      // Its keys expire within the TTL of its last renewal; the next pass after that takes them.
      expect(takeoverMs).toBeLessThan(TTL + (1.1 * TTL) / 3 + 500)
      const fairAgain = await until('6 orgs each', 2 * TTL, async () => {
        const s = await status()
        return s.share.fair && s.share.replicas === 2 ? s : null
      })
      expect(Object.values(holdsOf(fairAgain)).sort()).toEqual([6, 6])
      expect(taken.orgs.every((o) => o.holder !== victim.id)).toBe(true)
      // Idle conversations after the kill, in the victim's orgs: ended by the new holders.
      const victims = orgs.filter((o) => victimOrgs.includes(o.spec.id))
      for (const o of victims) o.ids.push(...(await idle(o.emu, 2)))
      await until('the victim orgs swept again', 60_000, async () => (await Promise.all(victims.map((o) => open(o.emu)))).every((n) => n === 0))
      const per = patchesPerPath(await Promise.all(orgs.map((o) => o.emu.requests())))
      expect([...per.values()].filter((n) => n !== 1)).toEqual([])
      expect(per.size).toBe(orgs.reduce((n, o) => n + o.ids.length, 0))
    } finally {
      for (const c of children) c.child.kill('SIGKILL')
      fs.rmSync(dir, { recursive: true, force: true })
      await stopOrgs(orgs)
    }
  }, 120_000)

  test("one org's 401, 429 and outage leave the others unaffected", async () => {
    const [a, b, c, d, e] = await Promise.all([0, 1, 2, 3, 4].map(() => emu.org()))
    const [cd, ce] = await Promise.all([0, 1].map(() => emu.org()))
    const all = [a, b, c, d, e, cd, ce]
    try {
      await Promise.all([d, e, cd, ce].map((o) => idle(o, 20)))
      await b.script({ path: '/api/v2/analytics/**', times: 1000, respond: { status: 429, retryAfter: 30 } })
      await c.configure({ latencyMs: 20_000 })
      const sweep = { sweep: { idleForMs: 60_000, everyMs: 60_000, concurrency: 4 } }
      const healthy = (id: string, org: EmulatorOrg): FleetOrg => ({ id, baseUrl: org.url, credentials: { accessToken: SEED.cleanupToken }, job: sweep })
      // The control: the two healthy orgs alone.
      const control = await fleetOf('control', [healthy('cd', cd), healthy('ce', ce)], { fleet: 'control', concurrency: 8 })
      let t0 = Date.now()
      await control.fleet.start()
      await until('control done', 60_000, async () => (await open(cd)) + (await open(ce)) === 0)
      const controlMs = Date.now() - t0
      await control.fleet.stop()

      const bad = await fleetOf('iso', [
        { id: 'a', baseUrl: a.url, credentials: { clientId: SEED.cleanupClient.clientId, clientSecret: 'wrong-secret' }, job: sweep },
        { id: 'b', baseUrl: b.url, maxRetryAfterMs: 1000, credentials: { accessToken: SEED.cleanupToken }, job: sweep },
        { id: 'c', baseUrl: c.url, timeoutMs: 1000, maxRetries: 0, credentials: { accessToken: SEED.cleanupToken }, job: sweep },
        healthy('d', d),
        healthy('e', e),
      ], { fleet: 'iso', concurrency: 8 })
      t0 = Date.now()
      await bad.fleet.start()
      await until('d and e done', 60_000, async () => (await open(d)) + (await open(e)) === 0)
      const isoMs = Date.now() - t0
      expect(isoMs).toBeLessThan(controlMs * 1.5 + 1000)
      await until('each failing org in backoff', 30_000, () => ['a', 'b', 'c'].every((id) => bad.fleet.report(id)?.state === 'backoff'))
      expect(bad.fleet.report('a')!.lastError!.code).toBe('ERR_UNAUTHORIZED')
      expect(bad.fleet.report('b')!.lastError!.code).toBe('ERR_RATE_LIMITED')
      expect(['ERR_TIMEOUT', 'ERR_NETWORK']).toContain(bad.fleet.report('c')!.lastError!.code)
      for (const id of ['d', 'e']) expect(bad.fleet.report(id)).toMatchObject({ state: 'waiting', totals: { closed: 20, failed: 0 } })
      const failed = bad.events.filter((x) => x.kind === 'jobFailed')
      expect(new Set(failed.map((x) => x.kind === 'jobFailed' && x.org))).toEqual(new Set(['a', 'b', 'c']))
      for (const x of failed) if (x.kind === 'jobFailed') expect(x.retryInMs).toBeGreaterThanOrEqual(4000)
      // A backs off: one token request per try, not a storm.
      const tokenRequests = matching(await a.requests(), { path: '/oauth/token' }).length
      expect(tokenRequests).toBeLessThanOrEqual(failed.filter((x) => x.kind === 'jobFailed' && x.org === 'a').length + 1)
      const report = await bad.fleet.stop()
      expect(report.orgs.map((o) => o.id).sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    } finally {
      await c.configure({ latencyMs: 0 }).catch(() => undefined)
      await Promise.allSettled(all.map((o) => o.stop()))
    }
  }, 120_000)

  test("a lost lease stops that org's writes at the next pass; the others go on", async () => {
    const orgs = await makeOrgs('steal', 2, 0)
    const r = await redis()
    try {
      for (const o of orgs) o.spec.job = { sweep: { idleForMs: 60_000, everyMs: 1000 } }
      const { fleet, events } = await fleetOf('s', orgs.map((o) => o.spec), { fleet: 'steal' })
      await fleet.start()
      await until('both held', 4 * TTL, () => fleet.reports().every((o) => o.heldSince !== null))
      const key = 'genesys-cleanup:fleet:{steal}:org:steal-0'
      await r.set(key, 'thief|x|1', 'PX', 60_000)
      const lost = await until('the lost event', 2 * TTL, () => events.find((e) => e.kind === 'lost' && e.org === 'steal-0'))
      expect(lost).toMatchObject({ kind: 'lost', org: 'steal-0', reason: 'another replica holds it now' })
      // After the loss: nothing written to the stolen org; the other goes on.
      const [stolen, other] = orgs
      const lateStolen = await idle(stolen.emu, 2)
      await idle(other.emu, 2)
      await until('the other org swept', 30_000, async () => (await open(other.emu)) === 0)
      expect(matching(await stolen.emu.requests(), { method: 'PATCH' }).filter((p) => lateStolen.some((id) => p.path.endsWith(id)))).toEqual([])
      expect(await open(stolen.emu)).toBe(2)
      expect(fleet.report('steal-0')).toMatchObject({ state: 'unheld', lost: 1, lastLostReason: 'another replica holds it now' })
      expect(await r.get(key)).toBe('thief|x|1')
      await r.del(key)
      await fleet.stop()
    } finally {
      await stopOrgs(orgs)
    }
  }, 60_000)

  test('addOrg is taken at the next pass; after removeOrg resolves nothing more is written for it; a throwing onEvent is contained', async () => {
    const orgs = await makeOrgs('add', 2, 1)
    try {
      for (const o of orgs) o.spec.job = { sweep: { idleForMs: 60_000, everyMs: 1000 } }
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
      const fleet = new CleanupFleet({
        redis: await redis(),
        fleet: 'add',
        replicaId: 'solo',
        ttlMs: TTL,
        orgs: [orgs[0].spec],
        onEvent: () => {
          throw new Error('listener bug')
        },
      })
      fleets.push(fleet)
      await fleet.start()
      await until('the first org held', 4 * TTL, () => fleet.report('add-0')?.heldSince !== null)
      fleet.addOrg(orgs[1].spec)
      expect(() => fleet.addOrg(orgs[1].spec)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
      await until('the added org held and swept', 4 * TTL + 10_000, async () => (await open(orgs[1].emu)) === 0)
      const removed = await fleet.removeOrg('add-1')
      expect(removed).toMatchObject({ id: 'add-1', state: 'unheld', totals: { closed: 1 } })
      const removedAt = Date.now()
      await idle(orgs[1].emu, 1)
      await idle(orgs[0].emu, 1)
      await until('the remaining org swept', 30_000, async () => (await open(orgs[0].emu)) === 0)
      expect(matching(await orgs[1].emu.requests(), {}).filter((x) => x.atMs > removedAt && !x.path.startsWith('/__emulator'))).toEqual([])
      expect(await fleet.removeOrg('nope')).toBeNull()
      await fleet.stop()
      const warnings = warn.mock.calls.map((c) => String(c[0]))
      warn.mockRestore()
      // Reported once, however often it threw; the fleet went on.
      expect(warnings.filter((w) => w.includes('the onEvent callback failed (listener bug)'))).toHaveLength(1)
    } finally {
      await stopOrgs(orgs)
    }
  }, 60_000)

  test('options are validated with typed errors that say what to do', async () => {
    const r = await redis()
    const org: FleetOrg = { id: 'x', baseUrl: 'http://127.0.0.1:1', credentials: { accessToken: 't' }, job: { sweep: { idleForMs: 60_000, everyMs: 60_000 } } }
    const bad: Array<[unknown, RegExp]> = [
      [undefined, /needs an options object/],
      [{ redis: {} }, /ioredis client/],
      [{ redis: r, ttlMs: 500 }, /ttlMs must be a whole number from 1000 to 3600000/],
      [{ redis: r, fleet: 'a b' }, /fleet must be/],
      [{ redis: r, replicaId: '' }, /replicaId must be/],
      [{ redis: r, concurrency: 0 }, /concurrency must be/],
      [{ redis: r, bogus: 1 }, /does not know "bogus"/],
      [{ redis: r, orgs: [org, org] }, /the id "x" twice/],
      [{ redis: r, orgs: [{ ...org, id: 'has space' }] }, /orgs\[0\]\.id must be/],
      [{ redis: r, orgs: [{ ...org, credentials: { clientId: 'c' } }] }, /clientId and clientSecret, or accessToken/],
      [{ redis: r, orgs: [{ ...org, job: { sweep: { idleForMs: 1, everyMs: 10 } } }] }, /everyMs must be a whole number from 1000/],
      [{ redis: r, orgs: [{ ...org, job: { watch: { idleMs: 60_000 }, sweep: {} } }] }, /exactly one key/],
      [{ redis: r, orgs: [{ ...org, job: { watch: { idleMs: 60_000, signal: new AbortController().signal } } }] }, /must not set signal/],
      [{ redis: r, orgs: [{ ...org, region: 'eu_west_1' }] }, /region or baseUrl, not both/],
      [{ redis: r, onEvent: 'no' }, /onEvent must be a function/],
    ]
    for (const [options, message] of bad) {
      let error: unknown
      try {
        new CleanupFleet(options as ConstructorParameters<typeof CleanupFleet>[0])
      } catch (e) {
        error = e
      }
      expect(isCleanupError(error) && error.code).toBe('ERR_INVALID_ARGUMENT')
      expect((error as Error).message).toMatch(message)
      // Never the secret.
      expect((error as Error).message).not.toContain('wrong-secret')
    }
    await expect(CleanupFleet.status(r, { orgs: ['a b'] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    const f = new CleanupFleet({ redis: r, orgs: [org] })
    await expect(f.removeOrg(42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    await expect(f.stop()).resolves.toMatchObject({ orgs: [{ id: 'x', state: 'unheld' }] })
  })
})

describe('CLI: genesys-cleanup fleet', () => {
  const CLI = path.join(__dirname, '..', 'bin', 'genesys-cleanup.js')
  const env = (extra: Record<string, string> = {}) => {
    const e: Record<string, string | undefined> = { ...process.env, GENESYS_CLIENT_ID: '', GENESYS_CLIENT_SECRET: '', GENESYS_ACCESS_TOKEN: '', GENESYS_BASE_URL: '', GENESYS_REGION: '', ...extra }
    return e as NodeJS.ProcessEnv
  }
  let dir: string
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-cli-'))
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, doc: unknown) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, JSON.stringify(doc))
    return file
  }
  const runCli = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout!.on('data', (d: Buffer) => (stdout += d))
      child.stderr!.on('data', (d: Buffer) => (stderr += d))
      child.once('exit', (code) => resolve({ code, stdout, stderr }))
    })

  test('a secret written into orgs.json, --base-url, or no --lease: usage errors (exit 2) that never echo the secret', async () => {
    const literal = write('literal.json', { orgs: [{ id: 'acme', baseUrl: 'http://127.0.0.1:1', credentials: { clientId: 'c', clientSecret: 'sup3r-s3cret' }, job: { sweep: { idleForMs: '1h', everyMs: '1m' } } }] })
    const r = await runCli(['fleet', '--orgs', literal, '--lease', redisServer.url])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/orgs\[0\] \("acme"\)\.credentials\.clientSecret is a secret written into the file: move it to an environment variable or a file/)
    expect(r.stderr + r.stdout).not.toContain('sup3r-s3cret')
    const good = write('good0.json', { orgs: [{ id: 'acme', baseUrl: 'http://127.0.0.1:1', credentials: { accessTokenEnv: 'T' }, job: { sweep: { idleForMs: '1h', everyMs: '1m' } } }] })
    expect((await runCli(['--base-url', 'http://127.0.0.1:1', 'fleet', '--orgs', good, '--lease', redisServer.url])).stderr).toMatch(/does not apply to fleet/)
    const noLease = await runCli(['fleet', '--orgs', good], { GENESYS_CLEANUP_LEASE: '' })
    expect(noLease.code).toBe(2)
    expect(noLease.stderr).toMatch(/fleet needs --lease/)
    const badJob = write('badjob.json', { orgs: [{ id: 'acme', baseUrl: 'http://127.0.0.1:1', credentials: { accessTokenEnv: 'T' }, job: { sweep: { idleForMs: '1h', everyMs: 'soon' } } }] })
    const j = await runCli(['fleet', '--orgs', badJob, '--lease', redisServer.url])
    expect(j.code).toBe(2)
    expect(j.stderr).toMatch(/job\.sweep\.everyMs: Use a number with a unit/)
  })

  test('credentials from a named variable and a file; status; SIGTERM leaves the fleet with the report', async () => {
    const [o1, o2] = await Promise.all([emu.org(), emu.org()])
    try {
      await Promise.all([idle(o1, 3), idle(o2, 3)])
      const secretFile = path.join(dir, 'token')
      fs.writeFileSync(secretFile, `${SEED.cleanupToken}\n`)
      const file = write('orgs.json', {
        fleet: 'cli',
        defaults: { timeoutMs: 5000 },
        orgs: [
          { id: 'one', baseUrl: o1.url, credentials: { clientId: SEED.cleanupClient.clientId, clientSecretEnv: 'ONE_SECRET' }, job: { sweep: { idleForMs: '1h', everyMs: '2s' } } },
          { id: 'two', baseUrl: o2.url, credentials: { accessTokenFile: secretFile }, job: { watch: { idleMs: '1h', reconcileEveryMs: '1h' } } },
        ],
      })
      const child = spawn(process.execPath, [CLI, '--json', 'fleet', '--orgs', file, '--lease', redisServer.url, '--lease-ttl', '3s', '--replica-id', 'cli-1'], {
        env: env({ ONE_SECRET: SEED.cleanupClient.clientSecret }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const lines: Array<Record<string, any>> = []
      readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l)))
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d))
      try {
        await until('both orgs swept', 30_000, async () => (await open(o1)) + (await open(o2)) === 0)
        const st = await runCli(['--json', 'fleet', 'status', '--orgs', file, '--lease', redisServer.url])
        expect(st.code).toBe(0)
        const doc = JSON.parse(st.stdout)
        expect(doc).toMatchObject({ fleet: 'cli', share: { orgs: 2, replicas: 1, fair: true } })
        expect(doc.orgs.map((o: { holder: string }) => o.holder)).toEqual(['cli-1', 'cli-1'])
        const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
        child.kill('SIGTERM')
        expect(await exited).toBe(0)
      } finally {
        child.kill('SIGKILL')
      }
      expect(lines.filter((l) => l.kind === 'acquired').map((l) => l.org).sort()).toEqual(['one', 'two'])
      const last = lines[lines.length - 1]
      expect(last.kind).toBe('report')
      expect(last.report.orgs.map((o: { totals: { closed: number } }) => o.totals.closed)).toEqual([3, 3])
      expect(stderr).not.toContain(SEED.cleanupClient.clientSecret)
      const after = await CleanupFleet.status(await redis(), { fleet: 'cli', orgs: ['one', 'two'] })
      expect(after.replicas).toEqual([])
      expect(after.orgs.every((o) => o.holder === null)).toBe(true)
    } finally {
      await Promise.allSettled([o1.stop(), o2.stop()])
    }
  }, 60_000)
})
