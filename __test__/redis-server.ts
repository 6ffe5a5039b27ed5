// A real redis-server on a free loopback port, for the lease tests. Which
// binary: REDIS_SERVER_BIN (`npm test` sets it), else what scripts/redis.js
// finds or obtains (PATH, target/tools/redis, Debian packages unpacked there).
// No persistence: every start is empty.
import { spawn, ChildProcess } from 'node:child_process'
import net from 'node:net'
import Redis from 'ioredis'
const { ensureRedisServer } = require('../scripts/redis') as { ensureRedisServer: (o?: { log?: (m: string) => void }) => string }

export interface RedisServer {
  port: number
  url: string
  /** Stops it (SIGKILL: a crash, not a shutdown). */
  kill(): Promise<void>
  /** Starts it again on the same port (empty). */
  restart(): Promise<void>
}

let binary: string | undefined
/** The redis-server to run; throws with what to install when there is none. */
export function redisServerBinary(): string {
  binary ??= ensureRedisServer({ log: () => {} })
  return binary
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

function launch(bin: string, port: number): Promise<ChildProcess> {
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve(child)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}: ${out}`))
    })
  })
}

export async function startRedis(): Promise<RedisServer> {
  const bin = redisServerBinary()
  const port = await freePort()
  let child = await launch(bin, port)
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill()
      child = await launch(bin, port)
    },
  }
}

/**
 * ioredis connections to a test server: they fail fast (no retries per
 * request, errors left to the calls) and are closed together.
 */
export function redisConnections(server: () => RedisServer): { connect(): Promise<Redis>; closeAll(): void } {
  const open: Redis[] = []
  return {
    async connect() {
      const c = new Redis(server().port, '127.0.0.1', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => 100 })
      c.on('error', () => undefined)
      await c.connect()
      open.push(c)
      return c
    },
    closeAll() {
      for (const c of open.splice(0)) c.disconnect()
    },
  }
}
