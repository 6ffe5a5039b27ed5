'use strict'
// CleanupFleet: the scheduler. Every third of the TTL (+-10%) a pass:
//   1. one PASS script: heartbeat, renew every org this replica holds, read
//      every configured org's key (store.js);
//   2. renewals answered re-arm each org's fence; a renewal refused ends
//      that org's term at once (lost); when Redis does not answer, nothing
//      is lost until an org's fence has run down on its own;
//   3. plan.js decides from that snapshot what to shed and what to take;
//   4. shed orgs are handed over (fence closed, job aborted, key renewed
//      until the job has ended, then released), never awaited by the pass;
//   5. one ACQUIRE script takes free orgs up to the quota.
// A replica does not acquire on its first pass: replicas starting together
// see each other before they take anything.

const crypto = require('node:crypto')
const { invalidArgument } = require('../errors.js')
const { guarded, describeThrown } = require('../callbacks.js')
const { checkFleetOptions, checkOrg, FLEET_NAME, ORG_ID } = require('./options.js')
const { fleetStore, parseHolder } = require('./store.js')
const { plan } = require('./plan.js')
const { OrgRunner } = require('./org.js')
const { Semaphore } = require('./semaphore.js')

/** The status of a fleet from one read of Redis (see fleet.d.ts FleetStatus). */
function statusOf(fleet, snap, orgs, self, local) {
  const holds = new Map(snap.replicas.map(([id]) => [id, 0]))
  const rows = orgs.map((id, i) => {
    const h = parseHolder(snap.values[i])
    if (h && holds.has(h.replica)) holds.set(h.replica, holds.get(h.replica) + 1)
    const row = { id, holder: h ? h.replica : null, since: h ? h.since : null, expiresInMs: h ? Math.max(0, snap.pttls[i]) : null }
    const mine = local?.get(id)
    if (mine) {
      row.local = { state: mine.state }
      if (mine.lastError) row.local.lastError = mine.lastError
      if (mine.retryAt !== undefined) row.local.retryAt = mine.retryAt
    }
    return row
  })
  const replicas = snap.replicas.map(([id, expiry]) => ({ id, self: id === self, expiresInMs: Math.max(0, expiry - snap.now), holds: holds.get(id) }))
  const n = replicas.length
  const m = orgs.length
  const cap = n > 0 ? Math.ceil(m / n) : m
  const floor = n > 0 ? Math.floor(m / n) : 0
  const counts = replicas.map((r) => r.holds)
  const allHeld = rows.every((r) => r.holder !== null && holds.has(r.holder))
  const fair = n > 0 && allHeld && Math.max(...counts) <= cap && Math.min(...counts) >= floor
  return { fleet, at: snap.now, self: self ?? null, replicas, share: { orgs: m, replicas: n, cap, floor, fair }, orgs: rows }
}

class CleanupFleet {
  #o
  #store
  #emit
  #semaphore
  #incarnation = crypto.randomUUID()
  /** Configured orgs: id -> OrgRunner. */
  #runners = new Map()
  /** Removed orgs still being handed over (their keys still renewed). */
  #departing = new Set()
  #state = 'new'
  #timer = null
  #passing = null
  #lastLive = ''
  /** The last plan: what to take on this pass. */
  #wanted = null

  constructor(options) {
    const o = checkFleetOptions(options)
    this.#o = o
    this.#store = fleetStore(options.redis, { fleet: o.fleet, timeoutMs: Math.floor(o.ttlMs / 3) })
    this.#emit = guarded('onEvent', options.onEvent, invalidArgument) ?? (() => undefined)
    this.#semaphore = new Semaphore(o.concurrency)
    for (const org of o.orgs) this.#runners.set(org.id, this.#runner(org))
  }

  get replicaId() {
    return this.#o.replicaId
  }

  #runner(org) {
    const o = this.#o
    return new OrgRunner(org, {
      ttlMs: o.ttlMs,
      dryRun: o.dryRun,
      cap: o.concurrency,
      semaphore: this.#semaphore,
      emit: this.#emit,
      makeClient: (id, options) => this.#makeClient(id, options),
      onRanDown: (runner, reason) => this.#lose(runner, reason),
    })
  }

  #makeClient(id, options) {
    // Loaded here: the fleet's own modules stay loadable without the addon (tests of plan.js).
    const { CleanupClient } = require('../../index.js')
    const telemetry = this.#o.telemetry
    const emit = this.#emit
    const onEvent = (event) => {
      const labelled = { ...event, org: id }
      if (telemetry) telemetry.onEvent(labelled)
      emit({ kind: 'client', org: id, event: labelled })
    }
    const client = new CleanupClient({ ...options, onEvent, ...(this.#o.logger ? { logger: this.#o.logger } : {}) })
    return client
  }

  /** Joins the fleet: resolves after the first heartbeat; rejects when Redis does not answer it. */
  async start() {
    if (this.#state !== 'new') throw invalidArgument(`start() was already called (this fleet is ${this.#state}); make a new CleanupFleet to start again.`)
    this.#state = 'starting'
    try {
      await this.#pass(true)
    } catch (e) {
      this.#state = 'stopped'
      throw e
    }
    this.#state = 'running'
    this.#schedule()
  }

  #schedule() {
    if (this.#state !== 'running') return
    const every = (this.#o.ttlMs / 3) * (0.9 + 0.2 * Math.random())
    this.#timer = setTimeout(() => {
      this.#passing = this.#pass(false)
        .catch((e) => this.#emit({ kind: 'storeError', reason: describeThrown(e) }))
        .finally(() => {
          this.#passing = null
          this.#schedule()
        })
    }, every)
  }

  /** Terms whose keys this replica renews: running, or being handed over. */
  #renewable() {
    const out = []
    for (const r of [...this.#runners.values(), ...this.#departing]) {
      if (r.term && r.term.ending !== 'lost') out.push({ runner: r, term: r.term, org: r.id, value: r.term.value })
    }
    return out
  }

  async #pass(first) {
    const o = this.#o
    const sentAt = Date.now()
    const held = this.#renewable()
    const orgs = [...this.#runners.keys()]
    let snap
    try {
      snap = await this.#store.pass({ replicaId: o.replicaId, incarnation: this.#incarnation, ttlMs: o.ttlMs, held, orgs })
    } catch (e) {
      if (first) throw e
      this.#emit({ kind: 'storeError', reason: describeThrown(e) })
      // Fences run down by themselves; the term is over when its has.
      for (const h of held) if (h.runner.term === h.term && h.runner.ranDown()) this.#lose(h.runner, 'Redis did not answer: the lease ran out unrenewed; writes stopped')
      return
    }
    held.forEach((h, i) => {
      if (h.runner.term !== h.term) return
      if (snap.renewed[i]) h.runner.arm(sentAt)
      else if (!h.term.ending) this.#lose(h.runner, snap.status === 'conflict' ? 'another live process has this replica id' : 'another replica holds it now')
    })
    if (snap.status === 'conflict') {
      this.#emit({ kind: 'storeError', reason: `another live process has the replica id ${JSON.stringify(o.replicaId)}: this one takes nothing until its presence expires (give each process its own replicaId)` })
      return
    }
    if (this.#state === 'stopping' || this.#state === 'stopped') return
    this.#decide(snap, orgs)
    if (!first) await this.#acquire()
  }

  #live(snap) {
    const o = this.#o
    const live = snap.replicas.filter(([id, expiry]) => id === o.replicaId || expiry - snap.now > o.ttlMs / 3).map(([id]) => id)
    if (!live.includes(o.replicaId)) live.push(o.replicaId)
    return live.sort()
  }

  #decide(snap, orgs) {
    const o = this.#o
    const live = this.#live(snap)
    const holders = new Map(orgs.map((id, i) => [id, snap.values[i] === null ? null : (parseHolder(snap.values[i])?.replica ?? '?')]))
    const runners = orgs.map((id) => this.#runners.get(id))
    const mine = runners.filter((r) => r.term && !r.term.ending).map((r) => r.id)
    const handing = runners.filter((r) => r.term && r.term.ending).length
    const d = plan({ self: o.replicaId, live, orgs, holders, mine, handing, costOf: (id) => this.#runners.get(id).cost() })
    const shape = `${live.join(',')}|${d.quota}|${d.cap}`
    if (shape !== this.#lastLive) {
      this.#lastLive = shape
      this.#emit({ kind: 'replicas', at: snap.now, live, quota: d.quota, cap: d.cap })
    }
    for (const id of d.release) this.#handOver(this.#runners.get(id), 'rebalance')
    this.#wanted = d
  }

  async #acquire() {
    const o = this.#o
    const d = this.#wanted
    if (!d || d.want <= 0 || d.acquire.length === 0) return
    const sentAt = Date.now()
    let got
    try {
      got = await this.#store.acquire({ replicaId: o.replicaId, incarnation: this.#incarnation, ttlMs: o.ttlMs, orgs: d.acquire, want: d.want })
    } catch (e) {
      // Unknown whether it was set: if it was, the key expires unrenewed.
      this.#emit({ kind: 'storeError', reason: describeThrown(e) })
      return
    }
    const stray = []
    for (const g of got) {
      const runner = this.#runners.get(g.org)
      if (!runner || runner.term || this.#state !== 'running') {
        stray.push(g)
        continue
      }
      const since = parseHolder(g.value)?.since ?? Date.now()
      runner.begin(g.value, sentAt, since)
      this.#emit({ kind: 'acquired', org: g.org, at: since })
    }
    if (stray.length > 0) await this.#store.release(stray).catch(() => undefined)
  }

  /** The key is not ours (or not known to be): the term ends at once; the key is released if it still is. */
  #lose(runner, reason) {
    const term = runner.term
    if (!term || term.ending) return
    this.#emit({ kind: 'lost', org: runner.id, at: Date.now(), reason })
    runner.end('lost', reason).then(() => this.#store.release([{ org: runner.id, value: term.value }]).catch(() => undefined))
  }

  /** A voluntary hand-over: the job ends (key still renewed), then the key is released. */
  #handOver(runner, reason) {
    const term = runner.term
    if (!term) return Promise.resolve()
    if (term.ending) return term.handedOver ?? runner.end(term.ending, reason)
    term.handedOver = runner.end('released', reason).then(async () => {
      try {
        await this.#store.release([{ org: runner.id, value: term.value }])
      } catch (e) {
        // Not released: it expires within the TTL; the next holder waits that long.
        this.#emit({ kind: 'storeError', reason: describeThrown(e) })
      }
      this.#emit({ kind: 'released', org: runner.id, at: Date.now(), reason })
    })
    return term.handedOver
  }

  /** Adds an org; taken (here or on another replica) from the next pass. */
  addOrg(org) {
    const checked = checkOrg(org)
    if (this.#runners.has(checked.id)) throw invalidArgument(`the fleet already has an org with the id ${JSON.stringify(checked.id)}: remove it first (removeOrg), or give this one its own id.`)
    if (this.#state === 'stopping' || this.#state === 'stopped') throw invalidArgument('this fleet is stopped: addOrg is no longer possible.')
    this.#runners.set(checked.id, this.#runner(checked))
  }

  /** Removes an org: resolves, with its report, once this replica no longer writes for it (null for an unknown id). */
  async removeOrg(id) {
    if (typeof id !== 'string' || !ORG_ID.test(id)) throw invalidArgument(`removeOrg needs an org id (1 to 64 characters of A-Z a-z 0-9 . _ -), got ${typeof id === 'string' ? JSON.stringify(id.slice(0, 40)) : typeof id}.`)
    const runner = this.#runners.get(id)
    if (!runner) return null
    this.#runners.delete(id)
    if (runner.term) {
      this.#departing.add(runner)
      try {
        await this.#handOver(runner, 'removed')
      } finally {
        this.#departing.delete(runner)
      }
    }
    return runner.snapshot()
  }

  /** Leaves the fleet: every org's writes stop, its job ends, its lease is released; resolves with the reports. */
  async stop() {
    if (this.#state === 'stopped') return { replicaId: this.#o.replicaId, orgs: this.reports() }
    const wasRunning = this.#state !== 'new'
    this.#state = 'stopping'
    clearTimeout(this.#timer)
    if (this.#passing) await this.#passing
    const all = [...this.#runners.values(), ...this.#departing]
    await Promise.all(all.map((r) => (r.term && r.term.ending !== 'lost' ? this.#handOver(r, 'stopping') : r.term ? r.end('lost') : undefined)))
    if (wasRunning) {
      await this.#store.leave({ replicaId: this.#o.replicaId, incarnation: this.#incarnation }).catch((e) => this.#emit({ kind: 'storeError', reason: describeThrown(e) }))
    }
    this.#state = 'stopped'
    return { replicaId: this.#o.replicaId, orgs: this.reports() }
  }

  /** Who holds which org, and since when, from Redis; with this replica's view of its own orgs. */
  async status() {
    const orgs = [...this.#runners.keys()]
    const snap = await this.#store.read(orgs)
    const local = new Map([...this.#runners.values()].map((r) => [r.id, r.report]))
    return statusOf(this.#o.fleet, snap, orgs, this.#o.replicaId, local)
  }

  /** This replica's report of one org (undefined for an unknown id). */
  report(id) {
    return this.#runners.get(id)?.snapshot()
  }

  /** This replica's reports of every configured org. */
  reports() {
    return [...this.#runners.values()].map((r) => r.snapshot())
  }

  /** The status of a fleet from any process: replicas, and for `orgs` who holds each. */
  static async status(redis, options = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgument('CleanupFleet.status options must be an object { fleet?, orgs? }.')
    const fleet = options.fleet ?? 'default'
    if (typeof fleet !== 'string' || !FLEET_NAME.test(fleet)) throw invalidArgument('fleet must be 1 to 64 characters of A-Z a-z 0-9 . _ -.')
    const orgs = options.orgs ?? []
    if (!Array.isArray(orgs) || !orgs.every((id) => typeof id === 'string' && ORG_ID.test(id))) throw invalidArgument('orgs must be an array of org ids (1 to 64 characters of A-Z a-z 0-9 . _ -).')
    const store = fleetStore(redis, { fleet, timeoutMs: options.timeoutMs ?? 2000, who: 'CleanupFleet.status' })
    return statusOf(fleet, await store.read(orgs), orgs, undefined, undefined)
  }
}

module.exports = { CleanupFleet }
