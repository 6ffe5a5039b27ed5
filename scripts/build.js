#!/usr/bin/env node
'use strict'
// Builds what the tests, the demo and the CLI need: the native addon and the
// emulator. `--release` builds the LTO release profile (benchmarks); the
// default is the faster `dev-opt` profile (optimised, no LTO).
const { run } = require('./run')

function build({ release = false } = {}) {
  const profile = release ? ['--release'] : ['--profile', 'dev-opt']
  run('npx', ['napi', 'build', '--platform', ...profile, '--js', 'binding.js', '--dts', 'binding.d.ts'])
  run('cargo', ['build', ...profile, '-p', 'genesys-emulator'])
}

module.exports = { build }

if (require.main === module) build({ release: process.argv.includes('--release') })
