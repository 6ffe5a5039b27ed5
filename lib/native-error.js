'use strict'
// Why the native addon did not load, in words a user can act on: which
// platform package is missing and how to put it back, instead of napi's
// generic "Cannot find native binding" (whose first-named package, the
// WebAssembly fallback, is rarely the one that matters). The library
// (lib/native.js) throws it as an ERR_NATIVE_ADDON Error; the CLI
// (lib/cli/library.js) as its own error.

const pkg = require('../package.json')

/** A platform package the loader tried to require and could not find. */
const MISSING_PACKAGE = new RegExp(`Cannot find module '(${pkg.name}-[\\w-]+)'`)
const WASM_FALLBACK = `${pkg.name}-wasm32-wasi`

/** The messages of an error and of its causes, outermost first. */
function messages(error) {
  const out = []
  for (let e = error, depth = 0; e && depth < 32; e = e.cause, depth++) out.push(String(e.message ?? e))
  return out
}

/**
 * What to tell the user when the loader's error is about the addon not being
 * found or not loading, or undefined for any other error. napi's loader
 * records every attempt as a cause, the last attempt outermost; the platform
 * package is the last one tried before the WebAssembly fallback.
 *
 * @returns {{ message: string, missingPackage?: string } | undefined}
 */
function diagnoseLoadError(error) {
  const all = messages(error)
  const tried = all.map((m) => MISSING_PACKAGE.exec(m)?.[1]).filter((name) => name !== undefined)
  const missing = tried.find((name) => name !== WASM_FALLBACK)
  const where = `${process.platform} ${process.arch}`
  if (missing !== undefined) {
    return {
      missingPackage: missing,
      message: `The native addon for ${where} is not installed: the package ${missing} is missing (npm leaves optional dependencies out with --omit=optional, or when package-lock.json was written on another platform). Reinstall it: npm install ${missing}@${pkg.version} (add -g for a global install), or remove node_modules and package-lock.json and run npm install.`,
    }
  }
  if (!all[0].startsWith('Cannot find native binding')) return undefined
  return {
    message: `The native addon could not be loaded on ${where}: ${all
      .slice(1)
      .map((m) => m.split('\n')[0])
      .join('; ')}. Reinstall ${pkg.name} (remove node_modules and package-lock.json, then npm install).`,
  }
}

/**
 * The loader's error as the library throws it: an Error with
 * `code: 'ERR_NATIVE_ADDON'`, `packageName` when a platform package is
 * missing, and the loader's error as `cause`; any other error unchanged.
 */
function loadError(error) {
  const diagnosis = diagnoseLoadError(error)
  if (diagnosis === undefined) return error
  const e = new Error(diagnosis.message, { cause: error })
  e.code = 'ERR_NATIVE_ADDON'
  if (diagnosis.missingPackage !== undefined) e.packageName = diagnosis.missingPackage
  return e
}

module.exports = { diagnoseLoadError, loadError }
