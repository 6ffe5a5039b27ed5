#!/usr/bin/env node
'use strict'
// genesys-cleanup: the operator's command line over the library.
//
//   genesys-cleanup check
//   genesys-cleanup close <id...>        (or ids on stdin, one per line)
//   genesys-cleanup sweep --idle 30m
//
// stdout carries the result (a readable report, or with --json exactly one
// JSON document); progress, notes and errors go to stderr. Credentials come
// from the environment only, and no token or secret is ever printed.

const readline = require('node:readline')
const { Command, Option, InvalidArgumentError } = require('commander')
const pkg = require('../package.json')

const EXIT_OK = 0
const EXIT_FAILED = 1
const EXIT_CONFIG = 2

/** Codes that mean "fix the command line, the environment or the credentials". */
const CONFIG_CODES = new Set([
  'ERR_USAGE',
  'ERR_MISSING_CREDENTIALS',
  'ERR_INVALID_ARGUMENT',
  'ERR_INSECURE_URL',
  'ERR_UNAUTHORIZED',
])
/** Access problems: a configuration error when the whole command fails on one. */
const ACCESS_CODES = new Set(['ERR_MISSING_PERMISSION', 'ERR_MISSING_SCOPE', 'ERR_FORBIDDEN'])

const FAILED_SHOWN = 20
const COUNT_KEYS = ['closed', 'alreadyClosed', 'notFound', 'skipped', 'wouldClose', 'duplicate', 'failed', 'aborted']

class CliError extends Error {
  constructor(code, message) {
    super(message)
    this.code = code
  }
}

// The native addon is loaded only when a command runs, so --help and usage
// errors work even where it is not built.
function lib() {
  return require('../index.js')
}

// ---------------------------------------------------------------- parsing

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `90s`, `30m`, `2h`, `1d`, or a sum such as `1h30m`. Nothing else. */
function parseDuration(text) {
  const s = String(text).trim()
  if (!/^(\d+[smhd])+$/.test(s)) {
    throw new InvalidArgumentError('Use a number with a unit: s, m, h or d (e.g. 90s, 30m, 2h, 1d, 1h30m).')
  }
  let ms = 0
  for (const [, n, unit] of s.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit]
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new InvalidArgumentError('The duration must be greater than zero.')
  return ms
}

function integerParser(min, max) {
  return (text) => {
    if (!/^\d+$/.test(String(text).trim())) throw new InvalidArgumentError(`Use a whole number from ${min} to ${max}.`)
    const n = Number(text)
    if (n < min || n > max) throw new InvalidArgumentError(`Use a whole number from ${min} to ${max}.`)
    return n
  }
}

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const totalS = Math.round(ms / 1000)
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`
  return `${Math.floor(totalS / 3600)}h${String(Math.floor((totalS % 3600) / 60)).padStart(2, '0')}m`
}

function describeDuration(ms) {
  for (const [unit, size] of [['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m]]) {
    if (ms % size === 0 && (unit !== 'd' || ms > UNIT_MS.d)) return `${ms / size}${unit}`
  }
  return `${ms / 1000}s`
}

// ---------------------------------------------------------------- environment

function nonEmpty(v) {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined
}

/** ConnectionOptions from the global flags and the environment. */
function connection(globals) {
  const token = nonEmpty(process.env.GENESYS_ACCESS_TOKEN)
  const clientId = nonEmpty(process.env.GENESYS_CLIENT_ID)
  const clientSecret = nonEmpty(process.env.GENESYS_CLIENT_SECRET)
  if (token && (clientId || clientSecret)) {
    throw new CliError('ERR_INVALID_ARGUMENT', 'Both GENESYS_ACCESS_TOKEN and GENESYS_CLIENT_ID/GENESYS_CLIENT_SECRET are set: unset one of them.')
  }
  if (!token && !(clientId && clientSecret)) {
    const half = clientId ? ' (GENESYS_CLIENT_ID is set, GENESYS_CLIENT_SECRET is not)' : clientSecret ? ' (GENESYS_CLIENT_SECRET is set, GENESYS_CLIENT_ID is not)' : ''
    throw new CliError(
      'ERR_MISSING_CREDENTIALS',
      `No credentials${half}. Set GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET (an OAuth client with the Client Credentials grant), or GENESYS_ACCESS_TOKEN. Credentials are read from the environment only.`,
    )
  }
  const opts = token ? { accessToken: token } : { clientId, clientSecret }
  if (globals.region) opts.region = globals.region
  if (globals.baseUrl) opts.baseUrl = globals.baseUrl
  return opts
}

// ---------------------------------------------------------------- output

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
    note(line) {
      process.stderr.write(`${line}\n`)
    },
  }
}

/** A bar on a TTY, a line every few seconds otherwise, all on stderr. */
function makeProgress(enabled, dryRun) {
  const done = { start() {}, update() {}, stop() {}, note(line) { process.stderr.write(`${line}\n`) } }
  if (!enabled) return { ...done, note() {} }
  const mainCount = dryRun ? 'wouldClose' : 'closed'
  const mainLabel = dryRun ? 'would close' : 'closed'
  if (process.stderr.isTTY) {
    const cliProgress = require('cli-progress')
    let bar = null
    return {
      update(p) {
        if (p.total === 0) return
        const payload = { main: p[mainCount], failed: p.failed, other: p.alreadyClosed + p.notFound + p.skipped + p.duplicate }
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: ` {bar} {percentage}% | {value}/{total} | ${mainLabel} {main} | nothing to do {other} | failed {failed} | ETA {eta_formatted}`,
              hideCursor: true,
              etaBuffer: 200,
              fps: 10,
            },
            cliProgress.Presets.shades_classic,
          )
          bar.start(p.total, p.done, payload)
        } else {
          bar.update(p.done, payload)
        }
      },
      stop() {
        if (bar) bar.stop()
        bar = null
      },
      note(line) {
        this.stop()
        process.stderr.write(`${line}\n`)
      },
    }
  }
  let last = 0
  let lastDone = -1
  return {
    update(p) {
      const now = Date.now()
      const final = p.done === p.total
      if (p.total === 0 || p.done === lastDone || (!final && now - last < 2000)) return
      last = now
      lastDone = p.done
      const pct = Math.floor((100 * p.done) / p.total)
      process.stderr.write(`progress: ${p.done}/${p.total} (${pct}%) ${mainLabel} ${p[mainCount]}, failed ${p.failed}${p.aborted ? `, aborted ${p.aborted}` : ''}\n`)
    },
    stop() {},
    note(line) {
      process.stderr.write(`${line}\n`)
    },
  }
}

function pad(s, n) {
  return String(s).padEnd(n)
}

function printCounts(out, report, elapsedMs, requests) {
  for (const key of COUNT_KEYS) out.text(`  ${pad(key, 14)}${String(report[key]).padStart(7)}`)
  out.text(`  ${pad('total', 14)}${String(report.total).padStart(7)}`)
  out.text(`requests ${requests}, retries ${report.retries}, 429s ${report.rateLimited}, elapsed ${formatDuration(elapsedMs)}`)
  const failures = report.results.filter((r) => r.outcome === 'failed')
  if (failures.length === 0) return
  out.text('')
  out.text(`Failed (${failures.length}${failures.length > FAILED_SHOWN ? `, first ${FAILED_SHOWN} shown; --json lists all` : ''}):`)
  for (const f of failures.slice(0, FAILED_SHOWN)) {
    const status = f.error.status ? ` (${f.error.status}${f.error.genesysCode ? ` ${f.error.genesysCode}` : ''})` : ''
    out.text(`  ${pad(f.conversationId, 38)}${f.error.code}${status}`)
  }
  // Failures usually share a cause: each distinct code's message once, in full.
  const byCode = new Map()
  for (const f of failures) if (!byCode.has(f.error.code)) byCode.set(f.error.code, f.error.message)
  out.text('')
  for (const [code, message] of byCode) out.text(`${code}: ${message}`)
  if (failures.some((f) => ACCESS_CODES.has(f.error.code))) {
    out.text('')
    out.text('Run `genesys-cleanup check` with the same credentials to see exactly which role or scope is missing.')
  }
}

/** The conversations a guarded run left open because they were still active. */
function printSpared(out, report) {
  const spared = report.results.filter((r) => r.skipReason === 'active')
  if (spared.length === 0) return
  out.text('')
  out.text(`Spared as still active (${spared.length}${spared.length > FAILED_SHOWN ? `, first ${FAILED_SHOWN} shown; --json lists all` : ''}):`)
  for (const r of spared.slice(0, FAILED_SHOWN)) out.text(`  ${pad(r.conversationId, 38)}last activity ${r.lastActivityAt ?? 'unknown'}`)
}

// ---------------------------------------------------------------- runs

/**
 * Ties SIGINT/SIGTERM to an AbortController for the duration of a run: the
 * first signal aborts (the run still reports), a second one quits at once.
 */
function interruptible(progress) {
  const controller = new AbortController()
  let signals = 0
  const onSignal = (name) => {
    signals += 1
    if (signals > 1) {
      progress.stop()
      process.stderr.write(`${name} again: quitting without a report.\n`)
      process.exit(130)
    }
    progress.note(`${name}: stopping; requests in flight finish, the rest is reported as aborted (${name} again quits at once).`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    get interrupted() {
      return signals > 0
    },
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

function makeClient(conn) {
  const { CleanupClient } = lib()
  return new CleanupClient(conn)
}

function bulkExitCode(report, interrupted) {
  const failures = report.results.filter((r) => r.outcome === 'failed')
  if (failures.some((f) => CONFIG_CODES.has(f.error.code))) return EXIT_CONFIG
  return report.failed > 0 || report.aborted > 0 || interrupted ? EXIT_FAILED : EXIT_OK
}

async function runBulk(globals, kind, work) {
  const out = makeOutput(globals)
  const conn = connection(globals)
  const progress = makeProgress(globals.progress, work.dryRun)
  const run = interruptible(progress)
  // A bulk run stops trying after the credentials are rejected (the library
  // reports the rest as failed without a request), so no special case here.
  const client = makeClient(conn)
  const started = performance.now()
  try {
    const report = await work.start(client, {
      signal: run.signal,
      onProgress: (p) => progress.update(p),
      progressIntervalMs: 100,
    })
    progress.stop()
    const elapsedMs = performance.now() - started
    work.print(out, report, elapsedMs)
    if (out.json) out.document(report)
    return bulkExitCode(kind === 'sweep' ? report.close : report, run.interrupted)
  } finally {
    progress.stop()
    run.dispose()
  }
}

async function readStdinIds() {
  if (process.stdin.isTTY) process.stderr.write('Reading conversation ids from stdin, one per line (end with Ctrl-D).\n')
  const ids = []
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of lines) {
    const t = line.trim()
    if (t !== '' && !t.startsWith('#')) ids.push(t)
  }
  return ids
}

async function commandCheck(globals) {
  const out = makeOutput(globals)
  const conn = connection(globals)
  const run = interruptible(makeProgress(false, false))
  try {
    // Through a client rather than the one-off checkScopes(): only a client honours DEBUG.
    const { CleanupClient } = lib()
    const report = await new CleanupClient(conn).checkScopes({ signal: run.signal })
    if (out.json) out.document(report)
    else printScopeReport(out, report)
    return report.canClose ? EXIT_OK : EXIT_FAILED
  } finally {
    run.dispose()
  }
}

function printScopeReport(out, r) {
  out.text(r.canClose ? 'VERDICT: these credentials CAN end web messaging conversations.' : 'VERDICT: these credentials CANNOT end web messaging conversations.')
  out.text('')
  const grant = r.grantType === 'client_credentials' ? 'client credentials' : r.grantType === 'user' ? 'user token' : 'unknown'
  out.text(`Grant type:            ${grant}`)
  if (r.organization) out.text(`Organization:          ${r.organization.name ? `${r.organization.name} (${r.organization.id})` : r.organization.id}`)
  if (r.oauthClient) out.text(`OAuth client:          ${r.oauthClient.name && r.oauthClient.name !== r.oauthClient.id ? `${r.oauthClient.name} (${r.oauthClient.id})` : r.oauthClient.id}`)
  out.text('')
  if (r.scopesApply) {
    out.text(`Scopes of the token:   ${r.scopes.length ? r.scopes.join(', ') : '(none)'}`)
    out.text(`Scopes required:       ${r.requiredScopes.join(', ')}`)
    out.text(`Scopes missing:        ${r.missingScopes.length ? r.missingScopes.join(', ') : '(none)'}`)
  } else {
    out.text(`Scopes:                do not apply to client credentials (the client's roles decide)`)
  }
  out.text(`Permissions required:  any one of ${r.requiredPermissions.join(', ')}`)
  if (r.grantedPermissions) out.text(`Permissions granted:   ${r.grantedPermissions.length ? r.grantedPermissions.join(', ') : '(none)'}`)
  else out.text('Permissions granted:   (could not be read)')
  out.text(`Permissions missing:   ${r.missingPermissions.length ? r.missingPermissions.join(' or ') : '(none)'}`)
  out.text('')
  out.text('Checks:')
  const width = Math.max(...r.checks.map((c) => c.name.length), 4)
  for (const c of r.checks) {
    out.text(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${pad(c.name, width + 2)}${c.detail}`)
  }
  out.text('')
  out.text('Advice:')
  for (const a of r.advice) out.text(`  - ${a}`)
  out.text('')
  out.text(`(${r.requests} requests)`)
}

function closeBehaviour(opts) {
  const b = {}
  if (opts.concurrency !== undefined) b.concurrency = opts.concurrency
  if (opts.wrapupCode !== undefined) b.wrapupCode = opts.wrapupCode
  if (opts.verify) b.verify = true
  if (opts.fast) b.fast = true
  if (opts.unlessActiveFor !== undefined) b.idleForMs = opts.unlessActiveFor
  return b
}

async function commandClose(globals, ids, opts) {
  let input = ids
  if (input.length === 0 || input.includes('-')) {
    const fromStdin = await readStdinIds()
    input = input.length === 0 ? fromStdin : input.flatMap((id) => (id === '-' ? fromStdin : [id]))
  }
  const dryRun = Boolean(opts.dryRun)
  return runBulk(globals, 'close', {
    dryRun,
    // `dryRun` is honoured by closeConversations although index.d.ts declares it on SweepOptions only.
    start: (client, extra) => client.closeConversations(input, { ...closeBehaviour(opts), ...(dryRun ? { dryRun: true } : {}), ...extra }),
    print(out, report, elapsedMs) {
      out.text(dryRun ? `Dry run: ${report.wouldClose} of ${report.total} conversation(s) would be closed; nothing was written.` : `Closed ${report.closed} of ${report.total} conversation(s).`)
      printCounts(out, report, elapsedMs, report.requests)
      printSpared(out, report)
    },
  })
}

async function commandSweep(globals, opts) {
  const dryRun = Boolean(opts.dryRun)
  const what = `conversations idle for at least ${describeDuration(opts.idle)}`
  return runBulk(globals, 'sweep', {
    dryRun,
    start(client, extra) {
      if (globals.progress) process.stderr.write(`Looking for open web messaging ${what}...\n`)
      const find = { idleForMs: opts.idle }
      if (opts.lookback !== undefined) find.lookbackMs = opts.lookback
      if (opts.limit !== undefined) find.limit = opts.limit
      return client.sweep({ ...find, ...closeBehaviour(opts), dryRun, ...extra })
    },
    print(out, report, elapsedMs) {
      const window = describeDuration(opts.lookback ?? UNIT_MS.d)
      out.text(`${dryRun ? 'Sweep (dry run, nothing was written)' : 'Sweep'}: ${report.scanned} open conversation(s) started in the last ${window}; ${report.candidates} old enough to check; ${report.found.length} ${what}; ${report.sparedActive} spared as still active.`)
      printCounts(out, report.close, elapsedMs, report.requests)
      if (dryRun) printSpared(out, report.close)
    },
  })
}

// ---------------------------------------------------------------- program

const HELP_AFTER = `
Credentials (environment only: a token or secret given on the command line
would leak into shell history and \`ps\`):
  GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET  an OAuth client with the Client
                                            Credentials grant (token fetched,
                                            cached and refreshed)
  GENESYS_ACCESS_TOKEN                      or a bearer token (never refreshed)
  GENESYS_REGION, GENESYS_BASE_URL          defaults for --region, --base-url
  DEBUG=genesys-cleanup                     log every HTTP request to stderr

Output: the result goes to stdout (with --json, exactly one JSON document);
progress, notes and errors go to stderr as \`error [CODE]: message\`.
Ctrl-C stops a run cleanly and still prints the report (twice quits at once).

Exit status: 0 all fine; 1 some conversations failed or were aborted, or
\`check\` found the credentials cannot close; 2 usage, configuration or
authentication error.

Examples:
  genesys-cleanup check
  genesys-cleanup close 3fa85f64-5717-4562-b3fc-2c963f66afa6
  genesys-cleanup close --concurrency 16 < ids.txt
  genesys-cleanup sweep --idle 30m --dry-run
  genesys-cleanup --region eu_west_1 --json sweep --idle 2h > report.json
`

function buildProgram(setResult) {
  const program = new Command()
  program
    .name('genesys-cleanup')
    .description('End Genesys Cloud Web Messaging conversations, and explain every 403.')
    .version(pkg.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--region <region>', 'Genesys Cloud region: name (eu_west_1), domain (mypurecloud.ie) or API host; default us_east_1').env('GENESYS_REGION'))
    .addOption(new Option('--base-url <url>', 'API base URL instead of --region (an emulator or proxy; http only to loopback)').env('GENESYS_BASE_URL'))
    .option('--json', 'print one JSON document (the report) on stdout and nothing else')
    .option('--no-progress', 'no progress bar or progress lines on stderr')
    .addHelpText('after', HELP_AFTER)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`${str.trim().replace(/^error: /, 'error [ERR_USAGE]: ')}\n  (see genesys-cleanup --help)\n`),
    })

  program
    .command('check')
    .description('tell whether the credentials can end web messaging conversations, and if not exactly why')
    .action(async () => setResult(await commandCheck(program.opts())))

  program
    .command('close')
    .description('end the given conversations (ids as arguments, or on stdin one per line when none or "-" is given)')
    .argument('[ids...]', 'conversation ids (UUIDs); "-" reads more from stdin')
    .option('--concurrency <n>', 'conversations handled at once, 1 to 256 (default 8; pacing keeps under the rate limit anyway)', integerParser(1, 256))
    .option('--fast', 'skip the read: one request per conversation (only for ids known to be open web messaging conversations)')
    .option('--wrapup-code <id>', 'wrap-up code id (UUID) for agents that require wrap-up')
    .option('--verify', 're-read until every participant has ended')
    .option('--dry-run', 'read, but write nothing: open ones are reported as wouldClose')
    .option('--unless-active-for <duration>', 'leave open any conversation with a message or change within this time (e.g. 30m)', parseDuration)
    .action(async (ids, opts) => setResult(await commandClose(program.opts(), ids, opts)))

  program
    .command('sweep')
    .description('find open web messaging conversations idle for a while and end them')
    .requiredOption('--idle <duration>', 'minimum time since the last message or participant change, read from each conversation: 90s, 30m, 2h, 1d', parseDuration)
    .option('--lookback <duration>', 'look at conversations started within this window (default 24h)', parseDuration)
    .option('--limit <n>', 'stop after this many conversations (0 = all)', integerParser(0, 1_000_000_000))
    .option('--concurrency <n>', 'conversations handled at once, 1 to 256 (default 8)', integerParser(1, 256))
    .option('--wrapup-code <id>', 'wrap-up code id (UUID) for agents that require wrap-up')
    .option('--verify', 're-read until every participant has ended')
    .option('--dry-run', 'find and read, but write nothing; lists the conversations spared as still active')
    .action(async (opts) => setResult(await commandSweep(program.opts(), opts)))

  return program
}

function reportError(code, message, json) {
  process.stderr.write(`error [${code}]: ${message}\n`)
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`)
}

async function main(argv) {
  let result = EXIT_OK
  const program = buildProgram((code) => {
    result = code
  })
  const json = argv.includes('--json')
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true })
      return EXIT_CONFIG
    }
    await program.parseAsync(argv)
    return result
  } catch (e) {
    if (e && typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // Help and version exit 0; usage errors were printed by commander.
      if (e.exitCode === 0) return EXIT_OK
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'ERR_USAGE', message: e.message.replace(/^error: /, '') } }, null, 2)}\n`)
      return EXIT_CONFIG
    }
    if (e instanceof CliError) {
      reportError(e.code, e.message, json)
      return CONFIG_CODES.has(e.code) ? EXIT_CONFIG : EXIT_FAILED
    }
    if (e && e.name === 'CleanupError') {
      reportError(e.code, e.message, json)
      return CONFIG_CODES.has(e.code) || ACCESS_CODES.has(e.code) ? EXIT_CONFIG : EXIT_FAILED
    }
    reportError('ERR_INTERNAL', e && e.stack ? e.stack : String(e), json)
    return EXIT_FAILED
  }
}

module.exports = { parseDuration, main }

if (require.main === module) {
  // A closed pipe (`| head`) is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => {
      if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_FAILED)
      throw e
    })
  }
  main(process.argv).then((code) => {
    process.exitCode = code
  })
}
