// The rate budget over HTTP against the emulator: no wait while the token
// has budget, every wait bounded by the caller, absurd headers ignored or
// clamped, a boundary 429 teaching the rounding of `reset`, two clients
// sharing one token. Timings are generous bounds, never performance claims.
import { CleanupClient, ClientEvent } from '../index'
import { clientFor, emulatorPerFile, randomUUID, rejectionOf, requestsTo } from './helpers'

const emu = emulatorPerFile()
const MESSAGES = '/api/v2/conversations/messages/*'

/** A first read answered 404 with these rate-limit headers: the client learns them. */
async function teach(c: CleanupClient, headers: Record<string, string>) {
  await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { status: 404, headers } }])
  expect(await c.closeConversation(randomUUID())).toMatchObject({ outcome: 'notFound' })
}

const spent = (reset: string) => ({ 'inin-ratelimit-allowed': '1', 'inin-ratelimit-count': '1', 'inin-ratelimit-reset': reset })

describe('every wait is bounded by the caller', () => {
  test('the one-hour header fails fast with ERR_RATE_LIMITED and retryAfterMs, nothing sent', async () => {
    const c = clientFor(emu)
    await teach(c, spent('3600'))
    const before = (await emu.requests()).length
    const t0 = Date.now()
    const e = await rejectionOf(c.closeConversation(randomUUID()))
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(e).toMatchObject({ code: 'ERR_RATE_LIMITED' })
    expect(e.retryAfterMs).toBeGreaterThan(3_590_000)
    expect(e.retryAfterMs).toBeLessThanOrEqual(3_600_000)
    expect(e.message).toContain('maxRetryAfterMs')
    expect(await emu.requests()).toHaveLength(before)
  })

  test('allowed: 1, reset: 60 waits a window only if maxRetryAfterMs allows it', async () => {
    const c = clientFor(emu, { maxRetryAfterMs: 1000 })
    await teach(c, spent('60'))
    const e = await rejectionOf(c.closeConversation(randomUUID()))
    expect(e).toMatchObject({ code: 'ERR_RATE_LIMITED' })
    expect(e.retryAfterMs).toBeGreaterThan(59_000)
    expect(e.retryAfterMs).toBeLessThanOrEqual(60_000)
  })

  test('deadlineMs cuts a budget wait', async () => {
    const c = clientFor(emu, { deadlineMs: 500 })
    await teach(c, spent('20'))
    const t0 = Date.now()
    const e = await rejectionOf(c.closeConversation(randomUUID()))
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(e).toMatchObject({ code: 'ERR_RATE_LIMITED' })
    expect(e.message).toContain('deadlineMs')
  })

  test('the signal cuts a budget wait', async () => {
    const c = clientFor(emu)
    await teach(c, spent('20'))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const t0 = Date.now()
    const e = await rejectionOf(c.closeConversation(randomUUID(), { signal: controller.signal }))
    expect(e).toMatchObject({ code: 'ERR_ABORTED' })
    expect(Date.now() - t0).toBeLessThan(1500)
  })

  test('a wait within bounds is waited, announced with its reason', async () => {
    const events: ClientEvent[] = []
    const c = clientFor(emu, { onEvent: (e: ClientEvent) => events.push(e) })
    await teach(c, spent('1'))
    const r = await c.closeConversation(randomUUID())
    expect(r.outcome).toBe('notFound')
    const waits = events.filter((e) => e.kind === 'rateLimitWait')
    expect(waits.length).toBeGreaterThanOrEqual(1)
    expect(waits[0]).toMatchObject({ reason: 'budget' })
    expect(waits[0].waitMs).toBeGreaterThan(0)
    expect(waits[0].waitMs).toBeLessThanOrEqual(1000)
  })
})

describe('absurd rate-limit headers are ignored or clamped', () => {
  test.each([
    ['allowed 0', { 'inin-ratelimit-allowed': '0', 'inin-ratelimit-count': '5', 'inin-ratelimit-reset': '3600' }],
    ['negative allowed', { 'inin-ratelimit-allowed': '-5', 'inin-ratelimit-count': '5', 'inin-ratelimit-reset': '3600' }],
    ['non-numeric allowed', { 'inin-ratelimit-allowed': 'lots', 'inin-ratelimit-count': '1', 'inin-ratelimit-reset': '60' }],
    ['fractional allowed', { 'inin-ratelimit-allowed': '0.5', 'inin-ratelimit-count': '1', 'inin-ratelimit-reset': '60' }],
    ['a huge allowed (no real limit)', { 'inin-ratelimit-allowed': '1000000000000', 'inin-ratelimit-count': '1000000000000', 'inin-ratelimit-reset': '3600' }],
    ['non-numeric count', { 'inin-ratelimit-allowed': '300', 'inin-ratelimit-count': 'NaN', 'inin-ratelimit-reset': '60' }],
    ['negative reset', { 'inin-ratelimit-allowed': '300', 'inin-ratelimit-count': '1', 'inin-ratelimit-reset': '-4' }],
  ])('%s: the next request goes at once', async (_name, headers) => {
    const events: ClientEvent[] = []
    const c = clientFor(emu, { maxRetryAfterMs: 1000, onEvent: (e: ClientEvent) => events.push(e) })
    await teach(c, headers)
    const t0 = Date.now()
    expect(await c.closeConversation(randomUUID())).toMatchObject({ outcome: 'notFound' })
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(events.filter((e) => e.kind === 'rateLimitWait')).toHaveLength(0)
  })

  test('a reset beyond a day is clamped to a day', async () => {
    const c = clientFor(emu)
    await teach(c, spent('1e30'))
    const e = await rejectionOf(c.closeConversation(randomUUID()))
    expect(e).toMatchObject({ code: 'ERR_RATE_LIMITED' })
    expect(e.retryAfterMs).toBeGreaterThan(86_399_000)
    expect(e.retryAfterMs).toBeLessThanOrEqual(86_400_000)
  })

  test('an unknown pacing is refused', () => {
    expect(() => clientFor(emu, { pacing: 'turbo' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })
})

describe('spending the budget, then waiting for the window to turn', () => {
  async function run(rounding: 'up' | 'down', events: ClientEvent[]) {
    // 5 requests per 2 s window: 25 single-request closes need 5 windows.
    await emu.configure({ rateLimitPerMinute: 5, rateWindowMs: 2000, rateLimitMode: 'fixed', rateResetRounding: rounding })
    const { ids } = await emu.seed({ count: 25, mix: { webmessaging: 1 }, endedFraction: 0 })
    const report = await clientFor(emu, { onEvent: (e: ClientEvent) => events.push(e) }).closeConversations(ids, { fast: true, concurrency: 4 })
    const stats = await emu.stats()
    return { report, stats }
  }

  test('reset rounded up: no 429, every id closed', async () => {
    const events: ClientEvent[] = []
    const { report, stats } = await run('up', events)
    expect(report.closed).toBe(25)
    expect(stats.rateLimited).toBe(0)
    expect(events.some((e) => e.kind === 'rateLimitWait' && e.reason === 'budget')).toBe(true)
    // 4 window turns; generous bound (5 windows of 2 s would be 10 s).
    expect(report.elapsedMs).toBeLessThan(15_000)
  }, 30_000)

  test('reset rounded down: one 429 at the first boundary teaches the offset, none after', async () => {
    const events: ClientEvent[] = []
    const { report, stats } = await run('down', events)
    expect(report.closed).toBe(25)
    expect(stats.rateLimited).toBe(1)
    const limited = await requestsTo(emu, { status: 429 })
    const first = (await emu.requests()).find((r) => r.method === 'PATCH')!
    // The one 429 is at the end of the first window.
    expect(limited).toHaveLength(1)
    expect(limited[0].seq - first.seq).toBeLessThanOrEqual(5)
    expect(events.some((e) => e.kind === 'rateLimitWait' && e.reason === 'paused')).toBe(true)
    expect(report.elapsedMs).toBeLessThan(15_000)
  }, 30_000)
})

describe('the token shared, and smooth pacing', () => {
  test('two clients on one token (aligned windows): every id closed, few 429s', async () => {
    await emu.configure({ rateLimitPerMinute: 20, rateWindowMs: 2000, rateLimitMode: 'aligned' })
    const { ids } = await emu.seed({ count: 60, mix: { webmessaging: 1 }, endedFraction: 0 })
    const [a, b] = [clientFor(emu), clientFor(emu)]
    const reports = await Promise.all([
      a.closeConversations(ids.slice(0, 30), { fast: true, concurrency: 8 }),
      b.closeConversations(ids.slice(30), { fast: true, concurrency: 8 }),
    ])
    expect(reports[0].closed + reports[1].closed).toBe(60)
    const stats = await emu.stats()
    expect(stats.rateLimited).toBeLessThanOrEqual(6)
  }, 30_000)

  test("pacing: 'smooth' spaces requests evenly and says so", async () => {
    await emu.configure({ rateLimitPerMinute: 20, rateWindowMs: 2000 })
    const { ids } = await emu.seed({ count: 16, mix: { webmessaging: 1 }, endedFraction: 0 })
    const events: ClientEvent[] = []
    const report = await clientFor(emu, { pacing: 'smooth', onEvent: (e: ClientEvent) => events.push(e) }).closeConversations(ids, { fast: true, concurrency: 4 })
    expect(report.closed).toBe(16)
    expect((await emu.stats()).rateLimited).toBe(0)
    const waits = events.filter((e) => e.kind === 'rateLimitWait')
    expect(waits.length).toBeGreaterThan(0)
    expect(waits.every((e) => e.reason === 'smoothing')).toBe(true)
  }, 30_000)
})
