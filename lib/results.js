'use strict'
// A bulk run's results (and a sweep's conversations found), assembled while
// the run goes on, so that its promise settles soon after the run ends (an
// abort included) however many ids it had. The native side is
// src/results.rs.
//
// - Decided entries arrive as JSON batches of about a thousand (parsed when
//   the native side wakes this thread), each with the input index it answers.
// - Every input is first given an `aborted` entry prepared from the input
//   itself (the caller's list, or a sweep's candidates sent once up front),
//   a slice per turn of the event loop while the run goes on; the native side
//   does not send an `aborted` entry for an id exactly as given, only counts
//   it. Built after an abort instead, a million entries held the event loop
//   for over 100 ms.
// - At the end the entries delivered plus the ones left prepared must be
//   every input, or the run fails with ERR_INTERNAL rather than return a
//   report that says more (or less) than happened.

/** Prepared entries per turn of the event loop (a few milliseconds). */
const PREPARE_PER_TURN = 10_000
/** Batches parsed per turn of the event loop (a sweep's 500 entries are about
 * 0.3 MB of JSON: a few milliseconds each). */
const BATCHES_PER_TURN = 2

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

class ResultAssembly {
  #ids
  #results
  /** Conversations found idle, by candidate index (a sweep's). */
  #found = []
  /** Batches taken, not parsed yet. */
  #queue = []
  #draining = false
  #prepared = 0
  #preparing = false
  #delivered = 0
  #ended = false
  #broken = null
  #internal

  /**
   * @param ResultStream the binding's class
   * @param ids the caller's input as given, or null when the run's inputs
   *   come from the native side (a sweep's candidates)
   * @param internal (message) => Error, for a report that would not add up
   */
  constructor(ResultStream, ids, internal) {
    // A copy: a caller that changes its array while the run goes on does
    // not change what the report says.
    this.#ids = ids === null ? null : ids.slice()
    this.#results = ids === null ? [] : new Array(ids.length)
    this.#internal = internal
    // Called from a native wake-up: it must not throw (a throw there is an
    // uncaught exception); a batch it cannot read fails the run at the end.
    this.stream = new ResultStream(() => {
      if (this.#ended) return
      try {
        for (const json of this.#take()) this.#queue.push(json)
      } catch (e) {
        this.#broken = this.#broken || e
        return
      }
      this.#drainInTurns()
    })
    this.#prepareInTurns()
  }

  // A few batches per turn of the event loop: a JS thread that fell behind
  // never parses its whole backlog in one go.
  async #drainInTurns() {
    if (this.#draining) return
    this.#draining = true
    while (!this.#ended && this.#queue.length > 0) {
      try {
        this.#absorb(this.#queue.splice(0, BATCHES_PER_TURN))
      } catch (e) {
        this.#broken = this.#broken || e
        this.#queue.length = 0
      }
      await nextTurn()
    }
    this.#draining = false
  }

  // The batches waiting, and the inputs when they come from the native side.
  #take() {
    const taken = this.stream.take()
    if (typeof taken.inputs === 'string' && this.#ids === null) {
      // Split a slice per turn as entries are prepared (split at once, 100 000
      // ids held the event loop for over 30 ms).
      this.#ids = new JoinedIds(taken.inputs)
      this.#prepareInTurns()
    }
    return taken.batches
  }

  async #prepareInTurns() {
    if (this.#preparing || this.#ids === null) return
    this.#preparing = true
    while (!this.#ended && this.#prepared < this.#ids.length) {
      this.#prepare()
      await nextTurn()
    }
    this.#preparing = false
  }

  // The entry an id has if nothing else arrives for it. Never over a
  // delivered entry; never for a non-string input (those always arrive).
  #prepare() {
    const ids = this.#ids
    const results = this.#results
    const end = Math.min(ids.length, this.#prepared + PREPARE_PER_TURN)
    for (let i = this.#prepared; i < end; i++) {
      const id = ids instanceof JoinedIds ? ids.next() : ids[i]
      // The shape of the core's `aborted` entry (bulk.rs, `Unhandled`);
      // hostile.test.ts compares the two in one report.
      if (results[i] === undefined && typeof id === 'string') results[i] = { conversationId: id, outcome: 'aborted' }
    }
    this.#prepared = end
  }

  #absorb(batches) {
    for (const json of batches) {
      const batch = JSON.parse(json)
      if (!isBatch(batch)) throw new Error('not a batch of results')
      const { at, results, foundAt, found } = batch
      for (let k = 0; k < at.length; k++) this.#results[at[k]] = results[k]
      for (let k = 0; k < foundAt.length; k++) this.#found[foundAt[k]] = found[k]
      this.#delivered += at.length
    }
  }

  /** The run failed as a whole: nothing more to prepare or take. */
  abandon() {
    this.#ended = true
    this.stream.close()
  }

  /**
   * The report (JSON text, results left out) completed with every result;
   * `bulkOf(report)` is its bulk part, and a sweep's `found` is filled too.
   */
  async finish(reportJson, bulkOf) {
    this.#ended = true
    let batches
    try {
      batches = this.#queue.concat(this.#take())
      this.#queue = []
    } finally {
      this.stream.close()
    }
    if (this.#broken) throw this.#internal(`a batch of results could not be read (${this.#broken.message}).`)
    const report = JSON.parse(reportJson)
    for (let b = 0; b < batches.length; b += BATCHES_PER_TURN) {
      if (b > 0) await nextTurn()
      try {
        this.#absorb(batches.slice(b, b + BATCHES_PER_TURN))
      } catch (e) {
        throw this.#internal(`a batch of results could not be read (${e.message}).`)
      }
    }
    while (this.#ids !== null && this.#prepared < this.#ids.length) {
      await nextTurn()
      this.#prepare()
    }
    const bulk = bulkOf(report)
    const left = this.stream.implicit()
    if (this.#delivered + left !== bulk.total || this.#results.length !== bulk.total) {
      throw this.#internal(`the run's results do not add up (${this.#delivered} delivered and ${left} aborted for ${bulk.total} ids).`)
    }
    bulk.results = this.#results
    // In candidate order; the holes are candidates not found idle.
    if (Array.isArray(report.found)) report.found = this.#found.filter(() => true)
    return report
  }
}

/** Newline-joined ids read in order, one at a time; `length` is their count. */
class JoinedIds {
  #text
  #at = 0
  constructor(text) {
    this.#text = text
    let n = 1
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
    this.length = n
  }

  next() {
    const end = this.#text.indexOf('\n', this.#at)
    const id = this.#text.slice(this.#at, end === -1 ? undefined : end)
    this.#at = end === -1 ? this.#text.length : end + 1
    return id
  }
}

function isBatch(b) {
  return (
    b !== null &&
    typeof b === 'object' &&
    Array.isArray(b.at) &&
    Array.isArray(b.results) &&
    b.at.length === b.results.length &&
    Array.isArray(b.foundAt) &&
    Array.isArray(b.found) &&
    b.foundAt.length === b.found.length
  )
}

/** JSON arrays parsed one per turn of the event loop, joined into one array. */
async function parseInTurns(chunks) {
  const out = []
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0) await nextTurn()
    for (const item of JSON.parse(chunks[i])) out.push(item)
  }
  return out
}

module.exports = { ResultAssembly, parseInTurns }
