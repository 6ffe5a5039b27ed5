'use strict'
// Test helper: starts and stops the bundled Genesys Cloud emulator, for Jest
// (`globalSetup`, or `beforeAll`) and for scripts. Talks to its admin API.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')

const EXE = process.platform === 'win32' ? 'genesys-emulator.exe' : 'genesys-emulator'

/** Where the emulator binary is: $GENESYS_EMULATOR_BIN, else a build in target/. */
function findEmulatorBinary() {
  if (process.env.GENESYS_EMULATOR_BIN) return process.env.GENESYS_EMULATOR_BIN
  const candidates = ['release', 'dev-opt', 'debug'].map((p) => path.join(__dirname, 'target', p, EXE))
  candidates.unshift(path.join(__dirname, 'emulator', EXE))
  const found = candidates.filter((c) => fs.existsSync(c)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
  if (found.length === 0) {
    throw new Error(`genesys-emulator binary not found (looked in ${candidates.join(', ')}). Build it with \`cargo build --release -p genesys-emulator\` or set GENESYS_EMULATOR_BIN.`)
  }
  return found[0]
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

  seed(spec) {
    return this.admin('POST', 'seed', spec)
  }

  script(entries) {
    return this.admin('POST', 'script', entries)
  }

  async requests(since) {
    const r = await this.admin('GET', since === undefined ? 'requests' : `requests?since=${since}`)
    return r.requests
  }

  clearRequests() {
    return this.admin('DELETE', 'requests')
  }

  stats() {
    return this.admin('GET', 'stats')
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }
}

/**
 * Starts an emulator on a free loopback port and resolves once it is ready.
 * @param {{args?: string[], bin?: string, startTimeoutMs?: number}} [options]
 */
function startEmulator(options = {}) {
  const bin = options.bin || findEmulatorBinary()
  const args = ['--port', '0', ...(options.args || [])]
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`genesys-emulator did not print its URL within ${options.startTimeoutMs || 10000} ms`))
    }, options.startTimeoutMs || 10000)
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => {
      clearTimeout(timer)
      // Keep draining stdout so the emulator never blocks on a full pipe.
      child.stdout.resume()
      resolve(new Emulator(child, line.trim()))
    })
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`genesys-emulator exited with code ${code} before it was ready`))
    })
  })
}

module.exports = { startEmulator, findEmulatorBinary, Emulator }
