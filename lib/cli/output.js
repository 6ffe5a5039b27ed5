'use strict'
// Where things are written: the result on stdout (a readable report, or with
// --json exactly one JSON document), notes and errors on stderr. Every error
// that ends a command is printed by printError, and by nothing else.

function makeOutput(globals) {
  return {
    json: Boolean(globals.json),
    /** Human text for stdout; nothing in --json mode. */
    text(line = '') {
      if (!globals.json) process.stdout.write(`${line}\n`)
    },
    document(value) {
      process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
    },
  }
}

/**
 * The fields of a library error that a script or Genesys support can act on.
 * An allow-list: nothing else of an error (its `cause`, a field added later)
 * reaches the output unseen.
 */
const ERROR_FIELDS = ['status', 'genesysCode', 'correlationId', 'missingPermissions', 'missingScopes', 'retryAfterMs']

/** `{ code, message }` plus the fields above the error has. */
function errorDocument(error) {
  const doc = { code: error.code, message: error.message }
  for (const key of ERROR_FIELDS) if (error[key] !== undefined && error[key] !== null) doc[key] = error[key]
  return doc
}

/** `403 missing.any.permissions`, or '' for an error that is not from an HTTP answer. */
function statusText(error) {
  if (error.status === undefined || error.status === null) return ''
  return error.genesysCode ? `${error.status} ${error.genesysCode}` : String(error.status)
}

/**
 * `error [CODE]: message` on stderr (a usage error points at --help, an error
 * from an HTTP answer adds its status and correlation id), and with --json the
 * same as `{ "error": { ... } }` on stdout.
 */
function printError(error, json) {
  const doc = errorDocument(error)
  // What to quote to Genesys support.
  const detail = [statusText(doc), doc.correlationId ? `correlation id ${doc.correlationId}` : ''].filter(Boolean)
  let text = `error [${doc.code}]: ${doc.message}\n`
  if (detail.length > 0) text += `  (${detail.join(', ')})\n`
  if (doc.code === 'ERR_USAGE') text += '  (see genesys-cleanup --help)\n'
  process.stderr.write(text)
  if (json) process.stdout.write(`${JSON.stringify({ error: doc }, null, 2)}\n`)
}

module.exports = { makeOutput, printError, statusText }
