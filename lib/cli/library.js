'use strict'
// Loads the library, and with it the native addon, only when a command runs:
// --help and usage errors work where the addon is missing. When the addon
// cannot be found, the operator is told which package is missing and how to
// put it back: the library's own ERR_NATIVE_ADDON diagnosis (lib/native-error.js),
// as a CLI error.

const { CliError } = require('./errors')
const { diagnoseLoadError } = require('../native-error')

let loaded = null

function library() {
  if (loaded === null) {
    try {
      loaded = require('../../index.js')
    } catch (e) {
      throw addonMissing(e) ?? e
    }
  }
  return loaded
}

/** The loader's error as a CLI error, if it is one about the addon not loading. */
function addonMissing(error) {
  if (error?.code === 'ERR_NATIVE_ADDON') return new CliError('ERR_NATIVE_ADDON', error.message)
  const diagnosis = diagnoseLoadError(error)
  return diagnosis === undefined ? undefined : new CliError('ERR_NATIVE_ADDON', diagnosis.message)
}

module.exports = { library }
