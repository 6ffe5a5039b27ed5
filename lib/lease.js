'use strict'
// Leased jobs. With `lease`, a job runs only on the replica that holds the
// lease `genesys-cleanup:{orgId}:{job}`. The lease is renewed every third of
// its TTL; each success re-arms the native write fence for what is left of
// the TTL counted from when the renewal was sent (less a margin), so writes
// stop on the native side when the lease is not known valid, even if this
// event loop stalls. A failed renewal closes the fence at once and aborts
// the run.
//
// One lease, one writer: a lease object runs at most one job per name at a
// time in this process. A second job on the same name (a sweep started by
// `setInterval` while the previous one still runs) is refused with
// `held: false` and a reason, before the store is asked: a store that lets
// its holder take a lease twice would otherwise let both jobs write, and the
// first job's release would free the second's lease.
//
// This is scheduling, not a decision of the core: it drives a user's store
// (a JS object with async methods) on this thread's timers, which the native
// side cannot call without a round trip through the event loop anyway.

const { callNative, invalidArgument } = require('./errors.js')
const { describeThrown } = require('./callbacks.js')
const { checkSignal } = require('./signal.js')

const HELD_ELSEWHERE = 'another replica holds it'

/** Names each lease object is running a job on, in this process. */
const running = new WeakMap()

function checkLease(lease) {
  const ok =
    lease !== null &&
    typeof lease === 'object' &&
    ['acquire', 'renew', 'release'].every((m) => typeof lease[m] === 'function') &&
    Number.isInteger(lease.ttlMs) &&
    lease.ttlMs >= 1000 &&
    lease.ttlMs <= 3_600_000
  if (!ok) {
    throw invalidArgument(
      'lease must be an object with acquire(name), renew(name) and release(name) methods and a ttlMs from 1000 to 3600000, such as redisLease(client) from genesys-cleanup/redis.',
    )
  }
  return lease
}

/** A store call (a user's method: it may throw, reject, or never answer),
 * as a promise that settles within `ms`. */
function storeCall(lease, method, name, ms) {
  let timer
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${method} did not answer within ${ms} ms`)), ms)
  })
  let answer
  try {
    answer = Promise.resolve(lease[method](name))
  } catch (e) {
    answer = Promise.reject(e)
  }
  return Promise.race([answer, late]).finally(() => clearTimeout(timer))
}

const unanswered = (e) => `the lease store did not answer: ${describeThrown(e)}`

/** Claims `name` on `lease` for one job of this process; false when a job already has it. */
function claim(lease, name) {
  let names = running.get(lease)
  if (!names) running.set(lease, (names = new Set()))
  if (names.has(name)) return false
  names.add(name)
  return true
}

function unclaim(lease, name) {
  running.get(lease)?.delete(name)
}

/**
 * Runs `work(signal)` while holding the lease `genesys-cleanup:{org}:{job}`.
 * Returns `{ lease: { name, held, renewals, lost, reason? }, result }`.
 */
async function runLeased(native, job, lease, userSignal, work) {
  checkSignal(userSignal)
  const name = `genesys-cleanup:${await callNative(() => native.organizationId())}:${job}`
  const outcome = { name, held: false, renewals: 0, lost: false }
  if (!claim(lease, name)) {
    outcome.reason = `a ${job} started earlier on this lease is still running in this process; this one did not start (one writer per lease)`
    return { lease: outcome, result: null }
  }
  try {
    return await holding(native, lease, name, outcome, userSignal, work)
  } finally {
    unclaim(lease, name)
  }
}

async function holding(native, lease, name, outcome, userSignal, work) {
  const margin = Math.min(1000, Math.floor(lease.ttlMs / 10))
  // A lease call that hangs counts as failed after a third of the TTL (the
  // renewal interval): a hung store never holds the job up.
  const callLimit = Math.floor(lease.ttlMs / 3)
  const validFrom = (sentAt) => lease.ttlMs - margin - (Date.now() - sentAt)
  const acquireSent = Date.now()
  try {
    outcome.held = (await storeCall(lease, 'acquire', name, callLimit)) === true
  } catch (e) {
    outcome.reason = unanswered(e)
  }
  if (!outcome.held) {
    outcome.reason ??= HELD_ELSEWHERE
    return { lease: outcome, result: null }
  }
  // When the native fence closes, on this clock (for the report).
  let fenceUntil = acquireSent + lease.ttlMs - margin
  native.fenceWrites(Math.max(0, validFrom(acquireSent)))
  // The fence counts the writes it refuses; this term's are those after now.
  const refusedBefore = native.fenceRefused()
  const controller = new AbortController()
  const onUserAbort = () => controller.abort()
  if (userSignal) {
    if (userSignal.aborted) controller.abort()
    else userSignal.addEventListener('abort', onUserAbort, { once: true })
  }
  const lost = (reason) => {
    if (outcome.lost) return
    native.fenceWrites(0)
    outcome.lost = true
    outcome.reason = reason
    controller.abort()
  }
  let timer
  let stopped = false
  const renew = async () => {
    const sentAt = Date.now()
    let ok = false
    let reason = 'another replica holds it now'
    try {
      ok = (await storeCall(lease, 'renew', name, callLimit)) === true
    } catch (e) {
      reason = unanswered(e)
    }
    if (stopped) return
    if (!ok) return lost(`renewal failed: ${reason}`)
    outcome.renewals++
    fenceUntil = sentAt + lease.ttlMs - margin
    native.fenceWrites(Math.max(0, validFrom(sentAt)))
    renewSoon()
  }
  // The timer's callback never rejects: everything above is contained.
  const renewSoon = () => {
    timer = setTimeout(() => {
      renew().catch((e) => lost(`renewal failed: ${describeThrown(e)}`))
    }, callLimit)
  }
  renewSoon()
  try {
    const result = await work(controller.signal).catch((e) => {
      // Aborted because the lease was lost: the report says so instead.
      if (outcome.lost && e && e.code === 'ERR_ABORTED') return null
      throw e
    })
    // The fence may have closed with no renewal failing (this event loop
    // stalled past the TTL): writes were refused, so the lease was lost.
    if (!outcome.lost && (native.fenceRefused() > refusedBefore || Date.now() > fenceUntil)) {
      outcome.lost = true
      outcome.reason = 'the lease ran out unrenewed (this process was stalled longer than its TTL); writes stopped'
    }
    return { lease: outcome, result }
  } finally {
    stopped = true
    clearTimeout(timer)
    native.fenceWrites(null)
    if (userSignal) userSignal.removeEventListener('abort', onUserAbort)
    // Guarded by the holder token: never releases another replica's lease.
    await storeCall(lease, 'release', name, callLimit).catch(() => undefined)
  }
}

/** A sweep report with ids refused by the closed fence (the fleet's check;
 * a leased job asks the fence itself, `fenceRefused`). */
function sweepRefused(report) {
  return Boolean(report && report.close.results.some((r) => r.outcome === 'failed' && r.error && r.error.code === 'ERR_LEASE_LOST'))
}

const pause = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      if (signal) signal.removeEventListener('abort', done)
      resolve()
    }
    if (signal) signal.addEventListener('abort', done, { once: true })
  })

/**
 * A leased watch runs until its signal: while another replica holds the
 * lease it tries again every third of the TTL; holding it, it watches
 * (whose first periodic sweep covers the time nobody watched); losing it,
 * it stops writing, and waits and tries again.
 */
async function watchLeased(native, lease, userSignal, once) {
  checkSignal(userSignal)
  const summary = { name: '', held: false, terms: 0, renewals: 0, lost: 0 }
  let last = null
  const stopped = () => Boolean(userSignal && userSignal.aborted)
  do {
    const { lease: term, result } = await runLeased(native, 'watch', lease, userSignal, once)
    summary.name = term.name
    if (term.held) {
      // A new term: an earlier term's failure is history, not the state.
      delete summary.reason
      summary.held = true
      summary.terms++
      summary.renewals += term.renewals
      last = result
      if (!term.lost) break
      summary.lost++
      summary.reason = term.reason
    } else if (term.reason !== HELD_ELSEWHERE) {
      summary.reason = term.reason
    }
    await pause(Math.floor(lease.ttlMs / 3), userSignal)
  } while (!stopped())
  return { lease: summary, watch: last }
}

/** A sweep under `lease`: `{ lease, sweep }`. */
function sweepLeased(native, lease, signal, once) {
  return runLeased(native, 'sweep', checkLease(lease), signal, once).then(({ lease: l, result }) => ({ lease: l, sweep: result }))
}

module.exports = { checkLease, sweepLeased, watchLeased, sweepRefused }
