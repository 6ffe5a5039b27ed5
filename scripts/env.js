'use strict'
// Reading a script's numeric settings from the environment.

/** `process.env[name]` as a whole number above 0, `fallback` when unset; exits 2 on anything else. */
function positiveInt(name, fallback) {
  const v = process.env[name]
  if (v === undefined || v === '') return fallback
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    console.error(`${name} must be a whole number above 0, got ${JSON.stringify(v)}`)
    process.exit(2)
  }
  return Number(v)
}

module.exports = { positiveInt }
