'use strict'
// `genesys-cleanup fleet --orgs orgs.json --lease redis://...`: one replica
// of a cleanup service for many orgs (genesys-cleanup/fleet). Runs until
// SIGINT or SIGTERM, then leaves the fleet (leases released) and prints the
// report. SIGHUP reads orgs.json again and adds or removes what changed.
// With --json every fleet event is a JSON line on stdout, the report last.
// `fleet status` prints who holds which org, and exits.

const { CliError, EXIT_OK } = require('../errors')
const { makeOutput } = require('../output')
const { redisLeaseFrom } = require('../lease')
const { readFleetConfig } = require('../fleet-config')

function jsonLine(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

/** A fleet event as JSON: errors as { code, message, status? } (an Error's own fields are not enumerable). */
function eventJson(e) {
  if (e.kind !== 'jobFailed') return e
  const error = { code: e.error.code, message: e.error.message }
  if (e.error.status !== undefined) error.status = e.error.status
  return { ...e, error }
}

function noteOf(e) {
  switch (e.kind) {
    case 'replicas':
      return `live replicas: ${e.live.join(', ')} (this one's quota ${e.quota}, at most ${e.cap} each)`
    case 'acquired':
      return `holding ${e.org}`
    case 'released':
      return `handed over ${e.org} (${e.reason})`
    case 'lost':
      return `lost ${e.org}: ${e.reason}`
    case 'jobFailed':
      return `${e.org} failed [${e.error.code}]: ${e.error.message}; retrying in ${Math.round(e.retryInMs / 1000)} s`
    case 'storeError':
      return `Redis: ${e.reason}`
    default:
      return null
  }
}

/** Where to connect is in orgs.json: --region/--base-url (or their variables) would be ignored. */
function checkNoEndpoint(globals) {
  for (const [key, flag, env] of [['region', '--region', 'GENESYS_REGION'], ['baseUrl', '--base-url', 'GENESYS_BASE_URL']]) {
    if (globals[key]) throw new CliError('ERR_USAGE', `${flag} (or ${env}) does not apply to fleet: each org in --orgs says where it is (region or baseUrl); drop ${flag} and unset ${env}.`)
  }
}

async function fleet(globals, action, opts) {
  if (action !== undefined && action !== 'status') throw new CliError('ERR_USAGE', `fleet takes no argument but "status" (got ${JSON.stringify(String(action).slice(0, 40))}).`)
  checkNoEndpoint(globals)
  if (!opts.orgs) throw new CliError('ERR_USAGE', 'fleet needs --orgs orgs.json (the orgs, their credentials and jobs).')
  if (!opts.lease) throw new CliError('ERR_USAGE', 'fleet needs --lease redis://host:port (or GENESYS_CLEANUP_LEASE): the fleet coordinates through Redis.')
  const out = makeOutput(globals)
  const config = readFleetConfig(opts.orgs)
  const fleetName = opts.fleet ?? config.fleet
  const { connection } = redisLeaseFrom(opts.lease, opts.leaseTtl ?? 30_000)
  await connection.connect().catch(() => undefined)
  const { CleanupFleet } = require('../../../fleet')
  try {
    if (action === 'status') return await printStatus(out, await CleanupFleet.status(connection, { fleet: fleetName, orgs: config.orgs.map((o) => o.id) }))
    return await run(globals, opts, out, config, fleetName, connection, CleanupFleet)
  } finally {
    connection.disconnect()
  }
}

async function run(globals, opts, out, config, fleetName, connection, CleanupFleet) {
  const progress = globals.progress && !out.json
  const note = (text) => progress && process.stderr.write(`${text}\n`)
  const fleetOptions = {
    redis: connection,
    orgs: config.orgs,
    onEvent(e) {
      if (e.kind === 'client') return
      if (out.json) jsonLine(eventJson(e))
      else if (e.kind !== 'watch' && e.kind !== 'sweep' && e.kind !== 'jobStarted') {
        const text = noteOf(e)
        if (text) note(text)
      }
    },
  }
  if (fleetName !== undefined) fleetOptions.fleet = fleetName
  if (opts.replicaId !== undefined) fleetOptions.replicaId = opts.replicaId
  if (opts.leaseTtl !== undefined) fleetOptions.ttlMs = opts.leaseTtl
  if (opts.concurrency !== undefined) fleetOptions.concurrency = opts.concurrency
  if (opts.dryRun) fleetOptions.dryRun = true
  const fleet = new CleanupFleet(fleetOptions)
  await fleet.start()
  note(`Replica ${fleet.replicaId} joined the fleet with ${config.orgs.length} org(s)${opts.dryRun ? ' (dry run: nothing is written)' : ''}. Ctrl-C leaves it.`)
  let entries = config.entries
  const stopped = new Promise((resolve) => {
    const onStop = (name) => {
      note(`${name}: leaving the fleet (jobs stop, leases are released).`)
      resolve()
    }
    process.once('SIGINT', onStop)
    process.once('SIGTERM', onStop)
  })
  const onHup = () => {
    reload(fleet, opts.orgs, entries, note).then((next) => {
      if (next) entries = next
    })
  }
  process.on('SIGHUP', onHup)
  try {
    await stopped
  } finally {
    process.off('SIGHUP', onHup)
  }
  const report = await fleet.stop()
  if (out.json) jsonLine({ kind: 'report', report })
  else printReport(out, report)
  return EXIT_OK
}

/** SIGHUP: orgs.json again; what changed is removed and added (the new entries, or null when the file is refused). */
async function reload(fleet, file, entries, note) {
  let next
  try {
    next = readFleetConfig(file)
  } catch (e) {
    note(`SIGHUP: ${file} not reloaded: ${e.message}`)
    return null
  }
  const before = new Map(entries.map((entry, i) => [JSON.parse(entry)[1].id, entry]))
  const after = new Map(next.entries.map((entry, i) => [next.orgs[i].id, { entry, org: next.orgs[i] }]))
  try {
    for (const [id, entry] of before) if (!after.has(id) || after.get(id).entry !== entry) await fleet.removeOrg(id)
    for (const [id, { entry, org }] of after) if (before.get(id) !== entry) fleet.addOrg(org)
  } catch (e) {
    note(`SIGHUP: ${file} partly reloaded: ${e.message}`)
  }
  note(`SIGHUP: ${file} reloaded (${next.orgs.length} org(s)).`)
  return next.entries
}

function printReport(out, report) {
  out.text(`Replica ${report.replicaId} left the fleet.`)
  out.text(`  ${'org'.padEnd(24)}${'job'.padEnd(7)}${'terms'.padStart(6)}${'lost'.padStart(6)}${'closed'.padStart(8)}${'failed'.padStart(8)}  last error`)
  for (const o of report.orgs) {
    const err = o.lastError ? `[${o.lastError.code}] ${o.lastError.message}` : ''
    out.text(`  ${o.id.padEnd(24)}${o.job.padEnd(7)}${String(o.terms).padStart(6)}${String(o.lost).padStart(6)}${String(o.totals.closed).padStart(8)}${String(o.totals.failed).padStart(8)}  ${err}`)
  }
}

function printStatus(out, s) {
  if (out.json) {
    out.document(s)
    return EXIT_OK
  }
  out.text(`Fleet ${s.fleet}: ${s.replicas.length} live replica(s), ${s.share.orgs} org(s); ${s.share.fair ? 'fair' : 'not fair yet'} (each ${s.share.floor} to ${s.share.cap}).`)
  for (const r of s.replicas) out.text(`  replica ${r.id}: ${r.holds} org(s)`)
  for (const o of s.orgs) {
    out.text(`  ${o.id.padEnd(24)}${o.holder ? `${o.holder} since ${new Date(o.since).toISOString()}` : 'not held'}`)
  }
  return EXIT_OK
}

module.exports = { fleet }
