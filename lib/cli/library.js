'use strict'
// Loads the library, and with it the native addon, only when a command runs:
// --help and usage errors work where the addon is missing. When the addon
// cannot be found, the operator is told which package is missing and how to
// put it back, instead of napi's generic message (whose first-named package,
// the WebAssembly fallback, is rarely the one that matters).

const { CliError } = require('./errors')
const pkg = require('../../package.json')

/** A platform package the loader tried to require and could not find. */
const MISSING_PACKAGE = new RegExp(`Cannot find module '(${pkg.name}-[\\w-]+)'`)
const WASM_FALLBACK = `${pkg.name}-wasm32-wasi`

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

/** The messages of an error and of its causes, outermost first. */
function messages(error) {
  const out = []
  for (let e = error, depth = 0; e && depth < 32; e = e.cause, depth++) out.push(String(e.message ?? e))
  return out
}

/**
 * The loader's error, if it is one about the addon not being found. napi's
 * loader records every attempt as a cause, the last attempt outermost; the
 * platform package is the last one tried before the WebAssembly fallback.
 */
function addonMissing(error) {
  const all = messages(error)
  const tried = all.map((m) => MISSING_PACKAGE.exec(m)?.[1]).filter((name) => name !== undefined)
  const missing = tried.find((name) => name !== WASM_FALLBACK)
  const where = `${process.platform} ${process.arch}`
  if (missing !== undefined) {
    return new CliError(
      'ERR_NATIVE_ADDON',
      `The native addon for ${where} is not installed: the package ${missing} is missing (npm leaves optional dependencies out with --omit=optional, or when package-lock.json was written on another platform). Reinstall it: npm install ${missing}@${pkg.version} (add -g for a global install), or remove node_modules and package-lock.json and run npm install.`,
    )
  }
  if (!all[0].startsWith('Cannot find native binding')) return undefined
  return new CliError(
    'ERR_NATIVE_ADDON',
    `The native addon could not be loaded on ${where}: ${all.slice(1).map((m) => m.split('\n')[0]).join('; ')}. Reinstall ${pkg.name} (remove node_modules and package-lock.json, then npm install).`,
  )
}

module.exports = { library }
