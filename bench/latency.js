'use strict'
// Latency scenarios of `npm run bench` (issue 11): how long rate limiting
// makes a run take, in every limiter mode of the emulator, for genesys-cleanup,
// the official SDK with a Retry-After wrapper and fetch with the same wrapper.
//
//   burst       300 requests per 60 s (the real per-token limit), 100 closes at
//               once (200 requests). Target: within 1.2x of the same run with
//               no limit, 0 429s.
//   sequential  300 per 60 s, 10 closes one after another on a fresh client.
//               Target: 0 ms added per close by pacing.
//   windows3    100 per 3 s, 125 closes (250 requests: 3 windows). Target:
//               within 1.1x of window-optimal, under 2% 429s.
//   windows20   100 per 3 s, 975 closes (1950 requests: 20 windows). Target:
//               within 1.05x of window-optimal, under 1% 429s.
//   shared      100 per 3 s, two processes with one token, 125 closes each
//               (500 requests: 5 windows). Target: under 2% 429s, all closed.
//
// Window-optimal: the allowance used in full each window, from the run's first
// request as the emulator logged it: fixed and sliding windows end
// (windows needed - 1) windows after it; aligned windows first end at the next
// multiple of the window length since the epoch. The measured span is first to
// last request in the emulator's log (every request, 429s included).

const path = require('node:path')
const fs = require('node:fs')

const MODES = [
  { id: 'fixed-up', rateLimitMode: 'fixed', rateResetRounding: 'up' },
  { id: 'fixed-down', rateLimitMode: 'fixed', rateResetRounding: 'down' },
  { id: 'aligned-up', rateLimitMode: 'aligned', rateResetRounding: 'up' },
  { id: 'aligned-down', rateLimitMode: 'aligned', rateResetRounding: 'down' },
  { id: 'sliding-up', rateLimitMode: 'sliding', rateResetRounding: 'up' },
  { id: 'sliding-down', rateLimitMode: 'sliding', rateResetRounding: 'down' },
]
const OFF = { id: 'off' }
const CONTENDERS = ['addon', 'sdk-retry', 'fetch']

const SCENARIOS = {
  burst: { limit: 300, windowMs: 60000, closes: 100, concurrency: 100, style: 'each', withOff: true, target: { vsOff: 1.2, share: 0 } },
  sequential: { limit: 300, windowMs: 60000, closes: 10, concurrency: 1, style: 'each', withOff: true, target: { addedMs: 0 } },
  windows3: { limit: 100, windowMs: 3000, closes: 125, concurrency: 16, style: 'bulk', target: { vsOptimal: 1.1, share: 0.02 } },
  windows20: { limit: 100, windowMs: 3000, closes: 975, concurrency: 16, style: 'bulk', target: { vsOptimal: 1.05, share: 0.01 } },
  shared: { limit: 100, windowMs: 3000, closes: 250, concurrency: 8, style: 'bulk', processes: 2, target: { share: 0.02 } },
}

function latencyCells(env) {
  const list = env.BENCH_LATENCY ? env.BENCH_LATENCY.split(',').map((s) => s.trim()) : Object.keys(SCENARIOS)
  const modes = env.BENCH_MODES ? MODES.filter((m) => env.BENCH_MODES.split(',').includes(m.id)) : MODES
  const cells = []
  for (const name of list) {
    const sc = SCENARIOS[name]
    if (!sc) throw new Error(`unknown latency scenario ${name} (${Object.keys(SCENARIOS).join(', ')})`)
    for (const mode of sc.withOff ? [OFF, ...modes] : modes) {
      cells.push({ name, mode, ...sc })
    }
  }
  return cells
}

/** The end of the window-optimal run, in epoch ms, for `requests` requests from `t0`. */
function optimalEndMs(mode, t0, requests, limit, windowMs) {
  const windows = Math.ceil(requests / limit)
  if (windows <= 1) return t0
  if (mode.rateLimitMode === 'aligned') {
    const firstEnd = t0 - (t0 % windowMs) + windowMs
    return firstEnd + (windows - 2) * windowMs
  }
  return t0 + (windows - 1) * windowMs
}

async function runLatencyCell(cell, contender, h) {
  const emu = await h.startEmulator()
  try {
    const config = { latencyMs: 0, rateLimitPerMinute: cell.mode.id === 'off' ? 0 : cell.limit, rateWindowMs: cell.windowMs }
    if (cell.mode.rateLimitMode) Object.assign(config, { rateLimitMode: cell.mode.rateLimitMode, rateResetRounding: cell.mode.rateResetRounding })
    await emu.configure(config)
    const seeded = await emu.seed({ count: cell.closes, mix: { webmessaging: 1 }, endedFraction: 0 })
    const processes = cell.processes || 1
    const share = Math.ceil(cell.closes / processes)
    const children = []
    for (let p = 0; p < processes; p++) {
      const idsFile = path.join(h.tmp, `ids-${p}.json`)
      fs.writeFileSync(idsFile, JSON.stringify(seeded.ids.slice(p * share, (p + 1) * share)))
      children.push(h.runChild({ contender, idsFile, concurrency: cell.concurrency, baseUrl: emu.url, token: h.token, style: cell.style, observeWaits: true }, h.timeoutMs, `spec-${p}.json`))
    }
    const done = await Promise.all(children)
    const failed = done.find((c) => !c.ok)
    if (failed) return { ok: false, error: failed.error }
    const log = (await emu.requests()).filter((r) => r.path.startsWith('/api/v2'))
    const active = new Set(await emu.activeIds())
    const requests = log.length
    const limited = log.filter((r) => r.status === 429).length
    const firstMs = Math.min(...log.map((r) => r.atMs))
    const lastMs = Math.max(...log.map((r) => r.atMs))
    const needed = cell.closes * 2
    const out = {
      ok: true,
      wallMs: Math.max(...done.map((c) => c.result.wallMs)),
      requests,
      limited,
      share: requests ? limited / requests : null,
      notClosed: active.size,
      spanMs: lastMs - firstMs,
      waits: done.map((c) => c.result.self && c.result.self.waits).filter(Boolean),
      waitedMs: done.reduce((s, c) => s + ((c.result.self && c.result.self.waitedMs) || 0), 0),
    }
    if (cell.mode.rateLimitMode && cell.windowMs <= 10000) {
      const optimalSpan = optimalEndMs(cell.mode, firstMs, needed, cell.limit, cell.windowMs) - firstMs
      out.optimalSpanMs = optimalSpan
      out.vsOptimal = optimalSpan > 0 ? out.spanMs / optimalSpan : null
    }
    return out
  } finally {
    await emu.stop()
  }
}

function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

async function runLatency(env, runs, h, log) {
  const cells = latencyCells(env)
  const results = []
  for (const cell of cells) {
    const row = { scenario: cell.name, mode: cell.mode.id, limit: cell.limit, windowMs: cell.windowMs, closes: cell.closes, target: cell.target, contenders: {} }
    const contenders = env.BENCH_CONTENDERS ? CONTENDERS.filter((c) => env.BENCH_CONTENDERS.split(',').includes(c)) : CONTENDERS
    for (const contender of contenders) {
      const rs = []
      // The short scenarios are cheap: medians of 3 at least.
      const n = cell.windowMs > 10000 ? Math.max(3, runs) : runs
      for (let i = 0; i < n; i++) {
        const r = await runLatencyCell(cell, contender, h)
        rs.push(r)
        log(
          r.ok
            ? `  ${cell.name} ${cell.mode.id.padEnd(12)} ${contender.padEnd(9)} wall ${(r.wallMs / 1000).toFixed(2)} s, span ${(r.spanMs / 1000).toFixed(2)} s${r.vsOptimal ? ` (${r.vsOptimal.toFixed(3)}x optimal)` : ''}, ${r.requests} requests, ${r.limited} x 429, ${r.notClosed} not closed${contender === 'addon' ? `, waited ${Math.round(r.waitedMs)} ms ${JSON.stringify(r.waits)}` : ''}`
            : `  ${cell.name} ${cell.mode.id} ${contender} FAILED: ${r.error}`
        )
      }
      const ok = rs.filter((r) => r.ok)
      row.contenders[contender] = {
        runs: rs,
        wallMs: median(ok.map((r) => r.wallMs)),
        spanMs: median(ok.map((r) => r.spanMs)),
        vsOptimal: median(ok.map((r) => r.vsOptimal)),
        share: median(ok.map((r) => r.share)),
        limited: median(ok.map((r) => r.limited)),
        notClosed: median(ok.map((r) => r.notClosed)),
        waitedMsPerClose: median(ok.map((r) => r.waitedMs / cell.closes)),
      }
    }
    results.push(row)
  }
  // Ratios to the same contender with no limit (burst, sequential).
  for (const row of results) {
    const off = results.find((r) => r.scenario === row.scenario && r.mode === 'off')
    if (!off || row === off) continue
    for (const [c, s] of Object.entries(row.contenders)) {
      const base = off.contenders[c]
      s.vsOff = base && base.wallMs ? s.wallMs / base.wallMs : null
      s.addedMsPerClose = base && base.wallMs !== null ? (s.wallMs - base.wallMs) / row.closes : null
    }
  }
  return results
}

const f = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d))
const pct = (x) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`)

/** Markdown table: one row per scenario and mode, genesys-cleanup vs the others. */
function latencyTable(results) {
  const lines = [
    '| scenario | mode | genesys-cleanup | 429s | SDK + Retry-After | 429s | fetch + Retry-After | 429s | target |',
    '|---|---|---|---|---|---|---|---|---|',
  ]
  for (const row of results) {
    if (row.mode === 'off') continue
    const cell = (c) => {
      const s = row.contenders[c]
      if (!s) return ['-', '-']
      let main
      if (row.scenario === 'burst') main = `${f(s.wallMs / 1000, 2)} s (${f(s.vsOff)}x no limit)`
      else if (row.scenario === 'sequential') main = `+${f(s.addedMsPerClose, 1)} ms/close${c === 'addon' ? ` (waited ${f(s.waitedMsPerClose, 1)})` : ''}`
      else if (row.scenario === 'shared') main = `${f(s.wallMs / 1000, 1)} s, ${s.notClosed} open`
      else main = `${f(s.spanMs / 1000, 2)} s (${f(s.vsOptimal, 3)}x)`
      return [main, `${s.limited} (${pct(s.share)})`]
    }
    const t = row.target
    const target = [
      t.vsOff && `<= ${t.vsOff}x no limit`,
      t.addedMs !== undefined && '0 ms added',
      t.vsOptimal && `<= ${t.vsOptimal}x optimal`,
      t.share !== undefined && `${t.share === 0 ? '0' : `< ${pct(t.share)}`} 429s`,
    ]
      .filter(Boolean)
      .join(', ')
    lines.push(`| ${row.scenario} | ${row.mode} | ${[...cell('addon'), ...cell('sdk-retry'), ...cell('fetch')].join(' | ')} | ${target} |`)
  }
  return lines.join('\n')
}

module.exports = { runLatency, latencyTable, SCENARIOS, MODES }
