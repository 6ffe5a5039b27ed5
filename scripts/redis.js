#!/usr/bin/env node
'use strict'
// A real redis-server for the lease and Redis test suites, found or obtained
// without changing the system. In this order:
//   1. REDIS_SERVER_BIN, when set (it must run);
//   2. `redis-server` on PATH;
//   3. the copy cached in target/tools/redis by an earlier run;
//   4. on Debian/Ubuntu: `apt-get download` of the redis-server and
//      redis-tools packages and of the shared libraries they need that the
//      system lacks, unpacked (dpkg-deb -x) into target/tools/redis and run
//      through a wrapper that sets LD_LIBRARY_PATH. Nothing is installed: no
//      root needed, except for `apt-get update` when the machine has no
//      package lists yet (then only as root).
// Where none of that works it fails with what to install.
//
//   node scripts/redis.js     prints the path of the redis-server it found or obtained
//
// From code: `ensureRedisServer()` returns that path (throws RedisUnavailable
// with the instructions); `findRedisServer()` does steps 1-3 only.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const ROOT = path.join(__dirname, '..')
const TOOLS = path.join(ROOT, 'target', 'tools')
const CACHED = path.join(TOOLS, 'redis', 'redis-server')
// redis-tools carries the binary (redis-server is a link to redis-check-rdb).
const PACKAGES = ['redis-server', 'redis-tools']

const HOW_TO_INSTALL =
  'Install Redis (Debian/Ubuntu: `apt-get install redis-server`; Fedora: `dnf install redis`; ' +
  'macOS: `brew install redis`), or set REDIS_SERVER_BIN to a redis-server binary.'

class RedisUnavailable extends Error {
  constructor(reason) {
    super(`The lease and Redis tests need a redis-server, and none could be found or obtained: ${reason}\n${HOW_TO_INSTALL}`)
    this.name = 'RedisUnavailable'
    this.code = 'ERR_REDIS_UNAVAILABLE'
  }
}

/** The version line of a working redis-server at `bin`, or undefined. */
function versionOf(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 })
  return r.status === 0 && /Redis server/.test(r.stdout) ? r.stdout.trim() : undefined
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

/** Steps 1-3: REDIS_SERVER_BIN, PATH, the cached copy. Throws if REDIS_SERVER_BIN is set but does not run. */
function findRedisServer() {
  const fromEnv = process.env.REDIS_SERVER_BIN
  if (fromEnv) {
    if (!versionOf(fromEnv)) throw new RedisUnavailable(`REDIS_SERVER_BIN=${fromEnv} does not run (\`${fromEnv} --version\` failed).`)
    return fromEnv
  }
  const system = onPath('redis-server')
  if (system && versionOf(system)) return system
  if (fs.existsSync(CACHED) && versionOf(CACHED)) return CACHED
  return undefined
}

function sh(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...options })
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

/** The first-alternative `Depends:` of a package, per apt-cache. */
function dependsOf(pkg) {
  const r = sh('apt-cache', ['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', pkg])
  if (r.status !== 0) return []
  const out = []
  let alternative = false
  for (const line of r.stdout.split('\n')) {
    // "  Depends: libc6", " |Depends: libsystemd0" (an alternative follows), "    libelogind0"
    const m = /^\s*(\|)?(?:Pre)?Depends:\s*<?([^\s>]+)>?/.exec(line)
    if (m) {
      if (!alternative) out.push(m[2])
      alternative = Boolean(m[1])
    }
  }
  return out
}

function installed(pkg) {
  const r = sh('dpkg-query', ['-W', '-f=${Status}', pkg])
  return r.status === 0 && /install ok installed/.test(r.stdout)
}

/** Step 4: apt-get download + dpkg-deb -x into target/tools/redis; returns the wrapper's path. */
function obtainWithApt(log) {
  if (process.platform !== 'linux' || !onPath('apt-get') || !onPath('dpkg-deb')) {
    throw new RedisUnavailable('no redis-server on PATH, and no apt-get/dpkg-deb to fetch one into target/tools.')
  }
  fs.mkdirSync(TOOLS, { recursive: true })
  const work = fs.mkdtempSync(path.join(TOOLS, 'redis-download-'))
  try {
    // The shared libraries redis-tools needs that the system lacks (liblzf1,
    // libjemalloc2, ...): unpacked beside it. Not adduser & co: only lib*.
    // Read from the package lists, so again after an `apt-get update`.
    let wanted = []
    const download = () => {
      const libs = dependsOf('redis-tools').filter((p) => /^lib/.test(p) && !installed(p))
      wanted = [...PACKAGES, ...libs]
      log(`redis: fetching ${wanted.join(', ')} with apt-get download (unpacked into target/tools/redis, nothing installed)`)
      return sh('apt-get', ['download', '-q', ...wanted], { cwd: work })
    }
    let r = download()
    if (r.status !== 0) {
      // Usually: no package lists yet on a new machine.
      if (!isRoot()) {
        throw new RedisUnavailable(`\`apt-get download ${wanted.join(' ')}\` failed (${lastLine(r)}); the package lists may be missing, and \`apt-get update\` needs root.`)
      }
      log('redis: apt-get download failed; running apt-get update (package lists only) and trying again')
      const u = sh('apt-get', ['update', '-q'])
      if (u.status !== 0) throw new RedisUnavailable(`\`apt-get update\` failed (${lastLine(u)}).`)
      r = download()
      if (r.status !== 0) throw new RedisUnavailable(`\`apt-get download ${wanted.join(' ')}\` failed (${lastLine(r)}).`)
    }
    const root = path.join(work, 'root')
    for (const deb of fs.readdirSync(work).filter((f) => f.endsWith('.deb'))) {
      const x = sh('dpkg-deb', ['-x', path.join(work, deb), root])
      if (x.status !== 0) throw new RedisUnavailable(`\`dpkg-deb -x ${deb}\` failed (${lastLine(x)}).`)
    }
    const real = path.join(root, 'usr', 'bin', 'redis-server')
    if (!fs.existsSync(real)) throw new RedisUnavailable('the downloaded packages hold no usr/bin/redis-server.')
    const libDirs = ['usr/lib/x86_64-linux-gnu', 'usr/lib/aarch64-linux-gnu', 'lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu', 'usr/lib', 'lib']
    // The wrapper execs the binary (the same process: signals reach Redis).
    const dest = path.dirname(CACHED)
    const wrapper = [
      '#!/bin/sh',
      '# redis-server unpacked from the Debian packages by scripts/redis.js (nothing installed).',
      'here="$(cd "$(dirname "$0")" && pwd)"',
      `LD_LIBRARY_PATH="${libDirs.map((d) => `$here/root/${d}`).join(':')}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"`,
      'export LD_LIBRARY_PATH',
      'exec "$here/root/usr/bin/redis-server" "$@"',
      '',
    ].join('\n')
    fs.writeFileSync(path.join(work, 'redis-server'), wrapper, { mode: 0o755 })
    for (const deb of fs.readdirSync(work).filter((f) => f.endsWith('.deb'))) fs.rmSync(path.join(work, deb))
    const staged = path.join(work, 'redis-server')
    const version = versionOf(staged)
    if (!version) {
      const ldd = sh('ldd', [real], { env: { ...process.env, LD_LIBRARY_PATH: libDirs.map((d) => path.join(root, d)).join(':') } })
      const missing = (ldd.stdout || '').split('\n').filter((l) => l.includes('not found')).map((l) => l.trim())
      throw new RedisUnavailable(`the unpacked redis-server does not run${missing.length ? ` (missing: ${missing.join(', ')})` : ''}.`)
    }
    // Two Jest workers may get here at once: the first rename wins, the other
    // keeps its work folder aside and uses the winner's.
    try {
      fs.renameSync(work, dest)
    } catch (e) {
      if (!fs.existsSync(CACHED) || !versionOf(CACHED)) throw e
    }
    log(`redis: ${version.split(' ').slice(0, 3).join(' ')} in ${path.relative(ROOT, CACHED)}`)
    return CACHED
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

function lastLine(r) {
  if (r.error) return r.error.message
  const text = `${r.stderr || ''}\n${r.stdout || ''}`.trim().split('\n').filter(Boolean)
  return text.length ? text[text.length - 1].trim() : `exit ${r.status}`
}

/** A working redis-server: found (steps 1-3) or obtained (step 4). Throws RedisUnavailable. */
function ensureRedisServer({ log = (m) => console.error(m) } = {}) {
  const found = findRedisServer()
  if (found) return found
  if (process.platform === 'darwin') throw new RedisUnavailable('no redis-server on PATH.')
  // A stale or broken cache is replaced.
  fs.rmSync(path.dirname(CACHED), { recursive: true, force: true })
  return obtainWithApt(log)
}

module.exports = { ensureRedisServer, findRedisServer, RedisUnavailable, HOW_TO_INSTALL, CACHED }

if (require.main === module) {
  try {
    console.log(ensureRedisServer())
  } catch (e) {
    console.error(e instanceof RedisUnavailable ? e.message : e)
    process.exit(1)
  }
}
