#!/usr/bin/env node
'use strict'
// The read-to-PATCH window of a guarded close at a saturated rate budget,
// before and after the change that keeps it one round trip, side by side.
//
// A guarded close (`idleForMs`, a sweep, watch) reads a conversation,
// decides it is idle, then PATCHes. Genesys has no conditional close, so a
// message in between is ended unseen. Before, the PATCH waited for the
// rate budget after its read (a whole window when the budget was spent);
// now the read reserves the PATCH's slot with its own.
//
//   node bench/readwrite.js [--quick] [--baseline REV] [--out FILE]
//
// "before" is the library at REV (default: the last commit without the
// change), built once into target/bench-baseline/REV (a few minutes) and
// driven through its own index.js; "after" is this tree's addon. Both run
// the same workload against a fresh emulator of this tree: N idle web
// messaging conversations, closeConversations(ids, { idleForMs }) with
// concurrency 16, a limit of 40 requests per 2 s window (the issue's
// figures), 10 ms of latency per request. The gap of each close is measured
// on the emulator's clock: from the arrival of the last GET of the
// conversation before its PATCH to the arrival of the PATCH.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { startEmulator } = require('./emulator')
const { baselineTree } = require('./baseline')

const ROOT = path.join(__dirname, '..')
// The last commit before reads reserved their write's rate slot.
const DEFAULT_BASELINE = 'c3349f6'
const TOKEN = 'cc-cleanup-token'
const HOUR = 3600_000

function parseArgs(argv) {
  const args = { quick: false, baseline: DEFAULT_BASELINE, out: path.join(__dirname, 'results', 'readwrite.json') }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true
    else if (argv[i] === '--baseline') args.baseline = argv[++i]
    else if (argv[i] === '--out') args.out = argv[++i]
    else {
      console.error(`unknown argument ${argv[i]}: node bench/readwrite.js [--quick] [--baseline REV] [--out FILE]`)
      process.exit(2)
    }
  }
  return args
}

function emulatorBinary() {
  if (process.env.GENESYS_EMULATOR_BIN) return process.env.GENESYS_EMULATOR_BIN
  for (const p of ['target/release/genesys-emulator', 'target/dev-opt/genesys-emulator']) {
    if (fs.existsSync(path.join(ROOT, p))) return path.join(ROOT, p)
  }
  throw new Error('no emulator binary: run `npm run build` first')
}

// The contender: one child process, the library of `tree`, one bulk close.
const CHILD = `
const { CleanupClient } = require(process.env.LIB)
const ids = JSON.parse(process.env.IDS)
const t0 = Date.now()
new CleanupClient({ baseUrl: process.env.URL, accessToken: process.env.TOKEN })
  .closeConversations(ids, { idleForMs: 60000, concurrency: 16 })
  .then((r) => console.log(JSON.stringify({ closed: r.closed, failed: r.failed, wallMs: Date.now() - t0 })))
  .catch((e) => { console.log(JSON.stringify({ error: e.code + ': ' + e.message })); process.exit(1) })
`

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null)

async function runOnce(label, lib, n) {
  const emu = await startEmulator(emulatorBinary())
  try {
    await emu.configure({ rateLimitPerMinute: 40, rateWindowMs: 2000, rateLimitMode: 'fixed', latencyMs: 10 })
    const ids = []
    for (let i = 0; i < n; i++) {
      const c = await emu.createConversation({ type: 'webmessaging', startedAt: Date.now() - 3 * HOUR, lastActivityAt: Date.now() - 2 * HOUR })
      ids.push(c.id)
    }
    await emu.clearRequests()
    const r = spawnSync(process.execPath, ['-e', CHILD], {
      cwd: ROOT,
      env: { ...process.env, LIB: lib, URL: emu.url, TOKEN, IDS: JSON.stringify(ids) },
      encoding: 'utf8',
      timeout: 600_000,
    })
    const out = JSON.parse((r.stdout || '{}').trim().split('\n').pop() || '{}')
    if (r.status !== 0 || out.error) throw new Error(`${label}: ${out.error || r.stderr}`)
    // The admin connection sat idle through the run; the emulator may have
    // closed it, and a fetch on a closed keep-alive socket fails once.
    const log = await emu.requests().catch(() => emu.requests())
    const gaps = []
    const lastGet = new Map()
    for (const e of log) {
      if (e.method === 'GET' && e.path.startsWith('/api/v2/conversations/messages/')) lastGet.set(e.path, e.atMs)
      if (e.method === 'PATCH' && lastGet.has(e.path)) gaps.push(e.atMs - lastGet.get(e.path))
    }
    gaps.sort((a, b) => a - b)
    const getAnswered = log.filter((e) => e.method === 'GET' && e.status === 200).length
    return {
      label,
      n,
      closed: out.closed,
      failed: out.failed,
      wallMs: out.wallMs,
      requests: log.filter((e) => e.path.startsWith('/api/v2/')).length,
      rateLimited: log.filter((e) => e.status === 429).length,
      reads: getAnswered,
      gapMs: { p50: pct(gaps, 50), p90: pct(gaps, 90), p99: pct(gaps, 99), max: gaps[gaps.length - 1] ?? null },
    }
  } finally {
    await emu.stop()
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const n = args.quick ? 120 : 400
  const baseline = baselineTree(args.baseline)
  const rows = []
  rows.push(await runOnce(`before (${args.baseline})`, path.join(baseline, 'index.js'), n))
  rows.push(await runOnce('after (this tree)', path.join(ROOT, 'index.js'), n))
  console.log(`\nread-to-PATCH gap of a guarded close at a saturated budget: ${n} idle conversations, 40 requests / 2 s, 10 ms latency, concurrency 16`)
  console.log('| library | closed | requests | reads | 429s | wall s | gap p50 ms | p90 | p99 | max |')
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    console.log(`| ${r.label} | ${r.closed} | ${r.requests} | ${r.reads} | ${r.rateLimited} | ${(r.wallMs / 1000).toFixed(1)} | ${r.gapMs.p50} | ${r.gapMs.p90} | ${r.gapMs.p99} | ${r.gapMs.max} |`)
  }
  fs.mkdirSync(path.dirname(args.out), { recursive: true })
  fs.writeFileSync(args.out, JSON.stringify({ version: 1, at: new Date().toISOString(), config: { n, limit: 40, windowMs: 2000, latencyMs: 10, concurrency: 16 }, rows }, null, 2) + '\n')
  console.log(`written to ${path.relative(ROOT, args.out)}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
