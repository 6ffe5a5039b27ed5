'use strict'
// `genesys-cleanup sweep --idle 30m`: finds open web messaging conversations
// idle for a while (re-read one by one) and ends them.

const { describeDuration, UNIT_MS } = require('../args')
const { runBulk, printCounts, printSpared } = require('../bulk')
const { closeBehaviour } = require('./close')
const { redisLeaseFrom } = require('../lease')

async function sweep(globals, opts) {
  const dryRun = Boolean(opts.dryRun)
  const what = `conversations idle for at least ${describeDuration(opts.idle)}`
  const leased = opts.lease ? redisLeaseFrom(opts.lease, opts.leaseTtl ?? 30_000) : null
  return runBulk(globals, {
    dryRun,
    async start(client, extra) {
      if (globals.progress) process.stderr.write(`Looking for open web messaging ${what}...\n`)
      const find = { idleForMs: opts.idle }
      if (opts.lookback !== undefined) find.lookbackMs = opts.lookback
      if (opts.limit !== undefined) find.limit = opts.limit
      if (leased) await leased.connection.connect().catch(() => undefined)
      return client.sweep({ ...find, ...closeBehaviour(opts), ...extra, ...(leased ? { lease: leased.lease } : {}) })
    },
    closeReport: (report) => (leased ? report.sweep && report.sweep.close : report.close),
    dispose: async () => {
      if (leased) leased.connection.disconnect()
    },
    print(out, result, elapsedMs) {
      if (leased) {
        const { lease } = result
        if (!lease.held) {
          out.text(`Not swept: this replica does not hold the lease ${lease.name} (${lease.reason}).`)
          return
        }
        if (lease.lost) out.text(`The lease ${lease.name} was lost during the sweep (${lease.reason}); writes stopped.`)
        if (!result.sweep) return
      }
      const report = leased ? result.sweep : result
      const window = describeDuration(opts.lookback ?? UNIT_MS.d)
      out.text(`${dryRun ? 'Sweep (dry run, nothing was written)' : 'Sweep'}: ${report.scanned} open conversation(s) started in the last ${window}; ${report.candidates} old enough to check; ${report.found.length} ${what}; ${report.sparedActive} spared as still active.`)
      printCounts(out, report.close, elapsedMs, report.requests)
      printNativeTimer(out, report.nativeTimer)
      if (dryRun) printSpared(out, report.close)
    },
  })
}

/** Who ended what on queues with Genesys's own timer (when the queues could be read). */
function printNativeTimer(out, n) {
  if (!n || !n.available) return
  out.text(`Genesys's own timers: ended by Genesys ${n.endedByGenesys}, ended by us first ${n.endedByUsFirst}, missed by the timer ${n.missedByTimer}.`)
}

module.exports = { sweep, printNativeTimer }
