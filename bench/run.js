#!/usr/bin/env node
'use strict'
// `npm run bench`: genesys-cleanup against the official Genesys Cloud JS SDK
// and plain fetch, on the local emulator. See bench/README.md.
//
//   npm run bench                 full run (~45-50 min on 2 cores), writes bench/results/latest.json
//   npm run bench -- --quick      ~2 min, 1 run per cell, writes bench/results/quick.json
//   npm run bench -- --skip-build use the binaries as they are
//   npm run bench -- --baseline REV  also runs the library at REV (release build, once,
//                                 into target/bench-baseline) beside this tree in the
//                                 throughput and bulk cells: before and after in one run
//
// Environment overrides (any of them makes the run "custom": results go to
// bench/results/custom.json unless --out is given):
//   BENCH_N (throughput N, default 5000)   BENCH_RUNS (default 3)
//   BENCH_SCENARIOS  comma list of throughput,ratelimit,bulk,latency,watch,readwrite (or a-f)
//   BENCH_CONTENDERS comma list of addon,addon-fast,addon-events,sdk,sdk-retry,fetch
//   BENCH_LATENCIES (default 0,20)  BENCH_CONCURRENCIES (default 1,16,64)
//   BENCH_CELL_SECONDS (default 10: caps N where latency makes a cell slow)
//   BENCH_BULK_N (default 20000)  BENCH_BULK_CONCURRENCY (default 64)
//   BENCH_RL_LIMIT (default 200)  BENCH_RL_WINDOW_MS (default 10000)
//   BENCH_RL_WINDOWS (default 3)  BENCH_RL_CONCURRENCY (default 16)
//   BENCH_LATENCY    comma list of burst,sequential,windows3,windows20,shared
//   BENCH_MODES      comma list of fixed-up,fixed-down,aligned-up,aligned-down,sliding-up,sliding-down
//   BENCH_LATENCY_RUNS (default 1)

const { spawn, spawnSync, execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { startEmulator } = require('./emulator')
const { runLatency, latencyTable } = require('./latency')
const { baselineTree, addonOf, shortRev } = require('./baseline')

const ROOT = path.join(__dirname, '..')
const TOKEN = 'cc-cleanup-token'
const ALL_CONTENDERS = ['addon', 'addon-baseline', 'addon-fast', 'addon-events', 'sdk', 'sdk-retry', 'fetch']
const CONTENDER_LABEL = {
  addon: 'genesys-cleanup',
  'addon-baseline': 'genesys-cleanup at the baseline', // named with its commit by --baseline
  'addon-fast': 'genesys-cleanup fast',
  'addon-events': 'genesys-cleanup + onEvent',
  sdk: 'official SDK',
  'sdk-retry': 'official SDK + retry',
  fetch: 'fetch + retry',
}

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const args = { quick: false, skipBuild: !!process.env.BENCH_SKIP_BUILD, out: null, baseline: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--quick') args.quick = true
    else if (a === '--skip-build') args.skipBuild = true
    else if (a === '--out') args.out = argv[++i]
    else if (a === '--baseline') args.baseline = argv[++i]
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 25).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'))
      process.exit(0)
    } else {
      console.error(`unknown argument ${a} (try --help)`)
      process.exit(2)
    }
  }
  return args
}

const envList = (name, fallback, map = (x) => x) =>
  process.env[name] ? process.env[name].split(',').map((s) => s.trim()).filter(Boolean).map(map) : fallback
const envInt = (name, fallback) => {
  if (!process.env[name]) return fallback
  const v = Number(process.env[name])
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number, got ${process.env[name]}`)
  return v
}

const SCENARIO_ALIASES = { a: 'throughput', b: 'ratelimit', c: 'bulk', d: 'latency', e: 'watch', f: 'readwrite' }
const SCENARIO_NAMES = ['throughput', 'ratelimit', 'bulk', 'latency', 'watch', 'readwrite']

function resolveConfig(args) {
  const quick = args.quick
  const cfg = {
    mode: quick ? 'quick' : 'full',
    runs: envInt('BENCH_RUNS', quick ? 1 : 3),
    scenarios: envList('BENCH_SCENARIOS', SCENARIO_NAMES, (s) => SCENARIO_ALIASES[s] || s),
    latencyRuns: envInt('BENCH_LATENCY_RUNS', 1),
    contenders: envList('BENCH_CONTENDERS', null),
    throughput: {
      n: envInt('BENCH_N', quick ? 1000 : 5000),
      latencies: envList('BENCH_LATENCIES', [0, 20], Number),
      concurrencies: envList('BENCH_CONCURRENCIES', quick ? [16, 64] : [1, 16, 64], Number),
      cellSeconds: envInt('BENCH_CELL_SECONDS', quick ? 3 : 10),
      contenders: ['addon', 'addon-fast', 'sdk', 'fetch'],
    },
    ratelimit: {
      limit: envInt('BENCH_RL_LIMIT', quick ? 100 : 200),
      windowMs: envInt('BENCH_RL_WINDOW_MS', quick ? 5000 : 10000),
      windows: envInt('BENCH_RL_WINDOWS', 3),
      concurrency: envInt('BENCH_RL_CONCURRENCY', 16),
      contenders: ['addon', 'addon-fast', 'sdk', 'sdk-retry', 'fetch'],
    },
    bulk: {
      n: envInt('BENCH_BULK_N', quick ? 5000 : 20000),
      concurrency: envInt('BENCH_BULK_CONCURRENCY', 64),
      // addon-events: the same run with an onEvent listener, to show what
      // observing every request costs.
      contenders: ['addon', 'addon-events', 'addon-fast', 'sdk', 'fetch'],
    },
  }
  for (const s of cfg.scenarios) {
    if (!SCENARIO_NAMES.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIO_NAMES.join(', ')})`)
  }
  if (cfg.contenders) {
    for (const c of cfg.contenders) if (!ALL_CONTENDERS.includes(c)) throw new Error(`unknown contender ${c} (${ALL_CONTENDERS.join(', ')})`)
    if (cfg.contenders.includes('addon-baseline') && !args.baseline) throw new Error('the contender addon-baseline needs --baseline REV')
  }
  const custom = Object.keys(process.env).some((k) => k.startsWith('BENCH_') && k !== 'BENCH_SKIP_BUILD') || !!args.baseline
  cfg.custom = custom
  cfg.out = args.out || path.join(__dirname, 'results', quick ? 'quick.json' : custom ? 'custom.json' : 'latest.json')
  return cfg
}

// ---------------------------------------------------------------- build and machine

const ADDON_FILE = path.join(ROOT, 'genesys-cleanup.linux-x64-gnu.node')
const RELEASE_ADDON = path.join(ROOT, 'target', 'x86_64-unknown-linux-gnu', 'release', 'libgenesys_cleanup_node.so')
const RELEASE_EMULATOR = path.join(ROOT, 'target', 'release', process.platform === 'win32' ? 'genesys-emulator.exe' : 'genesys-emulator')

function build(skip) {
  if (skip) {
    console.log('Skipping the build (--skip-build): using the binaries as they are.')
    return
  }
  // Cargo decides what is stale: a release build that is up to date takes
  // seconds; the first LTO build takes minutes.
  console.log('Building the release addon and emulator (cargo only rebuilds what changed; the first LTO build takes ~3-4 min)...')
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js'), '--release'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`release build failed (exit ${r.status ?? r.signal})`)
    process.exit(1)
  }
}

function sha256(file) {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16)
  } catch {
    return null
  }
}

function buildInfo() {
  const addon = sha256(ADDON_FILE)
  const release = sha256(RELEASE_ADDON)
  return {
    addonFile: path.relative(ROOT, ADDON_FILE),
    addonSha256: addon,
    addonIsReleaseBuild: addon !== null && addon === release,
    emulator: path.relative(ROOT, emulatorBinary()),
    emulatorSha256: sha256(emulatorBinary()),
  }
}

function emulatorBinary() {
  return process.env.GENESYS_EMULATOR_BIN || RELEASE_EMULATOR
}

// The binaries are copied once, after the build, and every run uses the
// copies: a rebuild in the work tree during a long run (another dev-opt
// build overwrites the addon in the repository root) cannot mix builds.
const SNAPSHOT = { addon: null, emulator: null }
/** The library at --baseline REV: its folder and commit. */
const BASELINE = { dir: null, rev: null }
function snapshotBinaries() {
  SNAPSHOT.addon = path.join(TMP, 'genesys-cleanup.linux-x64-gnu.node')
  SNAPSHOT.emulator = path.join(TMP, path.basename(emulatorBinary()))
  fs.copyFileSync(ADDON_FILE, SNAPSHOT.addon)
  fs.copyFileSync(emulatorBinary(), SNAPSHOT.emulator)
  fs.chmodSync(SNAPSHOT.emulator, 0o755)
}

function startSnapshotEmulator() {
  return startEmulator(SNAPSHOT.emulator)
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd()
  } catch {
    return null
  }
}

function machineInfo() {
  let cpuModel = null
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)
    cpuModel = m ? m[1].trim() : null
  } catch {
    /* not Linux */
  }
  let sdkVersion = null
  try {
    sdkVersion = require('purecloud-platform-client-v2/package.json').version
  } catch {
    /* not installed */
  }
  return {
    cpuModel: cpuModel || (os.cpus()[0] && os.cpus()[0].model),
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    undici: process.versions.undici,
    sdk: sdkVersion,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    niceness: os.getPriority(),
  }
}

let CLK_TCK = 100
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
} catch {
  /* keep 100 */
}

/** CPU time (user+sys) of a process so far, in microseconds (Linux), or null. */
function processCpuUs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK
  } catch {
    return null
  }
}

// ---------------------------------------------------------------- one run

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-bench-'))
process.on('exit', () => fs.rmSync(TMP, { recursive: true, force: true }))

function runChild(spec, timeoutMs, specName = 'spec.json') {
  const specFile = path.join(TMP, specName)
  fs.writeFileSync(specFile, JSON.stringify(spec))
  const env = { ...process.env }
  delete env.DEBUG
  delete env.NODE_OPTIONS
  delete env.NODE_EXTRA_CA_CERTS // a CA bundle parsed at every start (this sandbox sets one): no contender needs it
  env.NAPI_RS_NATIVE_LIBRARY_PATH = SNAPSHOT.addon
  if (spec.contender === 'addon-baseline') {
    // The earlier library, its own index.js over its own addon.
    env.BENCH_LIB = path.join(BASELINE.dir, 'index.js')
    env.NAPI_RS_NATIVE_LIBRARY_PATH = addonOf(BASELINE.dir)
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'child.js'), specFile], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = out.trim().split('\n').pop()
      if (code === 0 && line) {
        try {
          return resolve({ ok: true, result: JSON.parse(line), stderr: err })
        } catch {
          /* fall through */
        }
      }
      resolve({ ok: false, error: `child exited ${code ?? signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms)` : ''}: ${err.trim().slice(-500)}` })
    })
  })
}

/**
 * Fresh emulator, configured and seeded; the contender runs in its own
 * process; the emulator's state afterwards says what was really closed.
 */
async function runOnce({ contender, n, concurrency, emulatorConfig, rngSeed, timeoutMs }) {
  const emu = await startSnapshotEmulator()
  try {
    await emu.configure({ ...emulatorConfig, rngSeed })
    const seeded = await emu.seed({ count: n, mix: { webmessaging: 1 }, endedFraction: 0, rngSeed })
    const ids = seeded.ids
    const idsFile = path.join(TMP, 'ids.json')
    fs.writeFileSync(idsFile, JSON.stringify(ids))
    const stats0 = await emu.stats()
    const emuCpu0 = processCpuUs(emu.child.pid)
    const child = await runChild({ contender, idsFile, concurrency, baseUrl: emu.url, token: TOKEN }, timeoutMs)
    const emuCpu1 = processCpuUs(emu.child.pid)
    if (!child.ok) return { ok: false, error: child.error }
    const r = child.result
    const stats = await emu.stats()
    const active = new Set(await emu.activeIds())
    const notClosed = new Set(r.notClosedIds)
    let closedVerified = 0
    let lost = 0
    let reportedNotClosedButClosed = 0
    for (const id of ids) {
      if (!active.has(id)) {
        closedVerified++
        if (notClosed.has(id)) reportedNotClosedButClosed++
      } else if (!notClosed.has(id)) {
        lost++ // still open, yet the contender reported it closed (or never reported it)
      }
    }
    const requests = stats.requests - stats0.requests
    const cpuUs = r.cpuUserUs + r.cpuSystemUs
    const failures = Object.entries(r.outcomes).filter(([k]) => k !== 'closed').reduce((s, [, v]) => s + v, 0)
    return {
      ok: true,
      n,
      wallMs: round(r.wallMs, 1),
      closedVerified,
      closesPerSec: round((closedVerified * 1000) / r.wallMs, 1),
      cpuMs: round(cpuUs / 1000, 1),
      cpuUserMs: round(r.cpuUserUs / 1000, 1),
      cpuSystemMs: round(r.cpuSystemUs / 1000, 1),
      cpuPerCloseUs: closedVerified ? round(cpuUs / closedVerified, 1) : null,
      maxRssMb: round(r.maxRssKb / 1024, 1),
      rssBeforeMb: round(r.rssBeforeKb / 1024, 1),
      setupMs: round(r.setupMs, 1),
      requests,
      requestsPerClose: closedVerified ? round(requests / closedVerified, 3) : null,
      rateLimited: stats.rateLimited - stats0.rateLimited,
      byStatus: stats.byStatus,
      failures,
      outcomes: r.outcomes,
      errors: r.errors,
      lost,
      reportedNotClosedButClosed,
      selfReported: r.self,
      emulatorCpuMs: emuCpu0 !== null && emuCpu1 !== null ? round((emuCpu1 - emuCpu0) / 1000, 1) : null,
    }
  } finally {
    await emu.stop()
  }
}

// ---------------------------------------------------------------- statistics

function round(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function median(xs) {
  const v = xs.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

const STAT_KEYS = ['wallMs', 'closesPerSec', 'cpuPerCloseUs', 'cpuMs', 'maxRssMb', 'requestsPerClose', 'rateLimited', 'failures', 'lost', 'emulatorCpuMs', 'closedVerified']

function summarize(runs) {
  const ok = runs.filter((r) => r.ok)
  const s = { runs: runs.length, okRuns: ok.length }
  for (const k of STAT_KEYS) {
    const xs = ok.map((r) => r[k]).filter((x) => x !== null && x !== undefined)
    s[k] = xs.length ? { median: round(median(xs), 3), min: Math.min(...xs), max: Math.max(...xs) } : null
  }
  return s
}

function ratios(summary, base) {
  if (!base || !summary) return null
  const r = (k) => (summary[k] && base[k] && base[k].median ? round(summary[k].median / base[k].median, 3) : null)
  return { cpuPerClose: r('cpuPerCloseUs'), maxRss: r('maxRssMb'), wall: r('wallMs'), closesPerSec: r('closesPerSec') }
}

// ---------------------------------------------------------------- scenarios

function throughputCells(cfg) {
  const t = cfg.throughput
  const cells = []
  for (const latencyMs of t.latencies) {
    for (const concurrency of t.concurrencies) {
      // Two round trips per close at `latencyMs` each: cap N so that one run
      // of the ideal client takes about cellSeconds (else concurrency 1 at
      // 20 ms alone would take 200 s per run).
      let n = t.n
      if (latencyMs > 0) n = Math.min(n, Math.max(50, Math.floor((t.cellSeconds * 1000 * concurrency) / (2 * latencyMs))))
      cells.push({
        id: `throughput-lat${latencyMs}-c${concurrency}`,
        scenario: 'throughput',
        title: `(a) throughput: latency ${latencyMs} ms, concurrency ${concurrency}, N = ${n}${n < t.n ? ` (capped from ${t.n}: ~${t.cellSeconds} s of ideal round trips)` : ''}, no rate limit`,
        n,
        concurrency,
        emulatorConfig: { latencyMs, rateLimitPerMinute: 0 },
        contenders: t.contenders,
        baseline: 'sdk',
      })
    }
  }
  return cells
}

function rateLimitCell(cfg) {
  const r = cfg.ratelimit
  // read + PATCH = 2 requests per close: N needs `windows` full windows.
  const n = Math.ceil((r.windows * r.limit) / 2)
  const perMinute = round((r.limit * 60000) / r.windowMs, 1)
  return {
    id: 'ratelimit',
    scenario: 'ratelimit',
    title: `(b) rate limited: ${r.limit} requests per ${r.windowMs / 1000} s window per token (= ${perMinute}/min), N = ${n} (${2 * n} requests = ${r.windows} windows), concurrency ${r.concurrency}, latency 0`,
    n,
    concurrency: r.concurrency,
    // The emulator's `rateLimitPerMinute` is "requests per window of rateWindowMs".
    emulatorConfig: { latencyMs: 0, rateLimitPerMinute: r.limit, rateWindowMs: r.windowMs },
    limit: r.limit,
    windowMs: r.windowMs,
    contenders: r.contenders,
    baseline: 'sdk-retry',
  }
}

function bulkCell(cfg) {
  const b = cfg.bulk
  return {
    id: 'bulk',
    scenario: 'bulk',
    title: `(c) bulk: ${b.n} conversations in one call, concurrency ${b.concurrency}, latency 0, no rate limit`,
    n: b.n,
    concurrency: b.concurrency,
    emulatorConfig: { latencyMs: 0, rateLimitPerMinute: 0 },
    contenders: b.contenders,
    baseline: 'sdk',
  }
}

function idealMs(cell, contender) {
  if (!cell.limit) return null
  const requests = cell.n * (contender === 'addon-fast' ? 1 : 2)
  return (requests / cell.limit) * cell.windowMs
}

/** Fixed windows from the first request: bursting each window can end after (windows - 1) windows. */
function burstBoundMs(cell, contender) {
  if (!cell.limit) return null
  const requests = cell.n * (contender === 'addon-fast' ? 1 : 2)
  return (Math.ceil(requests / cell.limit) - 1) * cell.windowMs
}

// ---------------------------------------------------------------- output

const fmt = (x, d = 0) => (x === null || x === undefined ? '-' : Number(x).toFixed(d))
const range = (s, d = 0, scale = 1) => (s ? `${fmt(s.median / scale, d)} [${fmt(s.min / scale, d)}-${fmt(s.max / scale, d)}]` : '-')
const ratio = (x) => (x === null || x === undefined ? '-' : `${x.toFixed(2)}x`)

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function cellTable(cell) {
  const isRl = cell.scenario === 'ratelimit'
  const headers = ['contender', 'wall s', 'closes/s', 'CPU us/close', 'CPU x', 'peak RSS MB', 'RSS x', 'wall x', 'req/close', '429s', 'failed', 'lost']
  if (isRl) headers.push('429 %', 'ideal s', 'wall/ideal', 'burst bound s')
  const rows = cell.rows.map((row) => {
    const s = row.summary
    if (!s || s.okRuns === 0) return [CONTENDER_LABEL[row.contender], 'FAILED: ' + (row.runs.find((r) => !r.ok) || {}).error, ...headers.slice(2).map(() => '')]
    const cells = [
      CONTENDER_LABEL[row.contender],
      range(s.wallMs, 2, 1000),
      fmt(s.closesPerSec && s.closesPerSec.median, 0),
      range(s.cpuPerCloseUs, 0),
      ratio(row.ratios && row.ratios.cpuPerClose),
      range(s.maxRssMb, 0),
      ratio(row.ratios && row.ratios.maxRss),
      ratio(row.ratios && row.ratios.wall),
      fmt(s.requestsPerClose && s.requestsPerClose.median, 2),
      fmt(s.rateLimited && s.rateLimited.median, 0),
      fmt(s.failures && s.failures.median, 0),
      s.lost ? `${fmt(s.lost.median)}${s.lost.max > 0 ? ` (max ${s.lost.max})` : ''}` : '-',
    ]
    if (isRl) {
      const share = median(row.runs.filter((r) => r.ok && r.requests).map((r) => (100 * r.rateLimited) / r.requests))
      cells.push(
        fmt(share, 1),
        fmt(row.idealMs / 1000, 1),
        s.wallMs && row.idealMs ? `${(s.wallMs.median / row.idealMs).toFixed(3)}` : '-',
        fmt(row.burstBoundMs / 1000, 1)
      )
    }
    return cells
  })
  return table(headers, rows)
}

// ---------------------------------------------------------------- main

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const cfg = resolveConfig(args)
  const started = Date.now()
  build(args.skipBuild)
  if (!fs.existsSync(emulatorBinary())) throw new Error(`no emulator at ${emulatorBinary()}: run without --skip-build`)
  if (!fs.existsSync(ADDON_FILE)) throw new Error(`no addon at ${ADDON_FILE}: run without --skip-build`)
  const machine = machineInfo()
  const buildI = buildInfo()
  snapshotBinaries()
  if (!buildI.addonIsReleaseBuild) console.warn(`warning: ${buildI.addonFile} is not the release build (target/.../release): numbers are not the release ones`)

  if (args.baseline) {
    BASELINE.dir = baselineTree(args.baseline, { profile: 'release' })
    BASELINE.rev = shortRev(args.baseline)
    CONTENDER_LABEL['addon-baseline'] = `genesys-cleanup @${BASELINE.rev}`
  }

  const cells = []
  for (const s of cfg.scenarios) {
    if (s === 'throughput') cells.push(...throughputCells(cfg))
    if (s === 'ratelimit') cells.push(rateLimitCell(cfg))
    if (s === 'bulk') cells.push(bulkCell(cfg))
  }
  for (const cell of cells) {
    if (cfg.contenders) cell.contenders = cfg.contenders
    // Beside this tree's row, in the cells that measure CPU per close.
    if (BASELINE.dir && cell.scenario !== 'ratelimit' && cell.contenders.includes('addon') && !cell.contenders.includes('addon-baseline')) {
      cell.contenders = cell.contenders.flatMap((c) => (c === 'addon' ? ['addon', 'addon-baseline'] : [c]))
    }
  }

  const notes = [
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}.`,
    `Only ${machine.cores} cores: the emulator (a separate release-build process) and the contender share them; CPU figures are the contender process's own (process.cpuUsage(): user+sys of all its threads, over the close run only, module loading excluded); peak RSS is process.resourceUsage().maxRSS over the whole child process (module loading included).`,
    'Every run: a fresh emulator process, seeded with N open web messaging conversations, one contender in its own child process; closes are verified from the emulator state afterwards (GET /__emulator/conversations?state=active), requests and 429s from the emulator stats.',
    'failed = ids the contender did not report closed; lost = ids still open afterwards that the contender did not report as failed (reported closed, or not reported).',
    'Contenders: genesys-cleanup CleanupClient.closeConversations (read + PATCH; fast: PATCH only); the official SDK purecloud-platform-client-v2 (getConversationsMessage + patchConversationsMessage in a worker pool, no retry: it has none; + retry: Retry-After honoured, at most 5 retries); Node fetch with the same calls, pool and Retry-After handling. All use the static token cc-cleanup-token over loopback http.',
    'The SDK reaches http://127.0.0.1 through its gateway setting (ApiClient.setGateway({protocol:"http", host, port})): setEnvironment() always builds https://api.<env>.',
    `Each cell runs ${cfg.runs} time(s) per contender, contenders interleaved (every other run in reverse order); figures are medians with [min-max]; "x" columns are ratios of medians to the ${'official SDK row'} (official SDK + retry in the rate-limited scenario).`,
  ]
  if (cfg.scenarios.includes('ratelimit')) {
    const r = cfg.ratelimit
    notes.push(
      `Rate limit scaled down to keep the run short: ${r.limit} requests per ${r.windowMs / 1000} s window (the same rate as ${round((r.limit * 60000) / r.windowMs, 1)}/min, Genesys windows are 60 s). Ideal = requests needed / limit x window (read+close: 2 per id, fast: 1). The emulator's windows are fixed and start at the token's first request, so a client that bursts each window and then waits can finish about one window before that "ideal" (last window partly used); a client that spaces requests evenly cannot ("burst bound" column).`
    )
  }
  console.log(`\ngenesys-cleanup benchmark (${cfg.mode}${cfg.custom ? ', custom' : ''}): ${cells.length} cells, ${cfg.runs} run(s) each`)
  for (const n of notes) console.log(`- ${n}`)

  const results = []
  for (const cell of cells) {
    console.log(`\n${cell.title}`)
    const rows = cell.contenders.map((contender) => ({ contender, runs: [] }))
    for (let run = 0; run < cfg.runs; run++) {
      // Every other run in reverse order: a machine whose load drifts over
      // the cell (a build winding down) favours no contender.
      for (const row of run % 2 ? [...rows].reverse() : rows) {
        const ideal = idealMs(cell, row.contender)
        const timeoutMs = Math.max(120000, (ideal || 0) * 4)
        const r = await runOnce({ contender: row.contender, n: cell.n, concurrency: cell.concurrency, emulatorConfig: cell.emulatorConfig, rngSeed: 1000 + run, timeoutMs })
        row.runs.push(r)
        process.stdout.write(
          r.ok
            ? `  run ${run + 1} ${row.contender.padEnd(10)} ${(r.wallMs / 1000).toFixed(2)} s, ${r.cpuPerCloseUs} us CPU/close, ${r.maxRssMb} MB, ${r.requests} requests, ${r.rateLimited} x 429, ${r.failures} failed, ${r.lost} lost\n`
            : `  run ${run + 1} ${row.contender.padEnd(10)} FAILED: ${r.error}\n`
        )
      }
    }
    for (const row of rows) {
      row.summary = summarize(row.runs)
      row.idealMs = idealMs(cell, row.contender)
      row.burstBoundMs = burstBoundMs(cell, row.contender)
      const ok = row.runs.filter((r) => r.ok && r.requests)
      row.rateLimitedShare = ok.length ? round(median(ok.map((r) => r.rateLimited / r.requests)), 4) : null
      if (row.idealMs) row.wallOverIdeal = row.summary.wallMs ? round(row.summary.wallMs.median / row.idealMs, 3) : null
    }
    const base = rows.find((r) => r.contender === cell.baseline)
    for (const row of rows) row.ratios = ratios(row.summary, base && base.summary)
    const before = rows.find((r) => r.contender === 'addon-baseline')
    const after = rows.find((r) => r.contender === 'addon')
    if (before && after) cell.afterOverBaseline = ratios(after.summary, before.summary)
    const { contenders, ...meta } = cell
    results.push({ ...meta, baseline: cell.baseline, rows })
  }

  let latency = null
  if (cfg.scenarios.includes('latency')) {
    console.log('\n(d) latency under rate limits, every limiter mode of the emulator (see bench/latency.js)')
    const env = { ...process.env }
    if (cfg.mode === 'quick' && !env.BENCH_LATENCY) env.BENCH_LATENCY = 'burst,sequential,windows3'
    latency = await runLatency(
      env,
      cfg.latencyRuns,
      { startEmulator: startSnapshotEmulator, runChild, tmp: TMP, token: TOKEN, timeoutMs: 300000 },
      (line) => console.log(line)
    )
  }

  if (cfg.scenarios.includes('watch')) {
    // Its own script and results file (bench/results/watch.json), with the snapshot binaries.
    console.log('\n(e) watch mode against sweep polling (bench/watch.js)')
    const env = { ...process.env, GENESYS_EMULATOR_BIN: SNAPSHOT.emulator, NAPI_RS_NATIVE_LIBRARY_PATH: SNAPSHOT.addon }
    const r = spawnSync(process.execPath, [path.join(__dirname, 'watch.js'), ...(cfg.mode === 'quick' ? ['--quick'] : [])], { cwd: ROOT, env, stdio: 'inherit' })
    if (r.status !== 0) console.warn('warning: the watch benchmark failed (see above)')
  }

  if (cfg.scenarios.includes('readwrite')) {
    // Before and after side by side: the baseline library is built once into
    // target/bench-baseline; results in bench/results/readwrite.json.
    console.log('\n(f) the read-to-PATCH gap of a guarded close at a saturated budget (bench/readwrite.js)')
    const env = { ...process.env, GENESYS_EMULATOR_BIN: SNAPSHOT.emulator }
    const r = spawnSync(process.execPath, [path.join(__dirname, 'readwrite.js'), ...(cfg.mode === 'quick' ? ['--quick'] : [])], { cwd: ROOT, env, stdio: 'inherit' })
    if (r.status !== 0) console.warn('warning: the read-to-PATCH benchmark failed (see above)')
  }

  const finished = Date.now()
  const report = {
    version: 1,
    mode: cfg.mode,
    custom: cfg.custom,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationS: round((finished - started) / 1000, 1),
    commit: git(['rev-parse', 'HEAD']),
    dirty: (git(['status', '--porcelain', '--untracked-files=no']) || '').length > 0,
    modifiedFiles: (git(['status', '--porcelain', '--untracked-files=no']) || '').split('\n').filter(Boolean).map((l) => l.slice(3)),
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)) },
    build: buildI,
    baseline: BASELINE.rev,
    config: { runs: cfg.runs, scenarios: cfg.scenarios, throughput: cfg.throughput, ratelimit: cfg.ratelimit, bulk: cfg.bulk },
    notes,
    cells: results,
    latency,
  }
  fs.mkdirSync(path.dirname(cfg.out), { recursive: true })
  fs.writeFileSync(cfg.out, JSON.stringify(report, null, 2) + '\n')

  console.log('\n================ results (medians [min-max]; x = ratio to the official SDK row) ================')
  for (const cell of results) {
    console.log(`\n${cell.title}`)
    console.log(cellTable(cell))
    const b = cell.afterOverBaseline
    if (b) console.log(`this tree / @${BASELINE.rev}: CPU per close ${ratio(b.cpuPerClose)}, peak RSS ${ratio(b.maxRss)}, wall ${ratio(b.wall)}`)
  }
  if (latency) {
    console.log('\n(d) latency under rate limits (span: first to last request in the emulator log; x: ratio to window-optimal or to no limit)')
    console.log(latencyTable(latency))
  }
  console.log(`\nLoad average at start ${machine.loadAverageAtStart.join(' ')}, at end ${report.machine.loadAverageAtEnd.join(' ')}; ${report.durationS} s in all.`)
  console.log(`Written to ${path.relative(process.cwd(), cfg.out)}`)
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e)
  process.exit(1)
})
