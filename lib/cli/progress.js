'use strict'
// Progress of a bulk run, on stderr: a bar on a terminal, a line every few
// seconds otherwise, nothing with --no-progress. `note` prints a line the bar
// would otherwise overwrite.

function writeLine(line) {
  process.stderr.write(`${line}\n`)
}

function makeProgress(enabled, dryRun) {
  if (!enabled) return { update() {}, stop() {}, note() {} }
  const mainCount = dryRun ? 'wouldClose' : 'closed'
  const mainLabel = dryRun ? 'would close' : 'closed'
  return process.stderr.isTTY ? bar(mainCount, mainLabel) : lines(mainCount, mainLabel)
}

function bar(mainCount, mainLabel) {
  const cliProgress = require('cli-progress')
  let shown = null
  return {
    update(p) {
      if (p.total === 0) return
      const payload = { main: p[mainCount], failed: p.failed, other: p.alreadyClosed + p.notFound + p.skipped + p.duplicate }
      if (!shown) {
        shown = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: ` {bar} {percentage}% | {value}/{total} | ${mainLabel} {main} | nothing to do {other} | failed {failed} | ETA {eta_formatted}`,
            hideCursor: true,
            etaBuffer: 200,
            fps: 10,
          },
          cliProgress.Presets.shades_classic,
        )
        shown.start(p.total, p.done, payload)
      } else {
        shown.update(p.done, payload)
      }
    },
    stop() {
      if (shown) shown.stop()
      shown = null
    },
    note(line) {
      this.stop()
      writeLine(line)
    },
  }
}

function lines(mainCount, mainLabel) {
  let last = 0
  let lastDone = -1
  return {
    update(p) {
      const now = Date.now()
      const final = p.done === p.total
      if (p.total === 0 || p.done === lastDone || (!final && now - last < 2000)) return
      last = now
      lastDone = p.done
      const pct = Math.floor((100 * p.done) / p.total)
      writeLine(`progress: ${p.done}/${p.total} (${pct}%) ${mainLabel} ${p[mainCount]}, failed ${p.failed}${p.aborted ? `, aborted ${p.aborted}` : ''}`)
    },
    stop() {},
    note: writeLine,
  }
}

module.exports = { makeProgress }
