'use strict'
// Test helper: starts and stops the bundled Genesys Cloud emulator, for Jest
// (`globalSetup`, or `beforeAll`) and for scripts. Talks to its admin API.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')

const EXE = process.platform === 'win32' ? 'genesys-emulator.exe' : 'genesys-emulator'

function isMusl() {
  return process.platform === 'linux' && require('detect-libc').familySync() === require('detect-libc').MUSL
}

/**
 * Names of the per-platform packages (`optionalDependencies` of
 * genesys-cleanup) that may hold this host's emulator, best match first. Each
 * holds the native addon and the `genesys-emulator` binary built for it.
 */
function platformPackageNames() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const abis = isMusl() ? ['musl', 'gnu'] : ['gnu', 'musl']
    return abis.map((abi) => `genesys-cleanup-linux-${arch}-${abi}`)
  }
  if (platform === 'win32') return [`genesys-cleanup-win32-${arch}-msvc`]
  return [`genesys-cleanup-${platform}-${arch}`]
}

function fromPlatformPackage(looked) {
  for (const name of platformPackageNames()) {
    let dir
    try {
      dir = path.dirname(require.resolve(`${name}/package.json`, { paths: [__dirname] }))
    } catch {
      looked.push(`package ${name} (not installed)`)
      continue
    }
    const bin = path.join(dir, EXE)
    looked.push(bin)
    if (!fs.existsSync(bin)) continue
    if (process.platform !== 'win32') {
      // Some installers drop the executable bit; restore it when we may.
      try {
        fs.accessSync(bin, fs.constants.X_OK)
      } catch {
        try {
          fs.chmodSync(bin, 0o755)
        } catch {
          // spawn will then fail with EACCES, naming the file
        }
      }
    }
    return bin
  }
  return undefined
}

/**
 * Where the emulator binary is: $GENESYS_EMULATOR_BIN; else the newest build in
 * this checkout's target/ (development); else the one shipped in this
 * platform's package (`genesys-cleanup-<platform>`, installed with
 * genesys-cleanup as an optional dependency).
 */
function findEmulatorBinary() {
  if (process.env.GENESYS_EMULATOR_BIN) return process.env.GENESYS_EMULATOR_BIN
  const candidates = ['release', 'dev-opt', 'debug'].map((p) => path.join(__dirname, 'target', p, EXE))
  candidates.unshift(path.join(__dirname, 'emulator', EXE))
  const found = candidates.filter((c) => fs.existsSync(c)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
  if (found.length > 0) return found[0]
  const looked = [...candidates]
  const shipped = fromPlatformPackage(looked)
  if (shipped) return shipped
  throw new Error(
    `genesys-emulator binary not found (looked in ${looked.join(', ')}). ` +
      `Installed from npm, it comes with the platform package ${platformPackageNames()[0]} (an optional dependency: reinstall without --no-optional / --omit=optional). ` +
      'In a checkout, build it with `cargo build -p genesys-emulator`. Or set GENESYS_EMULATOR_BIN.',
  )
}

class Emulator {
  constructor(child, url) {
    this.child = child
    this.url = url
  }

  async admin(method, route, body) {
    const res = await fetch(`${this.url}/__emulator/${route.replace(/^\//, '')}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`emulator admin ${method} ${route} answered ${res.status}: ${text}`)
    return text ? JSON.parse(text) : undefined
  }

  configure(config) {
    return this.admin('PATCH', 'config', config)
  }

  reset() {
    return this.admin('POST', 'reset')
  }

  async createConversation(spec = {}) {
    return this.admin('POST', 'conversations', spec)
  }

  conversation(id) {
    return this.admin('GET', `conversations/${id}`)
  }

  postMessage(id, message = {}) {
    return this.admin('POST', `conversations/${id}/messages`, message)
  }

  transfer(id, spec) {
    return this.admin('POST', `conversations/${id}/transfer`, spec)
  }

  seed(spec) {
    return this.admin('POST', 'seed', spec)
  }

  createDivision(spec) {
    return this.admin('POST', 'divisions', spec)
  }

  createQueue(spec) {
    return this.admin('POST', 'queues', spec)
  }

  createRole(spec) {
    return this.admin('POST', 'roles', spec)
  }

  createClient(spec) {
    return this.admin('POST', 'clients', spec)
  }

  createUser(spec) {
    return this.admin('POST', 'users', spec)
  }

  createToken(spec) {
    return this.admin('POST', 'tokens', spec)
  }

  script(entries) {
    return this.admin('POST', 'script', entries)
  }

  async requests(since) {
    const r = await this.admin('GET', since === undefined ? 'requests' : `requests?since=${since}`)
    return r.requests
  }

  async revokeToken(token) {
    await this.admin('DELETE', `tokens/${encodeURIComponent(token)}`)
  }

  clearRequests() {
    return this.admin('DELETE', 'requests')
  }

  stats() {
    return this.admin('GET', 'stats')
  }

  /**
   * A new isolated organisation on this emulator, served on its own loopback
   * port: its own data, clients, tokens, scripts, rate-limit windows, config
   * and request log. Resolves to an `Emulator` handle on it; its `stop()`
   * deletes the org.
   */
  async org(spec = {}) {
    const created = await this.admin('POST', 'orgs', spec)
    return new Org(this, created.id, created.url)
  }

  /** Notification channels: topics, socket, events sent and dropped. */
  notifications() {
    return this.admin('GET', 'notifications')
  }

  /** A notification fault: `dropSocket`, `socketClosing`, `dropEvents` or `expire`. */
  notificationFault(kind, body = {}) {
    const route = { dropSocket: 'drop-socket', socketClosing: 'socket-closing', dropEvents: 'drop-events', expire: 'expire' }[kind]
    if (!route) return Promise.reject(new Error(`unknown notification fault ${kind}`))
    return this.admin('POST', `notifications/${route}`, body)
  }

  async stop() {
    // An emulator from connectEmulator() belongs to whoever started it.
    if (!this.child) return
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }
}

/** An isolated org on a running emulator (see `Emulator#org`). */
class Org extends Emulator {
  constructor(parent, id, url) {
    super(null, url)
    this.id = id
    this.parent = parent
  }

  async stop() {
    await this.parent.admin('DELETE', `orgs/${this.id}`)
  }
}

/**
 * Starts an emulator on a free loopback port and resolves once it is ready.
 * Its stderr is not shown unless `quiet: false`; the last 2 kB are kept in
 * `emulator.stderrTail` and quoted if it fails to start.
 * @param {{args?: string[], bin?: string, startTimeoutMs?: number, quiet?: boolean}} [options]
 */
function startEmulator(options = {}) {
  const bin = options.bin || findEmulatorBinary()
  const args = ['--host', '127.0.0.1', '--port', '0', ...(options.args || [])]
  // Quiet unless asked: its lines would interleave with the test output.
  const quiet = options.quiet !== false
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'] })
  const tail = { text: '' }
  if (quiet) child.stderr.on('data', (d) => (tail.text = (tail.text + d).slice(-2000)))
  const said = () => (tail.text ? `: ${tail.text.trim()}` : '')
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`genesys-emulator did not print its URL within ${options.startTimeoutMs || 10000} ms${said()}`))
    }, options.startTimeoutMs || 10000)
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => {
      clearTimeout(timer)
      // Keep draining stdout so the emulator never blocks on a full pipe.
      child.stdout.resume()
      const emulator = new Emulator(child, line.trim())
      Object.defineProperty(emulator, 'stderrTail', { get: () => tail.text })
      resolve(emulator)
    })
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`genesys-emulator exited with code ${code} before it was ready${said()}`))
    })
  })
}

/**
 * An `Emulator` handle on one that is already running, for example started by
 * Jest's `globalSetup` (which runs in another process than the test files):
 * `url` defaults to $GENESYS_EMULATOR_URL. Admin API only: `stop()` does nothing.
 * @param {string} [url]
 */
function connectEmulator(url = process.env.GENESYS_EMULATOR_URL) {
  if (!url) {
    throw new Error('connectEmulator: no URL given and GENESYS_EMULATOR_URL is not set (in globalSetup: process.env.GENESYS_EMULATOR_URL = emulator.url).')
  }
  return new Emulator(null, String(url).replace(/\/+$/, ''))
}

module.exports = { startEmulator, connectEmulator, findEmulatorBinary, Emulator, EmulatorOrg: Org }
