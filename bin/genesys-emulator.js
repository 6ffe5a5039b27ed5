#!/usr/bin/env node
'use strict'
// `npx genesys-emulator --port 0 --seed-conversations 100`: runs the bundled
// Genesys Cloud emulator (a native executable shipped in the platform
// package) with the given flags; see docs/emulator.md.

const { spawn } = require('node:child_process')
const { findEmulatorBinary } = require('../testing')

let bin
try {
  bin = findEmulatorBinary()
} catch (e) {
  process.stderr.write(`genesys-emulator: ${e.message}\n`)
  process.exit(2)
}

const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' })
// Ctrl-C and a supervisor's SIGTERM reach the emulator, which drains and exits.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('error', (e) => {
  process.stderr.write(`genesys-emulator: could not start ${bin}: ${e.message}\n`)
  process.exit(2)
})
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)))
