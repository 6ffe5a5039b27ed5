'use strict'
// The benchmark's emulator: the package's own test helper (testing.js), quiet,
// plus the one query the benchmark needs to verify closes.
const { startEmulator: startTestEmulator } = require('../testing')

/** Starts `bin` on a free loopback port; resolves once it printed its URL. */
async function startEmulator(bin, args = []) {
  const emulator = await startTestEmulator({ bin, args, quiet: true })
  /** Ids of the conversations still open, from the emulator's own state. */
  emulator.activeIds = async () => (await emulator.admin('GET', 'conversations?state=active')).ids
  return emulator
}

module.exports = { startEmulator }
