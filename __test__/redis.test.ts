// genesys-cleanup/redis over a real redis-server, with both client libraries.
import Redis from 'ioredis'
import { createClient } from 'redis'
import { redisLease } from '../redis'
import { isCleanupError } from '../index'
import { startRedis, RedisServer } from './redis-server'

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.kill()
})

type Client = { name: string; make: () => Promise<object>; close: (c: object) => Promise<void> }
const CLIENTS: Client[] = [
  {
    name: 'ioredis',
    make: async () => {
      const c = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true })
      await c.connect()
      return c
    },
    close: async (c) => void (c as Redis).disconnect(),
  },
  {
    name: 'node-redis',
    make: async () => {
      const c = createClient({ url: server.url, socket: { reconnectStrategy: false } })
      c.on('error', () => undefined)
      await c.connect()
      return c
    },
    close: async (c) => {
      const r = c as ReturnType<typeof createClient>
      if (r.isOpen) await r.disconnect()
    },
  },
]

describe.each(CLIENTS)('redisLease with $name', ({ make, close }) => {
  let a: object
  let b: object
  beforeEach(async () => {
    a = await make()
    b = await make()
  })
  afterEach(async () => {
    await close(a)
    await close(b)
  })

  test('one holder at a time; renew and release only by the holder', async () => {
    const name = `genesys-cleanup:org-${Math.random()}:sweep`
    const one = redisLease(a, { ttlMs: 5000 })
    const two = redisLease(b, { ttlMs: 5000 })
    expect(one.holder).not.toBe(two.holder)
    expect(await one.acquire(name)).toBe(true)
    expect(await two.acquire(name)).toBe(false)
    // A second job of the same holder does not share the first one's lease.
    expect(await one.acquire(name)).toBe(false)
    expect(await one.renew(name)).toBe(true)
    expect(await two.renew(name)).toBe(false)
    await two.release(name)
    expect(await two.acquire(name)).toBe(false)
    await one.release(name)
    expect(await two.acquire(name)).toBe(true)
    expect(await one.renew(name)).toBe(false)
  })

  test('a holder that stops renewing loses the lease after the TTL', async () => {
    const name = `genesys-cleanup:org-${Math.random()}:sweep`
    const one = redisLease(a, { ttlMs: 1000 })
    const two = redisLease(b, { ttlMs: 1000 })
    expect(await one.acquire(name)).toBe(true)
    const t0 = Date.now()
    while (!(await two.acquire(name))) await new Promise((r) => setTimeout(r, 50))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
    expect(Date.now() - t0).toBeLessThan(2500)
    expect(await one.renew(name)).toBe(false)
  })

  test('the key option names the key whatever the job', async () => {
    const key = `custom-${Math.random()}`
    const one = redisLease(a, { key, ttlMs: 5000 })
    expect(await one.acquire('ignored')).toBe(true)
    expect(await redisLease(b, { ttlMs: 5000 }).acquire(key)).toBe(false)
    await one.release('ignored')
  })
})

test('bad arguments are typed errors', () => {
  for (const bad of [undefined, null, 42, {}, { eval() {} }]) {
    let e: unknown
    try {
      redisLease(bad as object)
    } catch (x) {
      e = x
    }
    expect(isCleanupError(e) && e.code).toBe('ERR_INVALID_ARGUMENT')
  }
  const fake = { status: 'ready', eval: async () => 0, set: async () => 'OK', get: async () => null }
  for (const ttlMs of [0, 999, 1.5, 3_600_001, NaN]) expect(() => redisLease(fake, { ttlMs })).toThrow(/ttlMs/)
  expect(() => redisLease(fake, { key: '' })).toThrow(/key/)
  // Every option is validated: a timeout that leaves Redis no time, or more
  // than a renewal interval, is refused, as are unknown keys.
  for (const timeoutMs of [-5, NaN, 'abc', 0, 9, 1.5, 10_001, Symbol('t'), {}]) {
    let e: unknown
    try {
      redisLease(fake, { ttlMs: 30_000, timeoutMs: timeoutMs as number })
    } catch (x) {
      e = x
    }
    expect(isCleanupError(e) && e.code).toBe('ERR_INVALID_ARGUMENT')
    expect((e as Error).message).toMatch(/timeoutMs/)
  }
  expect(redisLease(fake, { ttlMs: 30_000, timeoutMs: 10_000 }).ttlMs).toBe(30_000)
  expect(() => redisLease(fake, { ttl: 5000 } as object)).toThrow(/"ttl"/)
  expect(() => redisLease(fake, 'x' as unknown as object)).toThrow(/options must be an object/)
})

test('one holder, two jobs on one name: the second is refused, and each release frees only its own', async () => {
  const a = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 })
  const b = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 })
  try {
    const name = `genesys-cleanup:org-${Math.random()}:sweep`
    const lease = redisLease(a, { ttlMs: 5000 })
    const other = redisLease(b, { ttlMs: 5000 })
    expect(await lease.acquire(name)).toBe(true)
    // The second job of the same holder: refused, so it never releases.
    expect(await lease.acquire(name)).toBe(false)
    const held = await a.get(name)
    expect(held).toMatch(new RegExp(`^${lease.holder}:`))
    await lease.release(name)
    expect(await a.get(name)).toBeNull()
    // A release after the key went to another holder frees nothing.
    expect(await other.acquire(name)).toBe(true)
    await lease.release(name)
    expect(await other.renew(name)).toBe(true)
    // Taken again by the first holder later: a fresh token, not the old one.
    await other.release(name)
    expect(await lease.acquire(name)).toBe(true)
    expect(await a.get(name)).not.toBe(held)
    await lease.release(name)
  } finally {
    a.disconnect()
    b.disconnect()
  }
})

test('a Redis that is gone fails the renewal within the timeout, never hangs', async () => {
  const c = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => 200 })
  await c.ping()
  const lease = redisLease(c, { ttlMs: 3000, timeoutMs: 300 })
  const name = `genesys-cleanup:org-${Math.random()}:sweep`
  expect(await lease.acquire(name)).toBe(true)
  await server.kill()
  const t0 = Date.now()
  await expect(lease.renew(name)).rejects.toThrow()
  expect(Date.now() - t0).toBeLessThan(1500)
  await server.restart()
  // Back, and empty: the lease is free to take again.
  for (let i = 0; i < 50 && c.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100))
  expect(await lease.acquire(name)).toBe(true)
  c.disconnect()
})
