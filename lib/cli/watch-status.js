'use strict'
// What `watch` shows while it runs, on stderr: one status line rewritten in
// place on a terminal (counts so far), one line per notable event otherwise,
// nothing with --no-progress. With --json the events go to stdout instead,
// one JSON document per line (see commands/watch.js).

const NOTABLE = new Set(['connected', 'disconnected', 'closed', 'wouldClose', 'failed', 'rejectedTopic', 'activityAfterRead'])
/** Shown on their own line on a terminal too, above the status line. */
const ALWAYS_SHOWN = new Set(['failed', 'rejectedTopic', 'disconnected', 'activityAfterRead'])

function describe(e) {
  const parts = [e.kind]
  if (e.conversationId) parts.push(e.conversationId)
  if (e.lastActivityAt) parts.push(`last activity ${e.lastActivityAt}`)
  if (e.channelId) parts.push(`channel ${e.channelId}`)
  if (e.code) parts.push(e.code)
  if (e.reason) parts.push(e.reason)
  return parts.join('  ')
}

/** `enabled`: show events on stderr; `notes`: show notes (Ctrl-C) even so. */
function makeWatchStatus(enabled, dryRun, notes = enabled) {
  const counts = { closed: 0, wouldClose: 0, spared: 0, failed: 0, activityAfterRead: 0, reconnects: 0, sweeps: 0 }
  let connects = 0
  const count = (e) => {
    if (e.kind in counts) counts[e.kind] += 1
    if (e.kind === 'connected' && ++connects > 1 && e.reason !== 'renewed') counts.reconnects += 1
    if (e.kind === 'reconciled') counts.sweeps += 1
  }
  if (!enabled) return { event: count, stop() {}, note: notes ? (text) => process.stderr.write(`${text}\n`) : () => {} }
  const tty = process.stderr.isTTY
  let drawn = false
  const line = () =>
    `watching | ${dryRun ? `would close ${counts.wouldClose}` : `closed ${counts.closed}`} | spared ${counts.spared} | failed ${counts.failed}${counts.activityAfterRead ? ` | activity after read ${counts.activityAfterRead}` : ''} | reconnects ${counts.reconnects} | sweeps ${counts.sweeps}`
  const clear = () => {
    if (drawn) process.stderr.write('\r\x1b[2K')
    drawn = false
  }
  return {
    event(e) {
      count(e)
      if (tty) {
        if (ALWAYS_SHOWN.has(e.kind)) {
          clear()
          process.stderr.write(`${describe(e)}\n`)
        }
        process.stderr.write(`\r\x1b[2K${line()}`)
        drawn = true
      } else if (NOTABLE.has(e.kind)) {
        process.stderr.write(`${describe(e)}\n`)
      }
    },
    stop() {
      clear()
    },
    note(text) {
      clear()
      process.stderr.write(`${text}\n`)
    },
  }
}

module.exports = { makeWatchStatus, describe }
