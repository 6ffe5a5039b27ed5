'use strict'
// A Redis call (or any promise) that answers within a deadline, or fails:
// neither a lease nor a fleet pass ever waits on a hung Redis.

/** Settles as `promise` does, or rejects after `ms` naming `what` did not answer. */
function bounded(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

module.exports = { bounded }
