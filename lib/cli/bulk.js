'use strict'
// A bulk run (close or sweep): the client, progress, Ctrl-C, the readable
// summary and the exit status. The commands say what to start and what to
// print first.

const { connect } = require('./credentials')
const { CONFIG_CODES, ACCESS_CODES, EXIT_OK, EXIT_FAILED, EXIT_CONFIG } = require('./errors')
const { interruptible } = require('./interrupt')
const { makeOutput, statusText } = require('./output')
const { makeProgress } = require('./progress')

/** How many failed or spared conversations the readable summary lists. */
const SHOWN = 20
const COUNT_KEYS = ['closed', 'alreadyClosed', 'notFound', 'skipped', 'wouldClose', 'duplicate', 'failed', 'aborted']

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const totalS = Math.round(ms / 1000)
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`
  return `${Math.floor(totalS / 3600)}h${String(Math.floor((totalS % 3600) / 60)).padStart(2, '0')}m`
}

function pad(s, n) {
  return String(s).padEnd(n)
}

/** `Failed (25, first 20 shown; --json lists all):` and a line for each of the first ones shown. */
function printList(out, title, results, describe) {
  if (results.length === 0) return
  out.text('')
  out.text(`${title} (${results.length}${results.length > SHOWN ? `, first ${SHOWN} shown; --json lists all` : ''}):`)
  for (const r of results.slice(0, SHOWN)) out.text(`  ${pad(r.conversationId, 38)}${describe(r)}`)
}

function printCounts(out, report, elapsedMs, requests) {
  for (const key of COUNT_KEYS) out.text(`  ${pad(key, 14)}${String(report[key]).padStart(7)}`)
  out.text(`  ${pad('total', 14)}${String(report.total).padStart(7)}`)
  out.text(`requests ${requests}, retries ${report.retries}, 429s ${report.rateLimited}, elapsed ${formatDuration(elapsedMs)}`)
  printAfterRead(out, report)
  const failures = report.results.filter((r) => r.outcome === 'failed')
  if (failures.length === 0) return
  printList(out, 'Failed', failures, (f) => {
    const status = statusText(f.error)
    return `${f.error.code}${status ? ` (${status})` : ''}`
  })
  // Failures usually share a cause: each distinct code's message once, in full.
  const byCode = new Map()
  for (const f of failures) if (!byCode.has(f.error.code)) byCode.set(f.error.code, f.error.message)
  out.text('')
  for (const [code, message] of byCode) out.text(`${code}: ${message}`)
  if (failures.some((f) => ACCESS_CODES.has(f.error.code))) {
    out.text('')
    out.text('Run `genesys-cleanup check` with the same credentials to see exactly which role or scope is missing.')
  }
}

/**
 * Closed on a read that something newer followed (Genesys has no
 * conditional close): the operator sees which, not just how many.
 */
function printAfterRead(out, report) {
  const late = report.results.filter((r) => r.activityAfterRead)
  printList(out, 'Activity after the read that decided (closed all the same)', late, (r) => `activity at ${r.activityAfterRead}, read showed ${r.lastActivityAt ?? 'none'}`)
}

/** The conversations a guarded run left open because they were still active. */
function printSpared(out, report) {
  const spared = report.results.filter((r) => r.skipReason === 'active')
  printList(out, 'Spared as still active', spared, (r) => `last activity ${r.lastActivityAt ?? 'unknown'}`)
}

function exitStatus(report, interrupted) {
  const failures = report.results.filter((r) => r.outcome === 'failed')
  if (failures.some((f) => CONFIG_CODES.has(f.error.code))) return EXIT_CONFIG
  return report.failed > 0 || report.aborted > 0 || interrupted ? EXIT_FAILED : EXIT_OK
}

/**
 * Runs `work.start(client, extra)` (extra: signal and progress callback),
 * prints with `work.print(out, report, elapsedMs)`, and with --json the
 * report itself. `work.closeReport(report)` picks the BulkReport inside.
 */
async function runBulk(globals, work) {
  const out = makeOutput(globals)
  // A bulk run stops trying after the credentials are rejected (the library
  // reports the rest as failed without a request), so no special case here.
  const client = connect(globals)
  const progress = makeProgress(globals.progress, work.dryRun)
  const run = interruptible(progress)
  const started = performance.now()
  try {
    const report = await work.start(client, {
      signal: run.signal,
      onProgress: (p) => progress.update(p),
      progressIntervalMs: 100,
    })
    progress.stop()
    work.print(out, report, performance.now() - started)
    if (out.json) out.document(report)
    const bulk = work.closeReport(report)
    // A leased sweep that another replica ran is not a failure; a lost lease is.
    if (!bulk) return report.lease && report.lease.lost ? EXIT_FAILED : EXIT_OK
    return report.lease && report.lease.lost ? EXIT_FAILED : exitStatus(bulk, run.interrupted)
  } finally {
    progress.stop()
    run.dispose()
    if (work.dispose) await work.dispose()
  }
}

module.exports = { runBulk, printCounts, printSpared }
