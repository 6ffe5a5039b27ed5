'use strict'
// `genesys-cleanup watch --idle 30m [--queue NAME]...`: ends web messaging
// conversations as they fall idle, from Genesys's notifications, until
// Ctrl-C (or SIGTERM); then prints what it did. With --json every event is a
// JSON line on stdout, and the report the last one.

const { describeDuration } = require('../args')
const { connect } = require('../credentials')
const { EXIT_OK, EXIT_FAILED } = require('../errors')
const { interruptible } = require('../interrupt')
const { makeOutput } = require('../output')
const { makeWatchStatus } = require('../watch-status')
const { redisLeaseFrom } = require('../lease')
const { printNativeTimer } = require('./sweep')

function jsonLine(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

async function watch(globals, opts) {
  const out = makeOutput(globals)
  const client = connect(globals)
  const dryRun = Boolean(opts.dryRun)
  // With --json, events go to stdout; stderr keeps the notes (Ctrl-C).
  const status = makeWatchStatus(globals.progress && !out.json, dryRun, globals.progress)
  const run = interruptible(status, 'closes in flight are abandoned, the report follows')
  const options = {
    idleMs: opts.idle,
    signal: run.signal,
    onEvent(e) {
      status.event(e)
      if (out.json) jsonLine(e)
    },
  }
  if (opts.queue.length > 0) options.queues = opts.queue
  if (opts.reconcileEvery !== undefined) options.reconcileEveryMs = opts.reconcileEvery
  if (dryRun) options.dryRun = true
  const leased = opts.lease ? redisLeaseFrom(opts.lease, opts.leaseTtl ?? 30_000) : null
  if (leased) {
    await leased.connection.connect().catch(() => undefined)
    options.lease = leased.lease
  }
  if (globals.progress && !out.json) {
    const where = opts.queue.length > 0 ? `queue(s) ${opts.queue.join(', ')}` : 'every queue'
    process.stderr.write(`Watching ${where}: ending web messaging conversations idle for ${describeDuration(opts.idle)}${dryRun ? ' (dry run: nothing is written)' : ''}. Ctrl-C stops.\n`)
  }
  try {
    const result = await client.watch(options)
    status.stop()
    const report = leased ? result.watch : result
    if (out.json) jsonLine(leased ? { kind: 'report', report, lease: result.lease } : { kind: 'report', report })
    else {
      if (leased) printLease(out, result.lease)
      if (report) printReport(out, report)
    }
    return report && report.failed > 0 ? EXIT_FAILED : EXIT_OK
  } finally {
    status.stop()
    run.dispose()
    if (leased) leased.connection.disconnect()
  }
}

function printLease(out, l) {
  if (!l.held) {
    out.text(`Never watched: the lease ${l.name} was held by another replica the whole time${l.reason ? ` (${l.reason})` : ''}.`)
    return
  }
  out.text(`Held the lease ${l.name} ${l.terms} time(s)${l.lost > 0 ? `, lost it ${l.lost} time(s) (last: ${l.reason})` : ''}; the report is of the last term.`)
}

function printReport(out, r) {
  out.text(`Watch ${r.dryRun ? '(dry run, nothing was written) ' : ''}stopped after ${(r.elapsedMs / 1000).toFixed(1)} s.`)
  const rows = [
    [r.dryRun ? 'would close' : 'closed', r.dryRun ? r.wouldClose : r.closed],
    ['spared active', r.sparedActive],
    ['already closed', r.alreadyClosed],
    ['skipped', r.skipped],
    ['failed', r.failed],
    ['activity after read', r.activityAfterRead],
    ['events seen', r.eventsSeen],
    ['reconnects', r.reconnects],
    ['renewals', r.renewals],
    ['gaps swept', r.gapsReconciled],
    ['periodic sweeps', r.periodicSweeps],
    ['still tracked', r.tracked],
  ]
  for (const [k, v] of rows) out.text(`  ${k.padEnd(20)}${String(v).padStart(7)}`)
  out.text(`${r.topics} queue topic(s) on ${r.channels} channel(s); requests ${r.requests}, retries ${r.retries}, 429s ${r.rateLimited}`)
  printNativeTimer(out, r.nativeTimer)
  if (r.untracked > 0) out.text(`${r.untracked} conversation(s) were over maxTracked: left to the sweeps.`)
  if (r.rejectedTopics.length > 0) {
    out.text('')
    out.text(`Rejected topics (${r.rejectedTopics.length}): conversations on these queues are found only by the periodic sweep.`)
    for (const t of r.rejectedTopics) {
      const missing = t.missingPermissions.length > 0 ? `; missing ${t.missingPermissions.join(', ')}` : ''
      out.text(`  ${t.queueName || t.queueId}: ${t.reason}${missing}`)
    }
  }
}

module.exports = { watch }
