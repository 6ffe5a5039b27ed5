#!/usr/bin/env node
'use strict'
// `npm test`: everything, from a clean clone. Finds or fetches a redis-server
// for the lease suites (scripts/redis.js), builds the addon and the emulator,
// checks formatting, lints, runs the Rust tests, type-checks the TypeScript
// and runs the Jest suites against the emulator binary.
//
//   node scripts/test.js [jest args]               all of it; closes on `jest: N passed, N failed, N skipped`
//   node scripts/test.js --jest-only [jest args]   the Jest suites alone, on the Node running this script,
//                                                  against the build already made; closes on
//                                                  `jest (node vX.Y.Z): N passed, N failed, N skipped`
//   node scripts/test.js --summary FILE...         one line per Jest results file, then their sum
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { run, ROOT } = require('./run')
const { ensureRedisServer, RedisUnavailable } = require('./redis')

const EMULATOR = path.join(ROOT, 'target', 'dev-opt', process.platform === 'win32' ? 'genesys-emulator.exe' : 'genesys-emulator')

function counts(file) {
  const r = JSON.parse(fs.readFileSync(file, 'utf8'))
  return { node: r.nodeVersion, passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests, suitesFailed: r.numFailedTestSuites + (r.numRuntimeErrorTestSuites || 0) }
}
const line = (c) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`

function summary(files) {
  const all = { passed: 0, failed: 0, skipped: 0 }
  let broken = 0
  for (const f of files) {
    if (!fs.existsSync(f)) {
      console.log(`jest (${path.basename(f)}): no results (the run did not finish)`)
      broken++
      continue
    }
    const c = counts(f)
    console.log(`jest (node ${c.node ?? '?'}): ${line(c)}`)
    for (const k of Object.keys(all)) all[k] += c[k]
    broken += c.suitesFailed > 0 && c.failed === 0 ? 1 : 0
  }
  console.log(`jest: ${line(all)}`)
  return all.failed === 0 && broken === 0
}

function redis() {
  try {
    process.env.REDIS_SERVER_BIN = ensureRedisServer()
  } catch (e) {
    if (!(e instanceof RedisUnavailable)) throw e
    console.error(`\n${e.message}`)
    process.exit(1)
  }
}

/** Runs Jest on this Node; returns its exit status and the results file. */
function jest(args, resultsFile) {
  fs.rmSync(resultsFile, { force: true })
  const argv = [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--json', `--outputFile=${resultsFile}`, ...args]
  console.log(`\n$ ${path.basename(process.execPath)} (${process.version}) ${argv.join(' ')}`)
  // Children that run `node` (the CLI tests use process.execPath; scripts may
  // not) get this Node first on PATH.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}` }
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: 'inherit', env })
  return r.status ?? 1
}

function withNode(resultsFile, status) {
  if (!fs.existsSync(resultsFile)) {
    console.error(`\njest (node ${process.version}) wrote no results (exit ${status})`)
    return
  }
  const c = counts(resultsFile)
  // Jest's JSON has no Node version: recorded here for --summary.
  const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
  r.nodeVersion = process.version
  fs.writeFileSync(resultsFile, JSON.stringify(r))
  return c
}

const argv = process.argv.slice(2)
if (argv[0] === '--summary') {
  process.exit(summary(argv.slice(1)) ? 0 : 1)
} else if (argv[0] === '--jest-only') {
  if (!fs.existsSync(EMULATOR)) {
    console.error(`${EMULATOR} is missing: run \`npm test\` (or node scripts/build.js) first`)
    process.exit(1)
  }
  process.env.GENESYS_EMULATOR_BIN = EMULATOR
  redis()
  const resultsFile = path.join(ROOT, 'target', `jest-results-node${process.versions.node.split('.')[0]}.json`)
  const status = jest(argv.slice(1), resultsFile)
  const c = withNode(resultsFile, status)
  if (c) console.log(`\njest (node ${process.version}): ${line(c)}`)
  process.exit(status)
} else {
  // First, so that a machine without Redis learns it before a long build.
  redis()
  // The tests start the emulator just built, never an older binary that
  // testing.js's search might prefer (a newer release build left in target/).
  const { build } = require('./build')
  process.env.GENESYS_EMULATOR_BIN = build()
  run('cargo', ['fmt', '--all', '--', '--check'])
  run('cargo', ['clippy', '--workspace', '--all-targets', '--profile', 'dev-opt', '--', '-D', 'warnings'])
  // The addon crate is a cdylib over napi symbols: its behaviour is tested
  // through the core crate and through Jest.
  run('cargo', ['test', '--profile', 'dev-opt', '--workspace', '--exclude', 'genesys-cleanup-node'])
  run('npx', ['tsc', '-p', 'tsconfig.json'])
  const resultsFile = path.join(ROOT, 'target', 'jest-results.json')
  const status = jest(argv, resultsFile)
  const c = withNode(resultsFile, status)
  // One plain closing line that any CI reads: the Jest totals.
  if (c) console.log(`\njest: ${line(c)}`)
  process.exit(status || (c ? 0 : 1))
}
