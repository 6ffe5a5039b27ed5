// Bulk close, pacing, idle discovery and sweep, over HTTP against the emulator.
import { CleanupClient, BulkProgress } from '../index'
import { emulatorPerFile, many, newConversation, randomUUID, SEED } from './helpers'

const emu = emulatorPerFile()

const client = (extra: Record<string, unknown> = {}) => new CleanupClient({ baseUrl: emu.url, ...SEED.cleanupClient, ...extra })

describe('closeConversations: nothing lost', () => {
  test('every input gets exactly one result, in input order', async () => {
    const open = await many(emu, 5)
    const ended = await newConversation(emu, { state: 'ended' })
    const whatsapp = await newConversation(emu, { type: 'whatsapp' })
    const unknown = randomUUID()
    const input: unknown[] = [open[0], 'abc', open[1], ended, 42, open[0], unknown, open[2], whatsapp, open[3].toUpperCase(), null, open[4], open[1]]
    const report = await client().closeConversations(input as string[])
    expect(report.results).toHaveLength(input.length)
    expect(report.results.map((r) => r.outcome)).toEqual([
      'closed', 'failed', 'closed', 'alreadyClosed', 'failed', 'duplicate', 'notFound', 'closed', 'skipped', 'closed', 'failed', 'closed', 'duplicate',
    ])
    expect(report.results[1]).toMatchObject({ conversationId: 'abc', error: { code: 'ERR_INVALID_CONVERSATION_ID' } })
    expect(report.results[4]).toMatchObject({ conversationId: '42', error: { code: 'ERR_INVALID_CONVERSATION_ID' } })
    expect(report.results[9].conversationId).toBe(open[3])
    expect(report).toMatchObject({ total: 13, closed: 5, alreadyClosed: 1, notFound: 1, skipped: 1, duplicate: 2, failed: 3, aborted: 0 })
    const sum = report.closed + report.alreadyClosed + report.notFound + report.skipped + report.wouldClose + report.duplicate + report.failed + report.aborted
    expect(sum).toBe(report.total)
    // Each open conversation was ended by exactly one PATCH.
    const patches = (await emu.requests()).filter((l) => l.method === 'PATCH')
    expect(patches).toHaveLength(5)
    expect(new Set(patches.map((p) => p.path)).size).toBe(5)
    expect(report.requests).toBe(1 + 5 * 2 + 3) // token + 5 open (GET+PATCH) + ended, unknown, whatsapp (GET)
  })

  test('an abort midway reports the rest as aborted and loses nothing', async () => {
    const ids = await many(emu, 120)
    await emu.configure({ latencyMs: 15 })
    const controller = new AbortController()
    const c = client()
    const seen: BulkProgress[] = []
    const run = c.closeConversations(ids, {
      concurrency: 4,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p)
        if (p.closed >= 20) controller.abort()
      },
      progressIntervalMs: 0,
    })
    const report = await run
    expect(report.results).toHaveLength(120)
    expect(report.aborted).toBeGreaterThan(0)
    expect(report.closed).toBeGreaterThanOrEqual(20)
    expect(report.closed + report.aborted + report.failed).toBe(120)
    expect(report.results.map((r) => r.conversationId)).toEqual(ids)
    // Nothing reported closed is still open; nothing reported aborted was double-counted.
    for (const r of report.results.filter((r) => r.outcome === 'closed').slice(0, 10)) {
      const stored = await emu.conversation(r.conversationId)
      expect(stored.participants.every((p: { state: string }) => p.state === 'disconnected')).toBe(true)
    }
    expect(seen.length).toBeGreaterThan(0)
  })

  test('progress is monotonic, bounded in rate, and ends at the total', async () => {
    const ids = await many(emu, 60)
    const seen: BulkProgress[] = []
    const report = await client().closeConversations(ids, { concurrency: 8, onProgress: (p) => seen.push(p), progressIntervalMs: 1000 })
    await new Promise((r) => setImmediate(r))
    expect(report.closed).toBe(60)
    const last = seen[seen.length - 1]
    expect(last).toMatchObject({ done: 60, total: 60, closed: 60 })
    for (let i = 1; i < seen.length; i++) expect(seen[i].done).toBeGreaterThanOrEqual(seen[i - 1].done)
    // One interval-limited update plus the final one for a run shorter than a second.
    expect(seen.length).toBeLessThanOrEqual(3)
  })

  test('fast mode: one request per conversation', async () => {
    const ids = await many(emu, 30)
    const report = await client({ accessToken: SEED.cleanupToken, clientId: undefined, clientSecret: undefined }).closeConversations(ids, { fast: true })
    expect(report.closed).toBe(30)
    expect(report.requests).toBe(30)
    expect(report.results.every((r) => 'requests' in r && r.requests === 1)).toBe(true)
  })

  test('rejected credentials fail every id with one token request, not one per id', async () => {
    const ids = await many(emu, 40)
    await emu.clearRequests()
    const report = await client({ clientSecret: 'wrong-secret' }).closeConversations(ids, { concurrency: 8 })
    expect(report.failed).toBe(40)
    expect(report.results.every((r) => r.outcome === 'failed' && r.error.code === 'ERR_UNAUTHORIZED')).toBe(true)
    const tokenRequests = (await emu.requests()).filter((l) => l.path === '/oauth/token')
    expect(tokenRequests).toHaveLength(1)
    expect(report.requests).toBe(1)
  })

  test('a scope refusal keeps its scopes in the bulk result', async () => {
    const [id] = await many(emu, 1)
    const report = await client({ accessToken: SEED.userNoScopeToken, clientId: undefined, clientSecret: undefined }).closeConversations([id])
    const r = report.results[0]
    expect(r.outcome).toBe('failed')
    if (r.outcome === 'failed') {
      expect(r.error).toMatchObject({ code: 'ERR_MISSING_SCOPE', status: 403 })
      expect(r.error.missingScopes).toContain('conversations')
    }
  })

  test('bad bulk arguments reject with ERR_INVALID_ARGUMENT', async () => {
    await expect(client().closeConversations('nope' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    await expect(client().closeConversations([], { concurrency: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    await expect(client().closeConversations([], { concurrency: 1.5 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    const empty = await client().closeConversations([])
    expect(empty).toMatchObject({ total: 0, results: [] })
  })
})

describe('pacing under the rate limit', () => {
  test('2000 conversations: under 1% answered 429, within 10% of the ideal time', async () => {
    const { ids } = await emu.seed({ count: 2000, mix: { webmessaging: 1 }, endedFraction: 0, ageMinMs: 3600_000, ageMaxMs: 7200_000, rngSeed: 7 })
    expect(ids).toHaveLength(2000)
    const windowMs = 2000
    const perWindow = 600
    await emu.configure({ rateLimitPerMinute: perWindow, rateWindowMs: windowMs })
    const c = client({ accessToken: SEED.cleanupToken, clientId: undefined, clientSecret: undefined })
    const report = await c.closeConversations(ids, { concurrency: 8 })
    expect(report.closed).toBe(2000)
    const requests = report.requests
    const idealMs = (requests / perWindow) * windowMs
    const stats = await emu.stats()
    // eslint-disable-next-line no-console
    console.log(`pacing: ${requests} requests, ${report.rateLimited} answered 429 (emulator counted ${stats.rateLimited}), ${Math.round(report.elapsedMs)} ms vs ideal ${Math.round(idealMs)} ms (${(report.elapsedMs / idealMs).toFixed(3)}x)`)
    expect(report.rateLimited).toBeLessThan(requests * 0.01)
    expect(report.elapsedMs).toBeLessThan(idealMs * 1.1)
  }, 120_000)
})

describe('idle discovery and sweep', () => {
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString()

  async function scene() {
    const idle: string[] = []
    for (let i = 0; i < 60; i++) idle.push(await newConversation(emu, { startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000 - i * 1000) }))
    const recent = await many(emu, 15, { startedAt: ago(3600_000), lastActivityAt: ago(5 * 60_000) })
    const ended = await many(emu, 10, { state: 'ended', startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) })
    const whatsapp = await many(emu, 10, { type: 'whatsapp', startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) })
    return { idle, recent, ended, whatsapp }
  }

  test('findIdleConversations pages to the end and returns exactly the idle web messaging ones', async () => {
    const { idle } = await scene()
    await emu.clearRequests()
    const found = await client().findIdleConversations({ idleForMs: 30 * 60_000, pageSize: 7 })
    expect(found.map((f) => f.conversationId).sort()).toEqual([...idle].sort())
    const queries = (await emu.requests()).filter((l) => l.path === '/api/v2/analytics/conversations/details/query')
    expect(queries.length).toBeGreaterThanOrEqual(Math.ceil(75 / 7))
    for (const f of found) {
      expect(f.idleMs).toBeGreaterThanOrEqual(30 * 60_000)
      expect(Date.parse(f.lastActivityAt)).toBeLessThan(Date.now() - 30 * 60_000)
      expect(f.participants).toBeGreaterThan(0)
    }
  })

  test('findIdleConversations requires idleForMs', async () => {
    await expect(client().findIdleConversations({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
  })

  test('a dry run writes nothing', async () => {
    const { idle } = await scene()
    await emu.clearRequests()
    const report = await client().sweep({ idleForMs: 30 * 60_000, dryRun: true })
    expect(report.dryRun).toBe(true)
    expect(report.found).toHaveLength(idle.length)
    expect(report.close.wouldClose).toBe(idle.length)
    expect(report.close.closed).toBe(0)
    const writes = (await emu.requests()).filter((l) => l.method === 'PATCH' || l.method === 'DELETE' || (l.method === 'POST' && l.path.startsWith('/api/v2/conversations')))
    expect(writes).toEqual([])
  })

  test('sweep closes the idle ones, leaves the rest, and a second sweep finds none', async () => {
    const { idle, recent, whatsapp } = await scene()
    const c = client()
    const report = await c.sweep({ idleForMs: 30 * 60_000, concurrency: 8 })
    expect(report.close.closed).toBe(idle.length)
    expect(report.close.total).toBe(idle.length)
    for (const id of [recent[0], whatsapp[0]]) {
      const stored = await emu.conversation(id)
      expect(stored.participants.some((p: { state: string }) => p.state === 'connected')).toBe(true)
    }
    expect(report.requests).toBeGreaterThan(report.close.requests)
    expect(report.elapsedMs).toBeGreaterThanOrEqual(report.close.elapsedMs)
    expect(report).toMatchObject({ retries: 0, rateLimited: 0, dryRun: false })
    const again = await c.sweep({ idleForMs: 30 * 60_000 })
    expect(again.found).toHaveLength(0)
  })

  test('analytics lag: the re-read spares conversations that already ended', async () => {
    const { idle } = await scene()
    await emu.configure({ analyticsLagMs: 600_000 })
    const c = client()
    await c.closeConversations(idle.slice(0, 20))
    await emu.clearRequests()
    const report = await c.sweep({ idleForMs: 30 * 60_000 })
    expect(report.found).toHaveLength(idle.length)
    expect(report.close.alreadyClosed).toBe(20)
    expect(report.close.closed).toBe(idle.length - 20)
    const patches = (await emu.requests()).filter((l) => l.method === 'PATCH')
    expect(patches).toHaveLength(idle.length - 20)
  })
})
