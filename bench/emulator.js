'use strict'
// A separate genesys-emulator process for the benchmark, and its admin API
// (crates/emulator/README.md). Its stderr is kept (last 2 kB, for errors), not shown.
const { spawn } = require('node:child_process')
const readline = require('node:readline')

class BenchEmulator {
  constructor(child, url, stderr) {
    this.child = child
    this.url = url
    this.stderr = stderr
  }

  async admin(method, route, body) {
    const res = await fetch(`${this.url}/__emulator/${route}`, {
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

  seed(spec) {
    return this.admin('POST', 'seed', spec)
  }

  stats() {
    return this.admin('GET', 'stats')
  }

  async activeIds() {
    return (await this.admin('GET', 'conversations?state=active')).ids
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

/** Starts `bin` on a free loopback port; resolves once it printed its URL. */
function startEmulator(bin, args = []) {
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const stderr = { text: '' }
  child.stderr.on('data', (d) => (stderr.text = (stderr.text + d).slice(-2000)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`genesys-emulator did not start within 10 s: ${stderr.text}`))
    }, 10000)
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => {
      clearTimeout(timer)
      child.stdout.resume() // keep draining: never block the emulator on a full pipe
      resolve(new BenchEmulator(child, line.trim(), stderr))
    })
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`genesys-emulator exited with code ${code} before it was ready: ${stderr.text}`))
    })
  })
}

module.exports = { startEmulator }
