#!/usr/bin/env node
'use strict'
// The conformance suite: does this Platform API behave as genesys-cleanup
// relies on? By default against the bundled emulator (started here); with
// --live against a real org (or anything given by --base-url), read-only
// unless --allow-writes --conversation <id>. Prints pass / differs / could
// not check per behaviour; --record writes a redacted trace that
// `genesys-emulator --replay trace.json` serves back.
//
//   npm run conformance
//   npm run conformance -- --live --region eu_west_1            (GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET)
//   npm run conformance -- --live --allow-writes --conversation <id> --record trace.json
//   npm run conformance -- --live --deployment <id>                  (Messenger deployment reads)
//   GENESYS_GUEST_TOKEN=... npm run conformance -- --live --guest-deployment <id>

const fs = require('node:fs')
const path = require('node:path')
const { parseArgs } = require('node:util')
const { CHECKS } = require('./checks')
const { Http, redactTrace } = require('./http')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const USAGE = `usage: conformance [--live] [--region NAME | --base-url URL] [--allow-writes --conversation ID] [--deployment ID] [--guest-deployment ID] [--record FILE] [--json]
  (default)        against the bundled emulator, started here, writes included
  --live           against a real org: credentials from GENESYS_CLIENT_ID + GENESYS_CLIENT_SECRET
                   (or GENESYS_ACCESS_TOKEN); optional GENESYS_USER_TOKEN_WITHOUT_SCOPE
  --region NAME    us_east_1 (default), eu_west_1, ... or a domain
  --base-url URL   API base instead of a region (https, or http to loopback)
  --allow-writes   with --conversation: end that one conversation (and PATCH it once more)
  --deployment ID  also read this Messenger deployment: its configuration version, its
                   active configuration and its public config.json (read-only)
  --guest-deployment ID
                   also check the Guest API with GENESYS_GUEST_TOKEN, a guest session token
                   you own: configureSession and echo, then the socket is closed (a token
                   the server did not know gets its new session closed again); never
                   without this option. The token is in no output or trace
  --record FILE    write a redacted trace (no tokens or secrets, ids hashed)
  --json           print the report as JSON`

function fail(message) {
  process.stderr.write(`conformance: ${message}\n${USAGE}\n`)
  process.exit(2)
}

function options(argv) {
  try {
    return parseArgs({
      args: argv,
      options: {
        live: { type: 'boolean', default: false },
        region: { type: 'string' },
        'base-url': { type: 'string' },
        'allow-writes': { type: 'boolean', default: false },
        conversation: { type: 'string' },
        deployment: { type: 'string' },
        'guest-deployment': { type: 'string' },
        record: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values
  } catch (e) {
    return fail(e.message)
  }
}

/** API and login base URLs of a region or a base URL (the library's own rules). */
function endpoints(o) {
  if (o['base-url']) {
    let url
    try {
      url = new URL(o['base-url'])
    } catch {
      return fail('--base-url is not a URL')
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
    if (url.username || url.password) fail('--base-url must not carry credentials')
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) fail('--base-url must be https (plain http only to loopback)')
    const base = url.origin
    return { api: base, login: base, cdn: base, guest: base.replace(/^http/, 'ws') }
  }
  const { regions } = require('..')
  const want = (o.region || 'us_east_1').toLowerCase()
  const region = regions.find((r) => r.name === want || r.domain === want || r.apiHost === want)
  if (!region) fail(`unknown region ${o.region}`)
  return { api: `https://${region.apiHost}`, login: `https://${region.loginHost}`, cdn: `https://api-cdn.${region.domain}`, guest: `wss://webmessaging.${region.domain}` }
}

async function liveContext(o) {
  const env = process.env
  if (o['allow-writes'] && !o.conversation) fail('--allow-writes needs --conversation <id> (the one conversation it may end)')
  if (o.conversation && !UUID.test(o.conversation)) fail('--conversation must be a conversation id (a UUID)')
  if (o.deployment && !UUID.test(o.deployment)) fail('--deployment must be a Messenger deployment id (a UUID)')
  if (o['guest-deployment'] && !UUID.test(o['guest-deployment'])) fail('--guest-deployment must be a Messenger deployment id (a UUID)')
  if (o['guest-deployment'] && !env.GENESYS_GUEST_TOKEN) fail('--guest-deployment needs GENESYS_GUEST_TOKEN: a guest session token you own')
  const credentials = {
    clientId: env.GENESYS_CLIENT_ID,
    clientSecret: env.GENESYS_CLIENT_SECRET,
    accessToken: env.GENESYS_ACCESS_TOKEN,
    userTokenWithoutScope: env.GENESYS_USER_TOKEN_WITHOUT_SCOPE,
  }
  if (!credentials.accessToken && !(credentials.clientId && credentials.clientSecret)) {
    fail('set GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET, or GENESYS_ACCESS_TOKEN')
  }
  // The guest check runs only when asked for by name: a deployment and a token the user owns.
  const guest = o['guest-deployment'] ? { deploymentId: o['guest-deployment'], token: env.GENESYS_GUEST_TOKEN } : undefined
  return { target: 'live', endpoints: endpoints(o), credentials, writes: o['allow-writes'], conversationId: o.conversation, deploymentId: o.deployment, guest }
}

async function emulatorContext() {
  const { startEmulator } = require('../testing')
  const emulator = await startEmulator()
  const { id } = await emulator.createConversation({ type: 'webmessaging' })
  // The seeded client's Inspector role may also read deployments, as a user would grant for --deployment.
  await emulator.admin('POST', 'roles', { id: 'a0000000-0000-4000-8000-000000000004', name: 'Inspector', permissions: ['oauth:client:view', 'authorization:role:view', 'webDeployments:deployment:view', 'webDeployments:configuration:view'] })
  // A queue with a live timer, a deployment with a session duration, and a guest session of our own.
  await emulator.admin('POST', 'queues', {
    name: 'Conformance timer',
    mediaSettings: { message: { enableInactivityTimeout: true, inactivityTimeoutSettings: { timeoutSeconds: 1800, actionType: 'DISCONNECT' }, subTypeSettings: { webmessaging: { enableInactivityTimeout: true } } } },
  })
  const deployment = await emulator.admin('POST', 'deployments', { name: 'conformance', configuration: { conversationClear: true, sessionDurationSeconds: 7200 } })
  const token = `conformance-guest-${require('node:crypto').randomUUID()}`
  await emulator.admin('POST', 'guest/sessions', { deploymentId: deployment.id, token })
  return {
    target: 'emulator',
    emulator,
    endpoints: { api: emulator.url, login: emulator.url, cdn: emulator.url, guest: emulator.url.replace(/^http/, 'ws') },
    deploymentId: deployment.id,
    guest: { deploymentId: deployment.id, token },
    credentials: { clientId: 'cleanup-client', clientSecret: 'cleanup-secret', userTokenWithoutScope: 'user-noscope-token' },
    writes: true,
    conversationId: id,
  }
}

async function runChecks(ctx, http) {
  const results = []
  for (const c of CHECKS) {
    http.current = c.id
    let outcome
    if (c.writes && !ctx.writes) {
      outcome = { result: 'could not check', observed: 'writes not allowed (--allow-writes --conversation <id>)' }
    } else {
      try {
        outcome = await c.run.call(c, http)
      } catch (e) {
        outcome = { result: 'could not check', observed: `request failed: ${e.message}` }
      }
    }
    results.push({ id: c.id, tag: c.tag, source: c.source, ...outcome })
  }
  return results
}

function print(report, json) {
  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n')
    return
  }
  const width = Math.max(...report.results.map((r) => r.id.length))
  for (const r of report.results) {
    const mark = r.result === 'pass' ? 'pass   ' : r.result === 'differs' ? 'DIFFERS' : 'n/a    '
    process.stdout.write(`${mark}  ${r.id.padEnd(width)}  ${r.tag.padEnd(11)}  ${r.observed}${r.result === 'differs' ? `  (expected: ${r.expected})` : ''}\n`)
  }
  const n = (k) => report.results.filter((r) => r.result === k).length
  process.stdout.write(`\n${n('pass')} pass, ${n('differs')} differ, ${n('could not check')} could not be checked (${report.target})\n`)
  const unconfirmed = report.results.filter((r) => r.tag === 'UNCONFIRMED' && r.result === 'differs')
  if (unconfirmed.length) {
    process.stdout.write('UNCONFIRMED behaviours that differ from the emulator are handled both ways by the library; please report what your org answered.\n')
  }
}

async function main() {
  const o = options(process.argv.slice(2))
  if (o.help) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  const ctx = o.live ? await liveContext(o) : await emulatorContext()
  const http = new Http(ctx)
  let report
  try {
    report = { target: ctx.target, results: await runChecks(ctx, http) }
  } finally {
    if (ctx.emulator) await ctx.emulator.stop()
  }
  print(report, o.json)
  if (o.record) {
    fs.writeFileSync(path.resolve(o.record), JSON.stringify(redactTrace(http.trace, report), null, 2) + '\n')
    process.stderr.write(`conformance: trace written to ${o.record} (no tokens, no secrets, ids hashed)\n`)
  }
  return report.results.some((r) => r.result === 'differs') ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`conformance: ${e && e.message}\n`)
    process.exit(2)
  },
)
