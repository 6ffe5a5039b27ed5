'use strict'
// The options object as the binding reads it. The core's serde types see
// only the keys that are set, so a null value means "absent", like
// undefined; anything but a plain object is refused with a typed error.

const { invalidArgument } = require('./errors.js')

/** A copy of `options` without its null and undefined values ({} for none). */
function optionsObject(options) {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument(`options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}.`)
  }
  const data = {}
  for (const key of Object.keys(options)) if (options[key] !== null && options[key] !== undefined) data[key] = options[key]
  return data
}

module.exports = { optionsObject }
