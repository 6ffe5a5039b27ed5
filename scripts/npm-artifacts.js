#!/usr/bin/env node
'use strict'
// Puts built binaries into the per-platform npm packages (npm/<platform>/):
// the native addon `genesys-cleanup.<platform>.node` and the emulator binary
// `genesys-emulator[.exe]` that `genesys-cleanup/testing` starts. `napi
// artifacts` only knows about the .node file, so the release workflow uses
// this instead.
//
//   node scripts/npm-artifacts.js --artifacts DIR [--npm-dir npm] [--allow-missing]
//
// DIR is searched recursively for `genesys-cleanup.<platform>.node`; the
// emulator must sit in the same directory. Each addon must be a release build
// (its build-profile marker says `release`) and, for ELF, stripped: a dev-opt
// or debug build is refused. Without --allow-missing every
// target in package.json's `napi.targets` must be present.
const fs = require('node:fs')
const path = require('node:path')

const ARCH = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }

/**
 * A Rust target triple as napi-rs names its platform, e.g.
 * `x86_64-unknown-linux-gnu` -> `linux-x64-gnu`, `aarch64-apple-darwin` ->
 * `darwin-arm64`, `x86_64-pc-windows-msvc` -> `win32-x64-msvc` (the targets
 * this package builds; the test checks the names against npm/, which
 * `napi create-npm-dirs` made).
 */
function parseTriple(triple) {
  const parts = triple.split('-')
  const arch = ARCH[parts[0]]
  let platform
  let abi = null
  if (parts.includes('darwin')) platform = 'darwin'
  else if (parts.includes('windows')) {
    platform = 'win32'
    abi = parts[parts.length - 1]
  } else if (parts.includes('linux')) {
    platform = 'linux'
    abi = parts[parts.length - 1]
  }
  if (!arch || !platform) throw new Error(`unsupported target triple ${triple}`)
  return { triple, platform, arch, abi, platformArchABI: [platform, arch, abi].filter(Boolean).join('-') }
}

const ROOT = path.join(__dirname, '..')
const rootPackage = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))

/** `napi.targets` of package.json, parsed (`platformArchABI` is e.g. `linux-x64-gnu`). */
function targets(pkg = rootPackage()) {
  return pkg.napi.targets.map((t) => parseTriple(t))
}

function emulatorName(platformArchABI) {
  return platformArchABI.startsWith('win32-') ? 'genesys-emulator.exe' : 'genesys-emulator'
}

function addonName(pkg, platformArchABI) {
  return `${pkg.napi.binaryName}.${platformArchABI}.node`
}

/** The platform of this host as napi names it, e.g. `linux-x64-gnu`. */
function hostPlatformArchABI() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const report = process.report.getReport()
    return `linux-${arch}-${report.header.glibcVersionRuntime ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/**
 * The root package.json as `napi pre-publish` makes it before `npm publish`:
 * every platform package, at the same version, in `optionalDependencies`.
 */
function publishManifest(pkg = rootPackage()) {
  const optionalDependencies = { ...(pkg.optionalDependencies || {}) }
  for (const t of targets(pkg)) optionalDependencies[`${pkg.name}-${t.platformArchABI}`] = pkg.version
  return { ...pkg, optionalDependencies }
}

/** Copies one platform's addon and emulator into `destDir` (an npm/<platform> package). */
function placePlatformBinaries({ addon, emulator, destDir, platformArchABI, pkg = rootPackage() }) {
  fs.mkdirSync(destDir, { recursive: true })
  fs.copyFileSync(addon, path.join(destDir, addonName(pkg, platformArchABI)))
  const emulatorDest = path.join(destDir, emulatorName(platformArchABI))
  fs.copyFileSync(emulator, emulatorDest)
  fs.chmodSync(emulatorDest, 0o755)
}

/** The section names of an ELF file, or null when `buf` is not ELF. */
function elfSectionNames(buf) {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) return null
  const is64 = buf[4] === 2
  const le = buf[5] === 1
  const u16 = (o) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o))
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o))
  const word = (o) => (is64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o))
  const shoff = word(is64 ? 0x28 : 0x20)
  const shentsize = u16(is64 ? 0x3a : 0x2e)
  const shnum = u16(is64 ? 0x3c : 0x30)
  const shstrndx = u16(is64 ? 0x3e : 0x32)
  if (shoff === 0 || shnum === 0 || shoff + shnum * shentsize > buf.length) return []
  const header = (i) => shoff + i * shentsize
  const strtab = word(header(shstrndx) + (is64 ? 0x18 : 0x10))
  const names = []
  for (let i = 0; i < shnum; i++) {
    const at = strtab + u32(header(i))
    const end = buf.indexOf(0, at)
    names.push(buf.toString('latin1', at, end === -1 ? buf.length : end))
  }
  return names
}

const PROFILE_MARKER = Buffer.from('genesys-cleanup-build-profile=')

/** The cargo profile an addon was built with (src/build_marker.rs), or null when it has no marker. */
function buildProfile(buf) {
  const at = buf.indexOf(PROFILE_MARKER)
  if (at === -1) return null
  const start = at + PROFILE_MARKER.length
  const end = buf.indexOf(';', start)
  return end === -1 || end - start > 64 ? null : buf.toString('latin1', start, end)
}

/**
 * Why this addon must not be published, or null when it may: it must be
 * built with the release profile (the marker of src/build_marker.rs says so)
 * and, for ELF, carry no symbol table or debug sections (release strips them).
 * `npm test` leaves the unstripped dev-opt build in the checkout; this keeps
 * it out of a package.
 */
function releaseAddonProblem(file) {
  const buf = fs.readFileSync(file)
  const profile = buildProfile(buf)
  if (profile !== 'release') {
    return `${file} is a ${profile === null ? 'build without a profile marker (an old or foreign build)' : `${profile} build`}, not a release build: build it with \`npx napi build --platform --release\` (or \`npm run build\`)`
  }
  const sections = elfSectionNames(buf)
  const unstripped = (sections ?? []).filter((n) => n === '.symtab' || n.startsWith('.debug'))
  if (unstripped.length > 0) return `${file} is not stripped (it has ${unstripped.join(', ')}): the release profile strips symbols (Cargo.toml strip = "symbols")`
  return null
}

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) walk(p, out)
    else out.push(p)
  }
  return out
}

function main(argv) {
  const arg = (name, fallback) => {
    const i = argv.indexOf(name)
    return i === -1 ? fallback : argv[i + 1]
  }
  const artifacts = arg('--artifacts')
  if (!artifacts) throw new Error('usage: npm-artifacts.js --artifacts DIR [--npm-dir npm] [--allow-missing]')
  const npmDir = path.resolve(arg('--npm-dir', path.join(ROOT, 'npm')))
  const pkg = rootPackage()
  const known = new Map(targets(pkg).map((t) => [t.platformArchABI, t]))
  const placed = new Set()
  const prefix = `${pkg.napi.binaryName}.`
  for (const file of walk(path.resolve(artifacts))) {
    const base = path.basename(file)
    if (!base.startsWith(prefix) || !base.endsWith('.node')) continue
    const platformArchABI = base.slice(prefix.length, -'.node'.length)
    if (!known.has(platformArchABI)) throw new Error(`${file}: ${platformArchABI} is not in napi.targets`)
    if (placed.has(platformArchABI)) throw new Error(`${platformArchABI}: more than one ${base} under ${artifacts}`)
    const emulator = path.join(path.dirname(file), emulatorName(platformArchABI))
    if (!fs.existsSync(emulator)) throw new Error(`${platformArchABI}: ${emulator} is missing (the emulator must sit next to ${base})`)
    const destDir = path.join(npmDir, platformArchABI)
    if (!fs.existsSync(path.join(destDir, 'package.json'))) throw new Error(`${destDir}/package.json is missing`)
    const problem = releaseAddonProblem(file)
    if (problem !== null) throw new Error(problem)
    placePlatformBinaries({ addon: file, emulator, destDir, platformArchABI, pkg })
    placed.add(platformArchABI)
    console.log(`${platformArchABI}: ${base} + ${path.basename(emulator)} -> ${path.relative(process.cwd(), destDir) || '.'}`)
  }
  const missing = [...known.keys()].filter((k) => !placed.has(k))
  if (missing.length > 0 && !argv.includes('--allow-missing')) throw new Error(`no binaries for: ${missing.join(', ')}`)
}

module.exports = {
  parseTriple,
  targets,
  emulatorName,
  addonName,
  hostPlatformArchABI,
  publishManifest,
  placePlatformBinaries,
  elfSectionNames,
  buildProfile,
  releaseAddonProblem,
}

if (require.main === module) {
  try {
    main(process.argv.slice(2))
  } catch (e) {
    console.error(`npm-artifacts: ${e.message}`)
    process.exit(1)
  }
}
