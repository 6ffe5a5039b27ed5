'use strict'
// The library at an earlier commit, built once, so that a benchmark can run
// it beside this tree in the same run ("before" and "after" on one machine,
// under one load). Used by bench/readwrite.js (the read-to-PATCH gap) and by
// `npm run bench -- --baseline REV` (CPU per close of a restructuring).
//
// The tree is `git archive REV` unpacked into target/bench-baseline/, with
// this checkout's node_modules linked in and its own addon built there. Its
// cargo target folder is shared between baselines (cargo rebuilds only what
// differs) and kept apart from target/ (a baseline build must not replace
// this tree's artefacts).

const { spawnSync, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const ADDON = 'genesys-cleanup.linux-x64-gnu.node'

/**
 * The folder of the library at `rev` built with `profile` ('dev-opt' or
 * 'release'): it holds index.js and the addon (`addonOf(dir)`).
 */
function baselineTree(rev, { profile = 'dev-opt' } = {}) {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim()
  const name = profile === 'dev-opt' ? sha.slice(0, 12) : `${sha.slice(0, 12)}-${profile}`
  const dir = path.join(ROOT, 'target', 'bench-baseline', name)
  if (fs.existsSync(addonOf(dir))) return dir
  console.log(`building the baseline library at ${sha.slice(0, 12)} (${profile}) into ${path.relative(ROOT, dir)} (once)...`)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const archive = execFileSync('git', ['archive', '--format=tar', sha], { cwd: ROOT, maxBuffer: 1 << 30 })
  execFileSync('tar', ['-x', '-C', dir], { input: archive })
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  const profileArgs = profile === 'release' ? ['--release'] : ['--profile', profile]
  const r = spawnSync('npx', ['napi', 'build', '--platform', ...profileArgs, '--js', 'binding.js', '--dts', 'binding.d.ts'], {
    cwd: dir,
    env: { ...process.env, CARGO_TARGET_DIR: path.join(ROOT, 'target', 'bench-baseline', 'cargo-target') },
    stdio: 'inherit',
  })
  if (r.status !== 0 || !fs.existsSync(addonOf(dir))) throw new Error(`could not build the baseline at ${sha}`)
  return dir
}

const addonOf = (dir) => path.join(dir, ADDON)

/** The short name a table shows for `rev`. */
const shortRev = (rev) => execFileSync('git', ['rev-parse', '--short', `${rev}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim()

module.exports = { baselineTree, addonOf, shortRev }
