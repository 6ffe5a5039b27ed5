'use strict'
// A bulk run as JS drives it (closeConversations, and a sweep's close): the
// ids sent across as one string, the results assembled while the run goes
// on (results.js), and `onProgress` settled once, final counts first.

const binding = require('./native.js')
const { guarded } = require('./callbacks.js')
const { invalidArgument, internalError } = require('./errors.js')
const { ResultAssembly } = require('./results.js')

/**
 * Runs one bulk run. `ids`: the caller's list, or null when the inputs come
 * from the native side (a sweep's candidates). `bulkOf(report)`: the report's
 * bulk part. `start(input, onProgress, stream)` makes the binding call, with
 * `input` the ids as they cross (see `joinedIds`; null for a sweep).
 */
function bulkRun({ ids, onProgress, bulkOf }, start) {
  const progress = progressOf(onProgress)
  const input = ids === null ? null : joinedIds(ids)
  return assembled(ids, (stream) => start(input, progress.native, stream), bulkOf).then(
    (report) => progress.settle(report, bulkOf(report)),
    (e) => {
      progress.close()
      throw e
    },
  )
}

// onProgress for one run: the final counts are always delivered before the
// run's promise settles, and nothing is delivered after it.
function progressOf(onProgress) {
  const cb = guarded('onProgress', onProgress, invalidArgument)
  let open = true
  let lastDone = -1
  return {
    // null: the native side had already handed over the newest counts.
    native: cb && ((p) => {
      if (!open || p === null) return
      lastDone = p.done
      cb(p)
    }),
    settle(report, bulk) {
      // A BulkReport is also the final BulkProgress (index.d.ts: it extends
      // it), so the counts are not listed here a second time.
      if (cb && open && bulk && bulk.done !== lastDone) cb(bulk)
      open = false
      return report
    },
    close() {
      open = false
    },
  }
}

// Ids cross to the native side as one newline-joined string when they are
// all strings without a newline (the usual case): one value to convert
// instead of one per id, which held the JS thread ~1 us per id. Anything else
// (a hole, a non-string, a newline, an empty list) goes element by element,
// so every element still gets its own result.
function joinedIds(ids) {
  if (ids.length === 0) return ids
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]
    if (typeof id !== 'string' || id.includes('\n')) return ids
  }
  return ids.join('\n')
}

// Runs a bulk run or sweep whose results reach a ResultAssembly while it
// goes on; the report is completed with them when the call settles.
function assembled(ids, start, bulkOf) {
  const assembly = new ResultAssembly(binding.ResultStream, ids, internalError)
  return start(assembly.stream).then(
    (reportJson) => assembly.finish(reportJson, bulkOf),
    (e) => {
      assembly.abandon()
      throw e
    },
  )
}

module.exports = { bulkRun }
