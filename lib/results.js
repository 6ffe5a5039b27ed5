'use strict'
// A closeConversations run's results, assembled while the run goes on, so
// that its promise settles soon after the run ends (an abort included)
// however many ids it had. The native side is src/results.rs.
//
// - Decided entries arrive as JSON batches of about a thousand (parsed when
//   the native side wakes this thread), each with the input index it answers.
// - Every id is first given an `aborted` entry prepared from the input, a
//   slice per turn of the event loop while the run goes on; the native side
//   does not send an `aborted` entry for an id exactly as given, only counts
//   it. Built after an abort instead, a million entries held the event loop
//   for over 100 ms.
// - At the end the batches delivered plus the entries left prepared must be
//   every input, or the run fails with ERR_INTERNAL rather than return a
//   report that says more (or less) than happened.

/** Prepared entries per turn of the event loop (a few milliseconds). */
const PREPARE_PER_TURN = 20_000
/** Batches parsed per turn when the run has ended. */
const BATCHES_PER_TURN = 20

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

class ResultAssembly {
  #ids
  #results
  #prepared = 0
  #delivered = 0
  #ended = false
  #broken = null
  #internal

  /**
   * @param ResultStream the binding's class
   * @param ids the caller's input, as given
   * @param internal (message) => Error, for a report that would not add up
   */
  constructor(ResultStream, ids, internal) {
    // A copy: a caller that changes its array while the run goes on does
    // not change what the report says.
    this.#ids = ids.slice()
    this.#results = new Array(ids.length)
    this.#internal = internal
    // Called from a native wake-up: it must not throw (a throw there is an
    // uncaught exception); a batch it cannot read fails the run at the end.
    this.stream = new ResultStream(() => {
      if (this.#ended) return
      try {
        this.#absorb(this.stream.take())
      } catch (e) {
        this.#broken = this.#broken || e
      }
    })
    this.#prepareInTurns()
  }

  async #prepareInTurns() {
    while (!this.#ended && this.#prepared < this.#ids.length) {
      this.#prepare()
      await nextTurn()
    }
  }

  // The entry an id has if nothing else arrives for it. Never over a
  // delivered entry; never for a non-string input (those always arrive).
  #prepare() {
    const ids = this.#ids
    const results = this.#results
    const end = Math.min(ids.length, this.#prepared + PREPARE_PER_TURN)
    for (let i = this.#prepared; i < end; i++) {
      const id = ids[i]
      if (results[i] === undefined && typeof id === 'string') results[i] = { conversationId: id, outcome: 'aborted' }
    }
    this.#prepared = end
  }

  #absorb(batches) {
    for (const json of batches) {
      const batch = JSON.parse(json)
      if (batch === null || !Array.isArray(batch.at) || !Array.isArray(batch.results) || batch.at.length !== batch.results.length) {
        throw new Error('not a batch')
      }
      const { at, results } = batch
      for (let k = 0; k < at.length; k++) this.#results[at[k]] = results[k]
      this.#delivered += at.length
    }
  }

  /** The run failed as a whole: nothing more to prepare. */
  abandon() {
    this.#ended = true
    this.stream.close()
  }

  /** The report (JSON text, results left out) completed with every result. */
  async finish(reportJson) {
    this.#ended = true
    this.stream.close()
    if (this.#broken) throw this.#internal(`a batch of results could not be read (${this.#broken.message}).`)
    const report = JSON.parse(reportJson)
    const batches = this.stream.take()
    for (let b = 0; b < batches.length; b += BATCHES_PER_TURN) {
      if (b > 0) await nextTurn()
      this.#absorb(batches.slice(b, b + BATCHES_PER_TURN))
    }
    while (this.#prepared < this.#ids.length) {
      await nextTurn()
      this.#prepare()
    }
    const left = this.stream.implicit()
    if (this.#delivered + left !== report.total || this.#results.length !== report.total) {
      throw this.#internal(`the run's results do not add up (${this.#delivered} delivered and ${left} aborted for ${report.total} ids).`)
    }
    report.results = this.#results
    return report
  }
}

module.exports = { ResultAssembly }
