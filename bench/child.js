'use strict'
// One contender run, in its own process: `node bench/child.js spec.json`.
// Measures from inside: wall time and CPU time (process.cpuUsage(): user+sys
// of every thread of the process) around the close run only; peak RSS
// (process.resourceUsage().maxRSS) over the whole process life, module
// loading included. Prints one JSON line on stdout.
const fs = require('node:fs')
const { performance } = require('node:perf_hooks')

const CONTENDERS = {
  addon: () => require('./contenders/addon').setup,
  'addon-baseline': () => require('./contenders/addon').setup, // BENCH_LIB: the earlier library
  'addon-fast': () => (o) => require('./contenders/addon').setup({ ...o, fast: true }),
  'addon-events': () => (o) => require('./contenders/addon').setup({ ...o, observeAll: true }),
  sdk: () => require('./contenders/sdk').setup,
  'sdk-retry': () => (o) => require('./contenders/sdk').setup({ ...o, retry: true }),
  fetch: () => require('./contenders/fetch').setup,
}

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
  const ids = JSON.parse(fs.readFileSync(spec.idsFile, 'utf8'))
  const make = CONTENDERS[spec.contender]
  if (!make) throw new Error(`unknown contender ${spec.contender}`)

  const setupCpu0 = process.cpuUsage()
  const setupT0 = performance.now()
  const contender = make()({ baseUrl: spec.baseUrl, token: spec.token, style: spec.style, observeWaits: spec.observeWaits })
  const setupMs = performance.now() - setupT0
  const setupCpu = process.cpuUsage(setupCpu0)
  const rssBeforeKb = Math.round(process.memoryUsage.rss() / 1024)

  const cpu0 = process.cpuUsage()
  const startedAtMs = Date.now()
  const t0 = performance.now()
  const results = await contender.run(ids, spec.concurrency)
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const usage = process.resourceUsage()

  const outcomes = {}
  const failedIds = []
  const errors = {}
  for (let i = 0; i < ids.length; i++) {
    const r = results[i]
    const outcome = r ? r.outcome : 'missing'
    outcomes[outcome] = (outcomes[outcome] || 0) + 1
    if (outcome !== 'closed') failedIds.push(ids[i])
    if (r && r.error) errors[r.error] = (errors[r.error] || 0) + 1
  }
  const out = {
    contender: spec.contender,
    n: ids.length,
    concurrency: spec.concurrency,
    wallMs,
    startedAtMs,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    maxRssKb: usage.maxRSS,
    rssBeforeKb,
    setupMs,
    setupCpuUs: setupCpu.user + setupCpu.system,
    outcomes,
    errors,
    notClosedIds: failedIds,
    self: contender.counters,
  }
  // Exit at once: keep-alive sockets and native runtimes must not hold the
  // process (its teardown is not part of the measurement anyway).
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0))
}

main().catch((e) => {
  process.stderr.write(`bench child failed: ${e && e.stack ? e.stack : e}\n`)
  process.exit(1)
})
