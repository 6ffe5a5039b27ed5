#!/usr/bin/env node
'use strict'
// Builds what the tests, the demo and the CLI need: the native addon and the
// emulator. `--release` builds the LTO release profile (benchmarks); the
// default is the faster `dev-opt` profile (optimised, no LTO).
const path = require('node:path')
const { run, ROOT } = require('./run')

/** Builds both; returns the path of the emulator binary it built. */
function build({ release = false } = {}) {
  const profile = release ? ['--release'] : ['--profile', 'dev-opt']
  run('npx', ['napi', 'build', '--platform', ...profile, '--js', 'binding.js', '--dts', 'binding.d.ts'])
  run('cargo', ['build', ...profile, '-p', 'genesys-emulator'])
  const exe = process.platform === 'win32' ? 'genesys-emulator.exe' : 'genesys-emulator'
  return path.join(ROOT, 'target', release ? 'release' : 'dev-opt', exe)
}

module.exports = { build }

if (require.main === module) build({ release: process.argv.includes('--release') })
