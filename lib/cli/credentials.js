'use strict'
// The client a command talks through: where to connect from the global flags,
// credentials from the environment only. Which credentials are valid is the
// library's to decide, not this module's: it hands over what the environment
// holds, and when the library rejects it, says so in the environment's names
// (an operator sets GENESYS_CLIENT_ID, not `clientId`).

const { CliError } = require('./errors')
const { library } = require('./library')

/** Each credential option of the library and the variable it is read from. */
const FROM_ENV = {
  accessToken: 'GENESYS_ACCESS_TOKEN',
  clientId: 'GENESYS_CLIENT_ID',
  clientSecret: 'GENESYS_CLIENT_SECRET',
}

const HOW =
  'Set GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET (an OAuth client with the Client Credentials grant), or GENESYS_ACCESS_TOKEN. Credentials are read from the environment only.'

const isSet = (v) => typeof v === 'string' && v !== ''

/** The credential options as the environment gives them: unset variables left out, nothing else judged. */
function credentialsFromEnv(env) {
  const given = {}
  for (const [option, name] of Object.entries(FROM_ENV)) if (isSet(env[name])) given[option] = env[name]
  return given
}

/** The library's message with its option names replaced by the variables they come from. */
function inEnvironmentTerms(message) {
  return message.replace(/\b(accessToken|clientId|clientSecret)\b/g, (option) => FROM_ENV[option])
}

/**
 * If the library rejects the credentials on their own (every other option
 * left at its default), that rejection as ERR_MISSING_CREDENTIALS: no usable
 * credentials in the environment. Otherwise undefined (the first error was
 * about something else, and speaks for itself).
 */
function credentialsRejected(CleanupClient, credentials, env) {
  let reason
  try {
    new CleanupClient(credentials)
    return undefined
  } catch (e) {
    reason = e
  }
  if (reason?.code !== 'ERR_INVALID_ARGUMENT') return undefined
  if (Object.keys(credentials).length === 0) return new CliError('ERR_MISSING_CREDENTIALS', `No credentials. ${HOW}`)
  const facts = Object.values(FROM_ENV).map((name) => `${name} is ${isSet(env[name]) ? 'set' : 'not set'}`)
  return new CliError('ERR_MISSING_CREDENTIALS', `The credentials in the environment cannot be used (${facts.join(', ')}): ${inEnvironmentTerms(reason.message)}`)
}

/** A CleanupClient for the global flags and the environment; the library validates all of it. */
function connect(globals, env = process.env) {
  const { CleanupClient } = library()
  const credentials = credentialsFromEnv(env)
  const options = { ...credentials }
  if (globals.region) options.region = globals.region
  if (globals.baseUrl) options.baseUrl = globals.baseUrl
  try {
    return new CleanupClient(options)
  } catch (e) {
    throw (e?.code === 'ERR_INVALID_ARGUMENT' && credentialsRejected(CleanupClient, credentials, env)) || e
  }
}

module.exports = { connect }
