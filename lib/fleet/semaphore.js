'use strict'
// The fleet-wide cap, in JS for now: a weighted FIFO semaphore on job runs
// (a sweep takes min(its concurrency, cap) units; watches are not counted).
// Approximate: it bounds the requests sweeps may have in flight, not each
// attempt (that needs the cap in the native transport, see docs/replicas.md).

class Semaphore {
  constructor(capacity) {
    this.capacity = capacity
    this.free = capacity
    this.queue = []
  }

  /** Resolves with a release function once `units` are free (FIFO); rejects when `signal` aborts first. */
  take(units, signal) {
    const n = Math.min(units, this.capacity)
    return new Promise((resolve, reject) => {
      const entry = { n, grant: () => resolve(this.#releaser(n)) }
      const onAbort = () => {
        const i = this.queue.indexOf(entry)
        if (i >= 0) this.queue.splice(i, 1)
        reject(Object.assign(new Error('aborted while waiting for the fleet concurrency cap'), { code: 'ERR_ABORTED' }))
        this.#drain()
      }
      if (signal?.aborted) return onAbort()
      entry.grant = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve(this.#releaser(n))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.queue.push(entry)
      this.#drain()
    })
  }

  #releaser(n) {
    let done = false
    return () => {
      if (done) return
      done = true
      this.free += n
      this.#drain()
    }
  }

  #drain() {
    while (this.queue.length > 0 && this.queue[0].n <= this.free) {
      const entry = this.queue.shift()
      this.free -= entry.n
      entry.grant()
    }
  }
}

module.exports = { Semaphore }
