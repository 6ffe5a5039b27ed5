#!/usr/bin/env node
'use strict'
// genesys-cleanup: the operator's command line over the library.
//
//   genesys-cleanup check
//   genesys-cleanup close <id...>        (or ids on stdin, one per line)
//   genesys-cleanup sweep --idle 30m
//
// stdout carries the result (a readable report, or with --json exactly one
// JSON document); progress, notes and errors go to stderr. Credentials come
// from the environment only, and no token or secret is ever printed. The
// work is done in lib/cli/.

const { main } = require('../lib/cli/main')
const { EXIT_FAILED } = require('../lib/cli/errors')

module.exports = { main }

if (require.main === module) {
  // A closed pipe (`| head`) is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => {
      if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_FAILED)
      throw e
    })
  }
  main(process.argv).then((code) => {
    process.exitCode = code
  })
}
