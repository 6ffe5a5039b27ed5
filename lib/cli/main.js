'use strict'
// Runs the command line: parses, runs the command, and turns whatever ended
// it into an exit status, printing the error (if any) exactly once.

const { buildProgram } = require('./args')
const { check } = require('./commands/check')
const { close } = require('./commands/close')
const { fleet } = require('./commands/fleet')
const { queues } = require('./commands/queues')
const { sweep } = require('./commands/sweep')
const { watch } = require('./commands/watch')
const { CliError, EXIT_OK, EXIT_CONFIG, exitStatusFor } = require('./errors')
const { printError } = require('./output')

/** What ended a command, as an error with a code: the CLI's, the library's, or a bug (ERR_INTERNAL). */
function reportable(e) {
  if (e instanceof CliError || (e && e.name === 'CleanupError')) return e
  return { code: 'ERR_INTERNAL', message: e && e.stack ? e.stack : String(e) }
}

async function main(argv) {
  let result = EXIT_OK
  const program = buildProgram({ check, close, sweep, watch, fleet, queues }, (code) => {
    result = code
  })
  const json = argv.includes('--json')
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true })
      return EXIT_CONFIG
    }
    await program.parseAsync(argv)
    return result
  } catch (e) {
    // Help and version end as a commander "error" with exit status 0.
    if (e && typeof e.code === 'string' && e.code.startsWith('commander.')) {
      if (e.exitCode === 0) return EXIT_OK
      printError(new CliError('ERR_USAGE', e.message.replace(/^error: /, '')), json)
      return EXIT_CONFIG
    }
    const error = reportable(e)
    printError(error, json)
    return exitStatusFor(error.code)
  }
}

module.exports = { main }
