'use strict'
// The native addon, loaded through napi-rs's generated loader (binding.js).
// When it cannot be loaded, `require('genesys-cleanup')` throws an Error with
// `code: 'ERR_NATIVE_ADDON'` that names the package to install (see
// native-error.js) rather than napi's generic "Cannot find native binding".

const { loadError } = require('./native-error')

let binding
try {
  binding = require('../binding.js')
} catch (e) {
  throw loadError(e)
}
module.exports = binding
