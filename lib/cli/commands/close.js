'use strict'
// `genesys-cleanup close <id...>`: ends the given conversations (ids as
// arguments, or on stdin one per line when none or "-" is given).

const readline = require('node:readline')
const { runBulk, printCounts, printSpared } = require('../bulk')

/** The close options of the library from the flags close and sweep share. */
function closeBehaviour(opts) {
  const b = {}
  if (opts.concurrency !== undefined) b.concurrency = opts.concurrency
  if (opts.wrapupCode !== undefined) b.wrapupCode = opts.wrapupCode
  if (opts.verify) b.verify = true
  if (opts.fast) b.fast = true
  if (opts.unlessActiveFor !== undefined) b.idleForMs = opts.unlessActiveFor
  if (opts.dryRun) b.dryRun = true
  return b
}

async function readStdinIds() {
  if (process.stdin.isTTY) process.stderr.write('Reading conversation ids from stdin, one per line (end with Ctrl-D).\n')
  const ids = []
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of lines) {
    const t = line.trim()
    if (t !== '' && !t.startsWith('#')) ids.push(t)
  }
  return ids
}

async function close(globals, ids, opts) {
  let input = ids
  if (input.length === 0 || input.includes('-')) {
    const fromStdin = await readStdinIds()
    input = input.length === 0 ? fromStdin : input.flatMap((id) => (id === '-' ? fromStdin : [id]))
  }
  const dryRun = Boolean(opts.dryRun)
  return runBulk(globals, {
    dryRun,
    start: (client, extra) => client.closeConversations(input, { ...closeBehaviour(opts), ...extra }),
    closeReport: (report) => report,
    print(out, report, elapsedMs) {
      out.text(dryRun ? `Dry run: ${report.wouldClose} of ${report.total} conversation(s) would be closed; nothing was written.` : `Closed ${report.closed} of ${report.total} conversation(s).`)
      printCounts(out, report, elapsedMs, report.requests)
      printSpared(out, report)
    },
  })
}

module.exports = { close, closeBehaviour }
