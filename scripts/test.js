#!/usr/bin/env node
'use strict'
// `npm test`: everything, from a clean clone. Builds the addon and the
// emulator, checks formatting, lints, runs the Rust tests, type-checks the
// TypeScript and runs the Jest suites against the emulator binary.
const fs = require('node:fs')
const path = require('node:path')
const { run, ROOT } = require('./run')
const { build } = require('./build')

// The tests start the emulator just built, never an older binary that
// testing.js's search might prefer (a newer release build left in target/).
process.env.GENESYS_EMULATOR_BIN = build()
run('cargo', ['fmt', '--all', '--', '--check'])
run('cargo', ['clippy', '--workspace', '--all-targets', '--profile', 'dev-opt', '--', '-D', 'warnings'])
// The addon crate is a cdylib over napi symbols: its behaviour is tested
// through the core crate and through Jest.
run('cargo', ['test', '--profile', 'dev-opt', '--workspace', '--exclude', 'genesys-cleanup-node'])
run('npx', ['tsc', '-p', 'tsconfig.json'])
const resultsFile = path.join(ROOT, 'target', 'jest-results.json')
run('npx', ['jest', '--ci', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)])
// One plain closing line that any CI reads: the Jest totals.
const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
console.log(`\njest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)
