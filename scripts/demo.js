#!/usr/bin/env node
'use strict'
// `npm run demo`: the CLI as an operator uses it, against the local Genesys
// emulator. Works on a fresh clone after `npm ci`: builds the addon and the
// emulator first (incrementally).
//
// DEMO_CONVERSATIONS (default 3000) sets how many conversations are seeded,
// DEMO_RATE_LIMIT (default 12000) the emulator's requests per minute per token.
// DEMO_NO_BUILD=1 skips the build and uses what is built (the Jest test of
// the demo: `npm test` has just built it, and a test should not wait on cargo).

const { spawn } = require('node:child_process')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const CLI = path.join(ROOT, 'bin', 'genesys-cleanup.js')

const { positiveInt } = require('./env')
const CONVERSATIONS = positiveInt('DEMO_CONVERSATIONS', 3000)
// Genesys's default is 300 requests per minute per client-credentials token:
// at that limit this demo would take over 15 minutes. At 12000/min its
// requests fit one window, so the rate budget spends it at once (no waits,
// no 429); DEMO_RATE_LIMIT=600 shows the budget waiting for windows to turn.
const RATE_LIMIT = positiveInt('DEMO_RATE_LIMIT', 12000)


/**
 * Builds the addon and the emulator (cargo rebuilds only what changed: seconds
 * when up to date, a few minutes on a fresh clone), so that the demo never
 * runs a stale build left in target/ by an earlier checkout.
 */
function ensureBuilt() {
  console.log('Building the addon and the emulator (only what changed; a few minutes on a fresh clone)...')
  process.env.GENESYS_EMULATOR_BIN = require('./build').build()
}

function heading(title, ...lines) {
  console.log(`\n${'='.repeat(78)}\n${title}\n${'-'.repeat(78)}`)
  for (const l of lines) console.log(l)
  console.log('')
}

/** Runs the CLI as an operator would: credentials in the environment. */
function cli(args, credentials, expectedExit) {
  const shown = `GENESYS_CLIENT_ID=${credentials.clientId} GENESYS_CLIENT_SECRET=****** genesys-cleanup ${args.join(' ')}`
  console.log(`$ ${shown}`)
  const env = { ...process.env, GENESYS_CLIENT_ID: credentials.clientId, GENESYS_CLIENT_SECRET: credentials.clientSecret }
  // Only the emulator given with --base-url: a region or base URL from the
  // caller's environment would make the CLI refuse (one place to connect).
  for (const name of ['GENESYS_ACCESS_TOKEN', 'GENESYS_REGION', 'GENESYS_BASE_URL']) delete env[name]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      const status = code ?? signal
      console.log(`[exit status ${status}]`)
      if (status !== expectedExit) reject(new Error(`genesys-cleanup ${args.join(' ')} exited with ${status}, expected ${expectedExit}`))
      else resolve()
    })
  })
}

async function main() {
  if (process.env.DEMO_NO_BUILD !== '1') ensureBuilt()
  const { startEmulator } = require('../testing')
  const started = Date.now()

  heading(
    'genesys-cleanup demo',
    `Starting the local Genesys Cloud emulator with ${CONVERSATIONS} seeded conversations`,
    '(70% web messaging, the rest open messaging, WhatsApp and voice; started up to',
    `24 h ago, 10% already ended) and a rate limit of ${RATE_LIMIT} requests/minute per token.`,
  )
  const emu = await startEmulator({ args: ['--seed-conversations', String(CONVERSATIONS), '--rng-seed', '7'] })
  const stopEmulator = () => emu.stop()
  const onSignal = () => {
    stopEmulator().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  try {
    await emu.configure({ rateLimitPerMinute: RATE_LIMIT, latencyMs: 2, jitterMs: 4 })
    const base = ['--base-url', emu.url]
    const readonly = { clientId: 'readonly-client', clientSecret: 'readonly-secret' }
    const cleanup = { clientId: 'cleanup-client', clientSecret: 'cleanup-secret' }
    const openBefore = (await emu.admin('GET', 'conversations?state=active')).ids.length

    heading(
      '(a) check, with an OAuth client that has only read permissions',
      'The classic 403. `check` asks the API itself (harmless probes with the nil id),',
      'reads the client\'s roles and says exactly what is missing and where to fix it.',
      'Exit status 1: these credentials cannot close conversations.',
    )
    await cli([...base, 'check'], readonly, 1)

    heading(
      '(b) check, with a correctly configured OAuth client',
      'Same probes; the PATCH passes its permission check (404 for the nil id). Exit status 0.',
    )
    await cli([...base, 'check'], cleanup, 0)

    const logBefore = await emu.requests()
    const lastSeq = logBefore.length ? logBefore[logBefore.length - 1].seq : 0
    heading(
      '(c) sweep --idle 30m --dry-run',
      'Analytics nominates open web messaging conversations that started over 30 minutes',
      'ago; each is re-read, and only those whose newest message or participant change is',
      '30 minutes old would be closed. Live chats are listed as spared. Nothing is written.',
    )
    await cli([...base, 'sweep', '--idle', '30m', '--dry-run'], cleanup, 0)
    const dryRunLog = await emu.requests(lastSeq)
    const writes = dryRunLog.filter((r) => r.method === 'PATCH' || r.method === 'DELETE' || /\/(disconnect|wrapup)$/.test(r.path)).length
    console.log(`\nEmulator request log of the dry run: ${dryRunLog.length} requests, ${writes} writes (PATCH, DELETE, disconnect, wrap-up).`)

    heading(
      '(d) sweep --idle 30m --concurrency 16',
      'The real thing: the same conversations are re-read and ended, within the token\'s',
      'rate budget. A progress bar on a terminal (plain lines otherwise), then the summary.',
    )
    await cli([...base, 'sweep', '--idle', '30m', '--concurrency', '16'], cleanup, 0)

    const openAfter = (await emu.admin('GET', 'conversations?state=active')).ids.length
    const stats = await emu.stats()
    heading(
      'Done',
      `Open conversations in the emulator: ${openBefore} before, ${openAfter} after (recently active`,
      'ones and other channels were left alone).',
      `Emulator totals: ${stats.requests} requests, ${stats.rateLimited} answered 429. Demo took ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    )
  } finally {
    process.off('SIGINT', onSignal)
    await stopEmulator()
  }
}

main().catch((e) => {
  console.error(`\ndemo failed: ${e && e.message ? e.message : e}`)
  process.exit(1)
})
