'use strict'
// The command line: the commander program, its help, and the parsers of
// durations and whole numbers. What each command does is in commands/.

const { Command, Option, InvalidArgumentError } = require('commander')
const { CliError } = require('./errors')
const pkg = require('../../package.json')

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

/** The shortest way to write a duration in the units parseDuration takes. */
function describeDuration(ms) {
  for (const [unit, size] of [['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m]]) {
    if (ms % size === 0 && (unit !== 'd' || ms > UNIT_MS.d)) return `${ms / size}${unit}`
  }
  return `${ms / 1000}s`
}

function integerParser(min, max) {
  return (text) => {
    if (!/^\d+$/.test(String(text).trim())) throw new InvalidArgumentError(`Use a whole number from ${min} to ${max}.`)
    const n = Number(text)
    if (n < min || n > max) throw new InvalidArgumentError(`Use a whole number from ${min} to ${max}.`)
    return n
  }
}

/** The options that say where to connect, as the operator may have given them. */
const WHERE = [
  { key: 'region', flag: '--region', env: 'GENESYS_REGION' },
  { key: 'baseUrl', flag: '--base-url', env: 'GENESYS_BASE_URL' },
]

/**
 * A region and a base URL both say where to connect, and the base URL would
 * win: the region would be ignored without a word. For a command that ends
 * customer conversations, which organization it talks to is never a guess,
 * so giving both (on the command line or in the environment, in any mix) is
 * a usage error. Empty values count as not given.
 */
function checkOneEndpoint(program) {
  const given = WHERE.filter((w) => String(program.getOptionValue(w.key) ?? '') !== '')
  if (given.length < 2) return
  const named = given.map((w) => (program.getOptionValueSource(w.key) === 'env' ? { name: w.env, fix: `unset ${w.env}` } : { name: w.flag, fix: `drop ${w.flag}` }))
  throw new CliError(
    'ERR_USAGE',
    `${named[0].name} and ${named[1].name} both say where to connect (the base URL would silently override the region): give one of them (${named[0].fix}, or ${named[1].fix}).`,
  )
}

const HELP_AFTER = `
Credentials (environment only: a token or secret given on the command line
would leak into shell history and \`ps\`):
  GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET  an OAuth client with the Client
                                            Credentials grant (token fetched,
                                            cached and refreshed)
  GENESYS_ACCESS_TOKEN                      or a bearer token (never refreshed)
  GENESYS_REGION, GENESYS_BASE_URL          defaults for --region, --base-url
                                            (give a region or a base URL,
                                            never both)
  DEBUG=genesys-cleanup                     log every HTTP request to stderr

Output: the result goes to stdout (with --json, exactly one JSON document);
progress, notes and errors go to stderr as \`error [CODE]: message\`.
Ctrl-C stops a run cleanly and still prints the report (twice quits at once).

Exit status: 0 all fine; 1 some conversations failed or were aborted, or
\`check\` found the credentials cannot close, or \`queues --apply\` could
not verify its change; 2 usage, configuration,
installation or authentication error.

Examples:
  genesys-cleanup check
  genesys-cleanup close 3fa85f64-5717-4562-b3fc-2c963f66afa6
  genesys-cleanup close --concurrency 16 < ids.txt
  genesys-cleanup sweep --idle 30m --dry-run
  genesys-cleanup --region eu_west_1 --json sweep --idle 2h > report.json
  genesys-cleanup watch --idle 30m --queue Support --queue Sales
  genesys-cleanup fleet --orgs orgs.json --lease redis://redis:6379
  genesys-cleanup queues --deployment 5f1c2d3e-0000-4000-8000-000000000000
  genesys-cleanup queues --set-inactivity 30m --queue Billing --apply
`

/**
 * The program. `commands` holds one function per command, each called with
 * the global options and its own arguments and resolving to the exit status,
 * which goes to `setResult`. Errors are thrown, never printed here.
 */
function buildProgram(commands, setResult) {
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
    // Usage errors are thrown and printed by the one error printer.
    .configureOutput({ outputError: () => {} })
    .hook('preAction', () => checkOneEndpoint(program))

  program
    .command('check')
    .description('tell whether the credentials can end web messaging conversations, and if not exactly why')
    .option('--conversation <id>', 'also diagnose this conversation (its divisions against the grants; nothing is written to it)')
    .option('--deployment <id>', "also read this Messenger deployment's conversationClear, conversationDisconnect and sessionDurationSeconds")
    .action(async (opts) => setResult(await commands.check(program.opts(), opts)))

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
    .action(async (ids, opts) => setResult(await commands.close(program.opts(), ids, opts)))

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
    .addOption(new Option('--lease <redis-url>', 'sweep only on the replica holding the lease genesys-cleanup:{orgId}:sweep in this Redis (redis://host:port; needs ioredis)').env('GENESYS_CLEANUP_LEASE'))
    .option('--lease-ttl <duration>', 'lease time to live (default 30s)', parseDuration)
    .action(async (opts) => setResult(await commands.sweep(program.opts(), opts)))

  program
    .command('watch')
    .description('end web messaging conversations as they fall idle, from Genesys notifications (with reconciliation sweeps), until Ctrl-C')
    .requiredOption('--idle <duration>', 'end a conversation once nothing happened in it for this long: 90s, 30m, 2h', parseDuration)
    .option('--queue <name>', 'watch this queue (name or id); repeat for more (default: every queue)', (v, prev) => prev.concat([v]), [])
    .option('--reconcile-every <duration>', 'interval of the periodic reconciliation sweep (default 5m)', parseDuration)
    .option('--dry-run', 'read and decide, write nothing: reports what it would close')
    .addOption(new Option('--lease <redis-url>', 'watch only while holding the lease genesys-cleanup:{orgId}:watch in this Redis; wait and take over otherwise (redis://host:port; needs ioredis)').env('GENESYS_CLEANUP_LEASE'))
    .option('--lease-ttl <duration>', 'lease time to live (default 30s)', parseDuration)
    .action(async (opts) => setResult(await commands.watch(program.opts(), opts)))

  program
    .command('queues')
    .description("Genesys's own timers: each queue's web messaging inactivity timeout (live, switches, timeout, action), a Messenger deployment's settings, and advice; --set-inactivity changes one queue (dry unless --apply)")
    .option('--queue <name>', 'only this queue (name or id); repeat for more', (v, prev) => prev.concat([v]), [])
    .option('--deployment <id>', "also read this Messenger deployment's conversationClear, conversationDisconnect and sessionDurationSeconds")
    .option('--set-inactivity <duration|off>', "switch --queue's timer on with this timeout (e.g. 30m), or off; shows the exact change", (v) => (String(v).trim() === 'off' ? 'off' : parseDuration(v)))
    .addOption(new Option('--action <action>', 'with --set-inactivity: what the timer does').choices(['disconnect', 'flow']).default('disconnect'))
    .option('--flow <id>', 'with --action flow: the Architect flow id')
    .option('--apply', 'with --set-inactivity: write it (GET the whole queue, PUT it back with only the timer changed, re-read to verify)')
    .action(async (opts) => setResult(await commands.queues(program.opts(), opts)))

  program
    .command('fleet')
    .description('run one replica of a cleanup service for many orgs (--orgs): each org\'s job on one live replica, the orgs spread evenly, through Redis; "fleet status" prints which replica holds which org')
    .argument('[action]', '"status": print which replica holds which org, and exit')
    .option('--orgs <file>', 'JSON file of the orgs: id, region or baseUrl, credentials (named environment variables or files, never the secret itself) and job (watch or sweep)')
    .addOption(new Option('--lease <redis-url>', 'the Redis the replicas coordinate through (redis://host:port; needs ioredis)').env('GENESYS_CLEANUP_LEASE'))
    .option('--lease-ttl <duration>', 'lease and presence time to live; a pass every third of it (default 30s)', parseDuration)
    .addOption(new Option('--replica-id <id>', 'this replica\'s id, unique among live replicas (default hostname-pid)').env('GENESYS_CLEANUP_REPLICA'))
    .option('--fleet <name>', 'the fleet\'s name in the Redis keys (default: "fleet" of --orgs, else "default")')
    .option('--concurrency <n>', 'fleet-wide cap on sweep concurrency, 1 to 4096 (default 64)', integerParser(1, 4096))
    .option('--dry-run', 'read and decide, write nothing')
    .action(async (action, opts) => setResult(await commands.fleet(program.opts(), action, opts)))

  return program
}

module.exports = { buildProgram, parseDuration, describeDuration, UNIT_MS }
