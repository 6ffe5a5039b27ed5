#!/usr/bin/env node
'use strict'
// Profiles one contender run with Linux perf (sampling, all threads):
//
//   node bench/profile.js [contender=addon] [n=5000] [concurrency=64] [latencyMs=0]
//
// The release addon is stripped, so by default the unstripped dev-opt build
// (target/x86_64-unknown-linux-gnu/dev-opt/libgenesys_cleanup_node.so: same code, no LTO) is loaded
// through NAPI_RS_NATIVE_LIBRARY_PATH; set PROFILE_ADDON to use another file.
// Node runs with --perf-basic-prof so JavaScript frames have names. Prints the
// hottest symbols (self time) and leaves perf.data in a temp folder.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { startEmulator } = require('./emulator')

const ROOT = path.join(__dirname, '..')

async function main() {
  const [contender = 'addon', n = '5000', concurrency = '64', latencyMs = '0'] = process.argv.slice(2)
  const addon = process.env.PROFILE_ADDON || path.join(ROOT, 'target', 'x86_64-unknown-linux-gnu', 'dev-opt', 'libgenesys_cleanup_node.so')
  const bin = process.env.GENESYS_EMULATOR_BIN || path.join(ROOT, 'target', 'release', 'genesys-emulator')
  if (spawnSync('perf', ['--version']).status !== 0) throw new Error('perf is not installed (apt-get install linux-perf)')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-profile-'))
  const emu = await startEmulator(bin)
  try {
    await emu.configure({ latencyMs: Number(latencyMs), rateLimitPerMinute: 0 })
    const { ids } = await emu.seed({ count: Number(n), mix: { webmessaging: 1 }, endedFraction: 0, rngSeed: 1 })
    fs.writeFileSync(path.join(dir, 'ids.json'), JSON.stringify(ids))
    const spec = path.join(dir, 'spec.json')
    fs.writeFileSync(spec, JSON.stringify({ contender, idsFile: path.join(dir, 'ids.json'), concurrency: Number(concurrency), baseUrl: emu.url, token: 'cc-cleanup-token' }))
    // require() loads only a `.node` file as a native addon.
    const addonCopy = path.join(dir, 'genesys-cleanup.node')
    fs.copyFileSync(addon, addonCopy)
    const data = path.join(dir, 'perf.data')
    const rec = spawnSync('perf', ['record', '-F', '999', '--call-graph', process.env.PROFILE_CALLGRAPH || 'dwarf,16384', '-o', data, '--', process.execPath, '--perf-basic-prof', path.join(__dirname, 'child.js'), spec], {
      cwd: ROOT,
      env: { ...withoutCaCerts(process.env), NAPI_RS_NATIVE_LIBRARY_PATH: addonCopy },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    })
    if (rec.status !== 0) throw new Error(`perf record failed (${rec.status})`)
    const result = JSON.parse(rec.stdout.trim().split('\n').pop())
    console.log(`${contender}: ${n} closes, ${(result.wallMs / 1000).toFixed(2)} s, ${((result.cpuUserUs + result.cpuSystemUs) / Number(n)).toFixed(1)} us CPU/close`)
    for (const sort of ['dso', 'dso,sym']) {
      const rep = spawnSync('perf', ['report', '-i', data, '--no-children', '--sort', sort, '--stdio', '--percent-limit', sort === 'dso' ? '0.5' : '0.7', '-g', 'none'], { encoding: 'utf8', maxBuffer: 1 << 26 })
      console.log(rep.stdout.split('\n').filter((l) => l && !l.startsWith('#')).join('\n'))
    }
    console.log(`perf data: ${data}`)
  } finally {
    await emu.stop()
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e)
  process.exit(1)
})

// NODE_EXTRA_CA_CERTS makes every Node start parse a CA bundle: not the user's cost.
function withoutCaCerts(env) {
  const copy = { ...env }
  delete copy.NODE_EXTRA_CA_CERTS
  return copy
}
