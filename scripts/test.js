#!/usr/bin/env node
'use strict'
// `npm test`: everything, from a clean clone. Builds the addon and the
// emulator, checks formatting, lints, runs the Rust tests, type-checks the
// TypeScript and runs the Jest suites against the emulator binary.
const { run } = require('./run')
const { build } = require('./build')

build()
run('cargo', ['fmt', '--all', '--', '--check'])
run('cargo', ['clippy', '--workspace', '--all-targets', '--profile', 'dev-opt', '--', '-D', 'warnings'])
// The addon crate is a cdylib over napi symbols: its behaviour is tested
// through the core crate and through Jest.
run('cargo', ['test', '--profile', 'dev-opt', '--workspace', '--exclude', 'genesys-cleanup-node'])
run('npx', ['tsc', '-p', 'tsconfig.json'])
run('npx', ['jest', '--ci', ...process.argv.slice(2)])
