'use strict'
// One org of the fleet on this replica: its client (made at its first term,
// kept while the org is configured, so its token survives moves), its
// terms, its job loop and its report.
//
// A term starts when the scheduler takes the org's lease. The org's own
// write fence (the native fence of its client, as lib/lease.js arms it) is
// open for `ttl - margin` from when the acquisition or the last renewal was
// sent; a renewal re-arms it; ending the term closes it at once and aborts
// the job. Nothing here waits on Redis and the scheduler never waits on a
// job: one org's hang or failure delays no renewal and no other org.
//
// A job that fails (bad credentials, 403, a 429 beyond maxRetryAfterMs, an
// outage) puts only this org in backoff (5 s doubling to 5 min, +-20%): it
// stays held (another replica would fail alike) at moving cost 0, the
// first to be shed when the share changes.

const crypto = require('node:crypto')
const { CleanupError, isCleanupError, invalidArgument } = require('../errors.js')
const { describeThrown } = require('../callbacks.js')
const { NATIVE } = require('../internal.js')
const { sweepRefused } = require('../lease.js')
const { COST } = require('./plan.js')
const { checkCredentials } = require('./options.js')

const BACKOFF_FIRST_MS = 5000
const BACKOFF_MAX_MS = 300_000
/** How long a credentials function may take. */
const CREDENTIALS_TIMEOUT_MS = 10_000
const RAN_DOWN = 'the lease ran out unrenewed (this process was stalled longer than its TTL); writes stopped'

/** The n-th consecutive failure's wait: 5 s doubling to 5 min, +-20% (`random` in [0, 1)). */
function backoffMs(n, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, n - 1))
  return Math.round(base * (0.8 + 0.4 * random()))
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** What a thrown value says, as the `lastError` of a report. */
function errorInfo(e) {
  const out = { code: isCleanupError(e) ? e.code : 'ERR_INTERNAL', message: describeThrown(e), at: Date.now() }
  if (e && typeof e.status === 'number') out.status = e.status
  return out
}

function newTotals() {
  return { closed: 0, alreadyClosed: 0, sparedActive: 0, failed: 0, requests: 0, retries: 0, rateLimited: 0 }
}

class OrgRunner {
  /**
   * @param {{ id, connection, credentials, job }} org as checkOrg returns it
   * @param {{ ttlMs: number, dryRun: boolean, cap: number, semaphore, emit: (e: object) => void,
   *   makeClient: (id: string, options: object) => object, onRanDown: (runner: OrgRunner) => void }} ctx
   */
  constructor(org, ctx) {
    this.org = org
    this.id = org.id
    this.ctx = ctx
    this.margin = Math.min(1000, Math.floor(ctx.ttlMs / 10))
    this.term = null
    this.client = null
    this.clientKey = null
    this.failures = 0
    this.report = { id: org.id, job: org.job.kind, state: 'unheld', heldSince: null, terms: 0, lost: 0, sweeps: 0, totals: newTotals(), watch: null }
  }

  /** Moving cost (plan.js COST): what a hand-over would interrupt. */
  cost() {
    const s = this.report.state
    if (!this.term || s === 'backoff' || s === 'waiting' || s === 'unheld') return COST.idle
    if (s === 'starting') return COST.starting
    return this.org.job.kind === 'watch' ? COST.watching : COST.running
  }

  /** A term starts: `value` is the key's, `sentAt` when the acquisition was sent, `since` the server's time of it. */
  begin(value, sentAt, since) {
    const controller = new AbortController()
    const term = { value, controller, fenceUntil: 0, ending: null, reason: undefined, done: null }
    this.term = term
    this.report.terms++
    this.report.heldSince = since
    this.arm(sentAt)
    term.done = this.#loop(term).catch(() => undefined)
    return term
  }

  /** The lease was renewed by a call sent at `sentAt`: writes allowed until `sentAt + ttl - margin`. */
  arm(sentAt) {
    if (!this.term || this.term.ending) return
    this.term.fenceUntil = sentAt + this.ctx.ttlMs - this.margin
    this.#applyFence()
  }

  /** Whether the term's fence has run down (no renewal answered in time). */
  ranDown(now = Date.now()) {
    return Boolean(this.term && !this.term.ending && now > this.term.fenceUntil)
  }

  /**
   * Ends the term: the fence closes at once, the job is aborted. `how`:
   * 'lost' (the key is not ours, or not known to be) or 'released' (a hand-over:
   * the key stays ours and renewed until the job has ended). Resolves when the
   * job has ended and the term is cleared.
   */
  end(how, reason) {
    const term = this.term
    if (!term) return Promise.resolve()
    if (!term.ending) {
      term.ending = how
      term.reason = reason
      this.#fence(0)
      this.report.state = 'stopping'
      if (how === 'lost') {
        this.report.lost++
        this.report.lastLostReason = reason
      }
      term.controller.abort()
    }
    return term.done.then(() => {
      if (this.term === term) {
        this.term = null
        this.report.state = 'unheld'
        this.report.heldSince = null
        delete this.report.retryAt
        delete this.report.nextSweepAt
      }
    })
  }

  #fence(ms) {
    if (this.client) this.client[NATIVE]().fenceWrites(ms)
  }

  #applyFence() {
    const t = this.term
    this.#fence(t && !t.ending ? Math.max(0, t.fenceUntil - Date.now()) : 0)
  }

  #state(s) {
    if (this.term && !this.term.ending) this.report.state = s
  }

  /** The credentials for this term: a credentials function is called (bounded), its answer checked. */
  async #credentials() {
    let c = this.org.credentials
    if (typeof c !== 'function') return c
    let timer
    try {
      c = await Promise.race([
        Promise.resolve().then(() => c()),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`it did not answer within ${CREDENTIALS_TIMEOUT_MS} ms`)), CREDENTIALS_TIMEOUT_MS)
        }),
      ])
    } catch (e) {
      throw invalidArgument(`org ${JSON.stringify(this.id)}: the credentials function failed (${describeThrown(e)}); it must return { clientId, clientSecret } or { accessToken }.`)
    } finally {
      clearTimeout(timer)
    }
    return checkCredentials(`org ${JSON.stringify(this.id)}: `, c)
  }

  /** The client for these credentials: kept across terms, made again only when they change. */
  async #ensureClient() {
    const creds = await this.#credentials()
    const key = crypto.createHash('sha256').update(JSON.stringify([creds.clientId, creds.clientSecret, creds.accessToken])).digest('hex')
    if (!this.client || key !== this.clientKey) {
      const previous = this.client
      this.client = this.ctx.makeClient(this.id, { ...this.org.connection, ...creds })
      this.clientKey = key
      if (previous) previous[NATIVE]().fenceWrites(0)
    }
    this.#applyFence()
  }

  async #loop(term) {
    const signal = term.controller.signal
    while (!signal.aborted) {
      try {
        this.#state('starting')
        await this.#ensureClient()
        if (signal.aborted) break
        // Once per term, and again after each failure.
        if (!term.started || this.failures > 0) this.ctx.emit({ kind: 'jobStarted', org: this.id, job: this.org.job.kind })
        term.started = true
        if (this.org.job.kind === 'sweep') {
          if (!(await this.#sweepOnce(term))) break
          this.failures = 0
          delete this.report.lastError
          delete this.report.retryAt
          this.#state('waiting')
          this.report.nextSweepAt = Date.now() + this.org.job.everyMs
          await pause(this.org.job.everyMs, signal)
        } else {
          await this.#watchOnce(term)
          // A watch resolves at its signal; were it ever to end by itself, not in a tight loop.
          await pause(1000, signal)
        }
      } catch (e) {
        if (signal.aborted) break
        this.failures++
        const retryInMs = backoffMs(this.failures)
        this.report.lastError = errorInfo(e)
        this.report.retryAt = Date.now() + retryInMs
        this.#state('backoff')
        const error = isCleanupError(e) ? e : new CleanupError({ code: 'ERR_INTERNAL', message: describeThrown(e) })
        this.ctx.emit({ kind: 'jobFailed', org: this.id, error, retryInMs })
        await pause(retryInMs, signal)
      }
    }
  }

  /** One sweep under the fleet cap. False when the fence refused writes (the term is over). */
  async #sweepOnce(term) {
    const { options } = this.org.job
    const signal = term.controller.signal
    const release = await this.ctx.semaphore.take(Math.min(options.concurrency ?? 8, this.ctx.cap), signal)
    let report
    try {
      this.#state('running')
      report = await this.client.sweep({ ...options, ...(this.ctx.dryRun ? { dryRun: true } : {}), signal })
    } finally {
      release()
    }
    this.report.sweeps++
    this.report.lastSweepAt = Date.now()
    const t = this.report.totals
    t.closed += report.close.closed
    t.alreadyClosed += report.close.alreadyClosed
    t.sparedActive += report.sparedActive
    t.failed += report.close.failed
    t.requests += report.requests
    t.retries += report.retries
    t.rateLimited += report.rateLimited
    this.ctx.emit({ kind: 'sweep', org: this.id, report })
    if (!term.ending && (sweepRefused(report) || Date.now() > term.fenceUntil)) {
      this.ctx.onRanDown(this, RAN_DOWN)
      return false
    }
    return true
  }

  /** Watches until the term ends; a watch that rejects is a failure (backoff). */
  async #watchOnce(term) {
    const signal = term.controller.signal
    this.#state('running')
    const report = await this.client.watch({
      ...this.org.job.options,
      ...(this.ctx.dryRun ? { dryRun: true } : {}),
      signal,
      onEvent: (event) => this.ctx.emit({ kind: 'watch', org: this.id, event }),
    })
    this.report.watch = report
    const t = this.report.totals
    t.closed += report.closed
    t.alreadyClosed += report.alreadyClosed
    t.sparedActive += report.sparedActive
    t.failed += report.failed
    t.requests += report.requests
    t.retries += report.retries
    t.rateLimited += report.rateLimited
  }

  /** A copy of the report (the caller may keep or change it). */
  snapshot() {
    return structuredClone(this.report)
  }
}

module.exports = { OrgRunner, backoffMs, RAN_DOWN }
