'use strict'
// Ties SIGINT/SIGTERM to an AbortController for the duration of a run: the
// first signal aborts (the run still reports), a second one quits at once.

/** `stopping`: what the first signal does, in words (default: a bulk run's). */
function interruptible(progress, stopping = 'requests in flight finish, the rest is reported as aborted') {
  const controller = new AbortController()
  let signals = 0
  const onSignal = (name) => {
    signals += 1
    if (signals > 1) {
      progress.stop()
      process.stderr.write(`${name} again: quitting without a report.\n`)
      process.exit(130)
    }
    progress.note(`${name}: stopping; ${stopping} (${name} again quits at once).`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    get interrupted() {
      return signals > 0
    },
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

module.exports = { interruptible }
