'use strict'
// `--orgs orgs.json` of `genesys-cleanup fleet`: the fleet's orgs as the
// library takes them (genesys-cleanup/fleet), with secrets never in the file.
//
//   { "fleet": "partner-eu", "defaults": { "region": "eu_west_1" },
//     "orgs": [ { "id": "acme",
//                 "credentials": { "clientId": "3f2...", "clientSecretEnv": "ACME_SECRET" },
//                 "job": { "watch": { "idleMs": "30m" } } } ] }
//
// Credentials name where the secret is: `clientSecretEnv` or
// `clientSecretFile`, `accessTokenEnv` or `accessTokenFile`; `clientId` is
// not a secret (literal, or `clientIdEnv` / `clientIdFile`). A literal
// `clientSecret` or `accessToken` is a usage error. Variables and files are
// read at each term start (rotation without a restart); an unset variable or
// an unreadable file fails that org's job (backoff), not the fleet. Errors
// name the org and the field, never a value.

const fs = require('node:fs')
const { CliError } = require('./errors')
const { parseDuration } = require('./args')

const TOP = ['fleet', 'defaults', 'orgs']
const CREDENTIAL_KEYS = ['clientId', 'clientIdEnv', 'clientIdFile', 'clientSecretEnv', 'clientSecretFile', 'accessTokenEnv', 'accessTokenFile']
const MAX_SECRET_BYTES = 16 * 1024

const usage = (message) => new CliError('ERR_USAGE', message)
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/** `30m` or a number of ms, for every job option whose name ends in Ms. */
function durations(where, options) {
  const out = {}
  for (const [k, v] of Object.entries(options)) {
    if (k.endsWith('Ms') && typeof v === 'string') {
      try {
        out[k] = parseDuration(v)
      } catch (e) {
        throw usage(`${where}.${k}: ${e.message}`)
      }
    } else out[k] = v
  }
  return out
}

/** One credential value from a variable or a file, read now. */
function readSecret(where, field, source) {
  if (source.env !== undefined) {
    const v = process.env[source.env]
    if (typeof v !== 'string' || v === '') throw new Error(`${where}: ${field} comes from the environment variable ${source.env}, which is not set`)
    return v
  }
  let text
  try {
    const stat = fs.statSync(source.file)
    if (stat.size > MAX_SECRET_BYTES) throw new Error(`larger than ${MAX_SECRET_BYTES} bytes`)
    text = fs.readFileSync(source.file, 'utf8')
  } catch (e) {
    throw new Error(`${where}: ${field} comes from the file ${source.file}, which cannot be read (${e.code || e.message})`)
  }
  const v = text.replace(/\r?\n$/, '')
  if (v === '') throw new Error(`${where}: ${field} comes from the file ${source.file}, which is empty`)
  return v
}

/** Where each credential comes from, checked now; a function that reads them at each call. */
function credentialsOf(where, c) {
  if (!isObject(c)) throw usage(`${where}.credentials must be an object such as { "clientId": "...", "clientSecretEnv": "VAR" } or { "accessTokenFile": "/run/secrets/token" }.`)
  for (const literal of ['clientSecret', 'accessToken']) {
    if (literal in c) throw usage(`${where}.credentials.${literal} is a secret written into the file: move it to an environment variable or a file (${literal}Env or ${literal}File).`)
  }
  const unknown = Object.keys(c).filter((k) => !CREDENTIAL_KEYS.includes(k))
  if (unknown.length > 0) throw usage(`${where}.credentials does not know ${unknown.join(', ')}; it takes ${CREDENTIAL_KEYS.join(', ')}.`)
  const source = (name, literalAllowed) => {
    const given = [literalAllowed && name in c ? 'literal' : null, `${name}Env` in c ? 'env' : null, `${name}File` in c ? 'file' : null].filter(Boolean)
    if (given.length > 1) throw usage(`${where}.credentials gives ${name} more than one way: keep one of ${name}${literalAllowed ? `, ${name}Env` : 'Env'}, ${name}File.`)
    if (given.length === 0) return null
    const value = given[0] === 'literal' ? c[name] : given[0] === 'env' ? c[`${name}Env`] : c[`${name}File`]
    if (typeof value !== 'string' || value === '') throw usage(`${where}.credentials.${name}${given[0] === 'literal' ? '' : given[0] === 'env' ? 'Env' : 'File'} must be a non-empty string.`)
    return given[0] === 'literal' ? { literal: value } : given[0] === 'env' ? { env: value } : { file: value }
  }
  const id = source('clientId', true)
  const secret = source('clientSecret', false)
  const token = source('accessToken', false)
  if (token && (id || secret)) throw usage(`${where}.credentials gives both an access token and a client: keep one.`)
  if (!token && !(id && secret)) throw usage(`${where}.credentials needs clientId (or clientIdEnv/clientIdFile) with clientSecretEnv or clientSecretFile, or accessTokenEnv or accessTokenFile.`)
  if (token) return () => ({ accessToken: readSecret(where, 'accessToken', token) })
  return () => ({ clientId: id.literal ?? readSecret(where, 'clientId', id), clientSecret: readSecret(where, 'clientSecret', secret) })
}

/**
 * The parsed orgs file: `{ fleet?, orgs }`, the orgs in the library's shape
 * (validated again there, with ERR_INVALID_ARGUMENT naming the org).
 */
function parseFleetConfig(text, file) {
  let doc
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw usage(`--orgs ${file} is not valid JSON (${e.message}).`)
  }
  if (!isObject(doc)) throw usage(`--orgs ${file} must hold an object { "orgs": [...] } (with "fleet" and "defaults" optional).`)
  const unknown = Object.keys(doc).filter((k) => !TOP.includes(k))
  if (unknown.length > 0) throw usage(`--orgs ${file} does not know ${unknown.join(', ')}; it takes ${TOP.join(', ')}.`)
  if (doc.defaults !== undefined && !isObject(doc.defaults)) throw usage(`--orgs ${file}: "defaults" must be an object of org settings (region, timeoutMs, ...).`)
  for (const k of ['id', 'credentials']) if (doc.defaults && k in doc.defaults) throw usage(`--orgs ${file}: "defaults" cannot hold ${k}: each org has its own.`)
  if (!Array.isArray(doc.orgs) || doc.orgs.length === 0) throw usage(`--orgs ${file} must list at least one org in "orgs".`)
  const orgs = doc.orgs.map((raw, i) => {
    const where = `orgs[${i}]${isObject(raw) && typeof raw.id === 'string' ? ` (${JSON.stringify(raw.id.slice(0, 64))})` : ''}`
    if (!isObject(raw)) throw usage(`${where} must be an object { "id", "credentials", "job", ... }.`)
    const org = { ...(doc.defaults ?? {}), ...raw }
    if ('region' in raw && 'baseUrl' in (doc.defaults ?? {})) delete org.baseUrl
    if ('baseUrl' in raw && 'region' in (doc.defaults ?? {})) delete org.region
    org.credentials = credentialsOf(where, raw.credentials)
    if (isObject(raw.job)) org.job = Object.fromEntries(Object.entries(raw.job).map(([k, v]) => [k, isObject(v) ? durations(`${where}.job.${k}`, v) : v]))
    for (const k of Object.keys(org)) if (k.endsWith('Ms') && typeof org[k] === 'string') org[k] = durations(where, { [k]: org[k] })[k]
    return org
  })
  // What each org was configured as (for a reload: a changed entry is removed and added again).
  const entries = doc.orgs.map((raw) => JSON.stringify([doc.defaults ?? null, raw]))
  return { fleet: doc.fleet, orgs, entries }
}

/** Reads and parses `file`. */
function readFleetConfig(file) {
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw usage(`--orgs ${file} cannot be read (${e.code || e.message}).`)
  }
  return parseFleetConfig(text, file)
}

module.exports = { readFleetConfig, parseFleetConfig }
