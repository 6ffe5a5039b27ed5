#!/usr/bin/env node
'use strict'
// Installable tarballs of this checkout, as npm would publish them, for
// trying the package in another project before a release:
//
//   node scripts/pack.js [--out DIR] [--addon FILE] [--emulator FILE] [--json]
//   cd ../my-app && npm install DIR/genesys-cleanup-0.1.0.tgz DIR/genesys-cleanup-linux-x64-gnu-0.1.0.tgz
//
// Two tarballs: the main package, with package.json as `napi pre-publish`
// makes it (every platform package in `optionalDependencies`, at this
// version), and this host's platform package (npm/<platform> with the addon
// and the emulator built here). A plain `npm pack` has no
// `optionalDependencies`, so installing it alone leaves the addon out.
// Not for publishing: the release workflow builds and checks its own
// binaries (scripts/npm-artifacts.js refuses a non-release addon); this takes
// whatever build is in the checkout (default: the addon in its root and the
// emulator that `genesys-cleanup/testing` would find).
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const artifacts = require('./npm-artifacts')

const ROOT = path.join(__dirname, '..')

function npm(args, cwd) {
  // npm is a .cmd script on Windows, which only a shell starts.
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', shell: process.platform === 'win32' })
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} (in ${cwd}) exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

/** The files `npm pack` would ship from `dir` (its `files` list and npm's own rules). */
function packedFiles(dir) {
  return JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], dir))[0].files.map((f) => f.path)
}

/** `npm pack` of `dir` into `out`; the tarball's path. */
function packInto(dir, out) {
  return path.join(out, npm(['pack', '--ignore-scripts', '--pack-destination', out], dir).trim().split('\n').pop())
}

/**
 * Packs the main package and this host's platform package into `out`.
 * Returns `{ main, platform, platformPackage }`: the two tarballs' paths and
 * the platform package's name.
 */
function pack({ out, addon, emulator } = {}) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const platformArchABI = artifacts.hostPlatformArchABI()
  if (!artifacts.targets(pkg).some((t) => t.platformArchABI === platformArchABI)) {
    throw new Error(`${platformArchABI} is not in package.json napi.targets: there is no platform package to pack`)
  }
  addon = addon ?? path.join(ROOT, artifacts.addonName(pkg, platformArchABI))
  if (!fs.existsSync(addon)) throw new Error(`${addon} is missing: run \`node scripts/build.js\` (or \`npm run build\`) first`)
  emulator = emulator ?? require('../testing').findEmulatorBinary()
  out = path.resolve(out ?? path.join(ROOT, 'target', 'pack'))
  fs.mkdirSync(out, { recursive: true })
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-cleanup-pack-'))
  try {
    const main = path.join(stage, 'main')
    for (const f of packedFiles(ROOT)) {
      if (f === 'package.json') continue
      fs.mkdirSync(path.dirname(path.join(main, f)), { recursive: true })
      fs.copyFileSync(path.join(ROOT, f), path.join(main, f))
    }
    fs.writeFileSync(path.join(main, 'package.json'), `${JSON.stringify(artifacts.publishManifest(pkg), null, 2)}\n`)
    const platform = path.join(stage, 'platform')
    fs.cpSync(path.join(ROOT, 'npm', platformArchABI), platform, { recursive: true })
    artifacts.placePlatformBinaries({ addon, emulator, destDir: platform, platformArchABI, pkg })
    return {
      main: packInto(main, out),
      platform: packInto(platform, out),
      platformPackage: `${pkg.name}-${platformArchABI}`,
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true })
  }
}

module.exports = { pack, packedFiles }

if (require.main === module) {
  const argv = process.argv.slice(2)
  const arg = (name) => {
    const i = argv.indexOf(name)
    return i === -1 ? undefined : argv[i + 1]
  }
  try {
    const r = pack({ out: arg('--out'), addon: arg('--addon'), emulator: arg('--emulator') })
    if (argv.includes('--json')) console.log(JSON.stringify(r))
    else console.log(`${r.main}\n${r.platform}\n\nInstall both: npm install ${r.main} ${r.platform}`)
  } catch (e) {
    console.error(`pack: ${e.message}`)
    process.exit(1)
  }
}
