'use strict'
// `genesys-cleanup sweep --idle 30m`: finds open web messaging conversations
// idle for a while (re-read one by one) and ends them.

const { describeDuration, UNIT_MS } = require('../args')
const { runBulk, printCounts, printSpared } = require('../bulk')
const { closeBehaviour } = require('./close')

async function sweep(globals, opts) {
  const dryRun = Boolean(opts.dryRun)
  const what = `conversations idle for at least ${describeDuration(opts.idle)}`
  return runBulk(globals, {
    dryRun,
    start(client, extra) {
      if (globals.progress) process.stderr.write(`Looking for open web messaging ${what}...\n`)
      const find = { idleForMs: opts.idle }
      if (opts.lookback !== undefined) find.lookbackMs = opts.lookback
      if (opts.limit !== undefined) find.limit = opts.limit
      return client.sweep({ ...find, ...closeBehaviour(opts), ...extra })
    },
    closeReport: (report) => report.close,
    print(out, report, elapsedMs) {
      const window = describeDuration(opts.lookback ?? UNIT_MS.d)
      out.text(`${dryRun ? 'Sweep (dry run, nothing was written)' : 'Sweep'}: ${report.scanned} open conversation(s) started in the last ${window}; ${report.candidates} old enough to check; ${report.found.length} ${what}; ${report.sparedActive} spared as still active.`)
      printCounts(out, report.close, elapsedMs, report.requests)
      if (dryRun) printSpared(out, report.close)
    },
  })
}

module.exports = { sweep }
