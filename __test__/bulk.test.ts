// Bulk close, pacing, idle discovery and sweep, over HTTP against the emulator.
import * as path from 'node:path'
import { BulkProgress, ClientEvent } from '../index'
import { emulatorPerFile, many, newConversation, randomUUID, runScript, SEED, clientFor, requestsTo, pathContaining, TOKEN_PATH } from './helpers'

const emu = emulatorPerFile()

describe('closeConversations: nothing lost', () => {
  test('every input gets exactly one result, in input order', async () => {
    const open = await many(emu, 5)
    const ended = await newConversation(emu, { state: 'ended' })
    const whatsapp = await newConversation(emu, { type: 'whatsapp' })
    const unknown = randomUUID()
    const input: unknown[] = [open[0], 'abc', open[1], ended, 42, open[0], unknown, open[2], whatsapp, open[3].toUpperCase(), null, open[4], open[1]]
    const report = await clientFor(emu, SEED.cleanupClient).closeConversations(input as string[])
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
    const patches = await requestsTo(emu, { method: 'PATCH' })
    expect(patches).toHaveLength(5)
    expect(new Set(patches.map((p) => p.path)).size).toBe(5)
    expect(report.requests).toBe(1 + 5 * 2 + 3) // token + 5 open (GET+PATCH) + ended, unknown, whatsapp (GET)
  })

  test('an abort midway reports the rest as aborted and loses nothing', async () => {
    const ids = await many(emu, 120)
    await emu.configure({ latencyMs: 15 })
    const controller = new AbortController()
    const c = clientFor(emu, SEED.cleanupClient)
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

  test('an abort is truthful: aborted ids were never written, closed ones were, and requests never undercounts', async () => {
    const ids = await many(emu, 400)
    // Slow answers, and the abort once ten PATCHes are on their way: writes
    // are surely in flight at the abort (an abort timed by progress could
    // fall between writes and prove nothing).
    await emu.configure({ latencyMs: 150 })
    await emu.clearRequests()
    const controller = new AbortController()
    let patches = 0
    const onEvent = (e: ClientEvent) => {
      if (e.kind === 'request' && e.method === 'PATCH' && ++patches === 10) controller.abort()
    }
    const report = await clientFor(emu, { onEvent }).closeConversations(ids, {
      concurrency: 64,
      signal: controller.signal,
    })
    expect(report.closed).toBeGreaterThanOrEqual(10)
    expect(report.aborted).toBeGreaterThan(0)
    // A write in flight at the abort is awaited and its answer decides: it
    // is closed, not failed ("may be partly ended" is for a lost answer).
    expect(report.failed).toBe(0)
    expect(report.closed + report.aborted).toBe(400)
    // Requests in flight at the abort still land on the server.
    await new Promise((r) => setTimeout(r, 300))
    const log = await emu.requests()
    const patched = new Set(log.filter((l) => l.method === 'PATCH').map((l) => l.path.split('/').pop()))
    for (const r of report.results) {
      if (r.outcome === 'aborted') expect(patched.has(r.conversationId)).toBe(false)
      if (r.outcome === 'closed') expect(patched.has(r.conversationId)).toBe(true)
    }
    // Every request the server could have seen is counted: at least what it
    // logged, plus reads abandoned in flight (at most one per worker).
    expect(report.requests).toBeGreaterThanOrEqual(log.length)
    expect(report.requests - log.length).toBeLessThanOrEqual(64)
  })

  test('progress is monotonic, bounded in rate, and ends at the total', async () => {
    const ids = await many(emu, 60)
    const seen: BulkProgress[] = []
    const report = await clientFor(emu, SEED.cleanupClient).closeConversations(ids, { concurrency: 8, onProgress: (p) => seen.push(p), progressIntervalMs: 1000 })
    await new Promise((r) => setImmediate(r))
    expect(report.closed).toBe(60)
    const last = seen[seen.length - 1]
    expect(last).toMatchObject({ done: 60, total: 60, closed: 60 })
    for (let i = 1; i < seen.length; i++) expect(seen[i].done).toBeGreaterThanOrEqual(seen[i - 1].done)
    // One interval-limited update plus the final one for a run shorter than a second.
    expect(seen.length).toBeLessThanOrEqual(3)
  })

  test('the final progress arrives before the run settles, and no progress after it', async () => {
    for (const concurrency of [1, 32]) {
      const ids = await many(emu, 150)
      const seen: BulkProgress[] = []
      let settled = false
      let late = 0
      const report = await clientFor(emu, SEED.cleanupClient).closeConversations(ids, {
        concurrency,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (settled) late++
          seen.push(p)
        },
      })
      // Checked before yielding to the event loop: already delivered.
      expect(seen[seen.length - 1]).toMatchObject({ done: 150, total: 150, closed: 150 })
      settled = true
      await new Promise((r) => setTimeout(r, 200))
      expect(late).toBe(0)
      expect(report.done).toBe(150)
    }
  })

  test('a callback that throws or rejects never takes the process down and is reported once', () => {
    const script = `
      const { CleanupClient } = require(${JSON.stringify(path.join(__dirname, '..', 'index.js'))})
      const ids = JSON.parse(process.env.IDS)
      const client = new CleanupClient({ baseUrl: process.env.URL, accessToken: 'cc-cleanup-token', onEvent: async () => { throw new Error('event boom') } })
      let calls = 0
      client.closeConversations(ids, { concurrency: 1, progressIntervalMs: 0, onProgress: (p) => { calls++; if (calls % 2) throw new Error('sync boom'); return Promise.reject(new Error('async boom')) } })
        .then((r) => { console.log(JSON.stringify({ closed: r.closed, calls })) })
    `
    // Slow answers, one at a time: several progress calls reach the JS thread.
    return many(emu, 40).then(async (ids) => {
      await emu.configure({ latencyMs: 5 })
      const { status, last: out, warnings } = runScript(script, { URL: emu.url, IDS: JSON.stringify(ids) })
      expect(status).toBe(0)
      expect(out.closed).toBe(40)
      expect(out.calls).toBeGreaterThan(2)
      expect(warnings).toHaveLength(2)
      expect(warnings.some((w) => w.includes('the onProgress callback failed (sync boom)'))).toBe(true)
      expect(warnings.some((w) => w.includes('the onEvent callback failed (event boom)'))).toBe(true)
    })
  })

  test('whatever a callback throws or rejects with (Symbol, null-prototype object, throwing getters, revoked Proxy) is contained and described safely', () => {
    const script = `
      const { CleanupClient } = require(${JSON.stringify(path.join(__dirname, '..', 'index.js'))})
      const ids = JSON.parse(process.env.IDS)
      const revoked = () => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy }
      const getterBomb = () => { const e = new Error('x'); Object.defineProperty(e, 'message', { get() { throw new Error('getter') } }); return e }
      const thenBomb = () => ({ get then() { throw Symbol('then') } })
      const logger = { debug: () => { throw Object.create(null) }, info: () => { throw Object.create(null) }, warn: () => Promise.reject(Symbol('log')), error: () => { throw Object.create(null) } }
      const client = new CleanupClient({ baseUrl: process.env.URL, accessToken: 'cc-cleanup-token', logger, onEvent: () => { throw Symbol('event') } })
      let calls = 0
      const throws = [() => { throw getterBomb() }, () => Promise.reject(revoked()), () => thenBomb(), () => { throw revoked() }]
      client.closeConversations(ids, { concurrency: 1, progressIntervalMs: 0, onProgress: () => throws[calls++ % throws.length]() })
        .then((r) => { console.log(JSON.stringify({ closed: r.closed, calls })) })
    `
    return many(emu, 12).then(async (ids) => {
      await emu.configure({ latencyMs: 5 })
      const { status, stderr, last: out, warnings } = runScript(script, { URL: emu.url, IDS: JSON.stringify(ids) })
      expect(stderr).not.toMatch(/TypeError|Uncaught|unhandled/i)
      expect(status).toBe(0)
      expect(out.closed).toBe(12)
      expect(out.calls).toBeGreaterThan(3)
      // Once per callback, whatever it threw.
      expect(warnings).toHaveLength(3)
      expect(warnings.some((w) => w.includes('the onEvent callback failed (a Symbol (Symbol(event)))'))).toBe(true)
      expect(warnings.some((w) => /the logger callback failed \(a thrown value that is not an Error \(\[object Object\]\)\)/.test(w))).toBe(true)
      expect(warnings.some((w) => w.includes('the onProgress callback failed (a thrown value that is not an Error ([object Error]))'))).toBe(true)
    })
  })

  test('fast mode: one request per conversation', async () => {
    const ids = await many(emu, 30)
    const report = await clientFor(emu).closeConversations(ids, { fast: true })
    expect(report.closed).toBe(30)
    expect(report.requests).toBe(30)
    expect(report.results.every((r) => 'requests' in r && r.requests === 1)).toBe(true)
  })

  test('any element that is not a string fails on its own, never the whole run; a huge one is not echoed whole', async () => {
    const [good] = await many(emu, 1)
    const huge = 'x'.repeat(300_000)
    // eslint-disable-next-line no-sparse-arrays
    const inputs: unknown[] = [good, undefined, Number.NaN, Infinity, Symbol('s'), () => 1, {}, null, 42, true, 10n, huge, , 'not-a-uuid']
    await emu.clearRequests()
    const report = await clientFor(emu, SEED.cleanupClient).closeConversations(inputs as string[])
    expect(report.results).toHaveLength(inputs.length)
    expect(report.results[0]).toMatchObject({ conversationId: good, outcome: 'closed' })
    const shown = report.results.slice(1).map((r) => r.conversationId)
    expect(shown).toEqual(['undefined', 'NaN', 'Infinity', '[Symbol]', '[function]', '[object]', 'null', '42', '[boolean]', '[bigint]', `${'x'.repeat(256)}…`, 'undefined', 'not-a-uuid'])
    for (const r of report.results.slice(1)) {
      expect(r.outcome).toBe('failed')
      if (r.outcome === 'failed') expect(r.error.code).toBe('ERR_INVALID_CONVERSATION_ID')
    }
    expect(report).toMatchObject({ total: inputs.length, closed: 1, failed: inputs.length - 1 })
    // Only the good id cost requests.
    expect(await requestsTo(emu, { path: pathContaining('/conversations/') })).toHaveLength(2)
  })

  test('rejected credentials fail every id with one token request, not one per id', async () => {
    const ids = await many(emu, 40)
    await emu.clearRequests()
    const report = await clientFor(emu, { ...SEED.cleanupClient, clientSecret: 'wrong-secret' }).closeConversations(ids, { concurrency: 8 })
    expect(report.failed).toBe(40)
    expect(report.results.every((r) => r.outcome === 'failed' && r.error.code === 'ERR_UNAUTHORIZED')).toBe(true)
    const tokenRequests = await requestsTo(emu, { path: TOKEN_PATH })
    expect(tokenRequests).toHaveLength(1)
    expect(report.requests).toBe(1)
    // Those that started before the refusal shared the one token request; the
    // rest say they were not attempted, with the same message and code.
    const notAttempted = report.results.filter((r) => r.outcome === 'failed' && r.error.notAttempted === true)
    expect(notAttempted.length).toBeGreaterThanOrEqual(40 - 8)
    expect(notAttempted.length).toBeLessThan(40)
    const first = report.results.find((r) => r.outcome === 'failed' && r.error.notAttempted === undefined)
    if (first?.outcome === 'failed' && notAttempted[0]?.outcome === 'failed') expect(notAttempted[0].error.message).toBe(first.error.message)
  })

  test('a scope refusal keeps its scopes in the bulk result', async () => {
    const [id] = await many(emu, 1)
    const report = await clientFor(emu, { accessToken: SEED.userNoScopeToken }).closeConversations([id])
    const r = report.results[0]
    expect(r.outcome).toBe('failed')
    if (r.outcome === 'failed') {
      expect(r.error).toMatchObject({ code: 'ERR_MISSING_SCOPE', status: 403 })
      expect(r.error.missingScopes).toContain('conversations')
    }
  })

  test('bad bulk arguments reject with ERR_INVALID_ARGUMENT', async () => {
    await expect(clientFor(emu, SEED.cleanupClient).closeConversations('nope' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    await expect(clientFor(emu, SEED.cleanupClient).closeConversations([], { concurrency: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    await expect(clientFor(emu, SEED.cleanupClient).closeConversations([], { concurrency: 1.5 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    const empty = await clientFor(emu, SEED.cleanupClient).closeConversations([])
    expect(empty).toMatchObject({ total: 0, results: [] })
  })
})

describe('pacing under the rate limit', () => {
  test('1000 conversations: under 1% answered 429, every rate window spent, none lost waiting', async () => {
    // Judged in the emulator's windows, not by wall-clock time against an
    // ideal: on a loaded machine a run can be slower than the rate limit
    // allows for reasons that are not the pacing's. The limit (150 requests/s)
    // is kept well below what a loaded 2-core machine serves, so the rate
    // limit, not the CPU, decides how many windows the run needs.
    const { ids } = await emu.seed({ count: 1000, mix: { webmessaging: 1 }, endedFraction: 0, ageMinMs: 3600_000, ageMaxMs: 7200_000, rngSeed: 7 })
    expect(ids).toHaveLength(1000)
    const windowMs = 2000
    const perWindow = 300
    await emu.configure({ rateLimitPerMinute: perWindow, rateWindowMs: windowMs })
    await emu.clearRequests()
    const c = clientFor(emu)
    const report = await c.closeConversations(ids, { concurrency: 8 })
    expect(report.closed).toBe(1000)
    const requests = report.requests
    const stats = await emu.stats()
    // The emulator's fixed windows, rebuilt from its log: a window opens at
    // the first request after the previous one ran out.
    const log = (await emu.requests()).filter((l) => l.status !== null).sort((a, b) => a.atMs - b.atMs)
    const windows: { start: number; count: number }[] = []
    for (const l of log) {
      const w = windows[windows.length - 1]
      if (!w || l.atMs >= w.start + windowMs) windows.push({ start: l.atMs, count: 1 })
      else w.count++
    }
    // Time lost between a window running out and the next request.
    const gaps = windows.slice(1).map((w, i) => w.start - (windows[i].start + windowMs))
    const fewest = Math.ceil(requests / perWindow)
    // eslint-disable-next-line no-console
    console.log(`pacing: ${requests} requests, ${report.rateLimited} answered 429 (emulator counted ${stats.rateLimited}), ${windows.length} windows (fewest possible ${fewest}): ${windows.map((w) => w.count).join(' ')}; ms from a window's end to the next request: ${gaps.join(' ')}; ${Math.round(report.elapsedMs)} ms`)
    expect(report.rateLimited).toBeLessThan(requests * 0.01)
    expect(log).toHaveLength(requests)
    // Each window's budget is spent before the run waits for the next (at
    // most one window short of the fewest possible: the last is partial)...
    expect(windows.length).toBeLessThanOrEqual(fewest + 1)
    for (const w of windows.slice(0, -1)) expect(w.count).toBeGreaterThanOrEqual(perWindow * 0.9)
    // ...and the wait ends when the window turns: no window's worth of time
    // is lost, neither at one turn nor summed over the run.
    for (const g of gaps) expect(g).toBeLessThan(windowMs)
    expect(gaps.reduce((a, b) => a + b, 0)).toBeLessThan(windowMs)
  }, 120_000)
})

describe('idle discovery and sweep', () => {
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString()
  const THIRTY_MIN = 30 * 60_000

  /**
   * Every open chat here connected three hours ago: analytics shows one open
   * segment from that start for each, idle or not. Only their messages tell
   * the idle ones (last message 2 h ago) from the live ones (a minute ago).
   */
  async function scene() {
    const idle: string[] = []
    for (let i = 0; i < 60; i++) idle.push(await newConversation(emu, { startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000 - i * 1000) }))
    const chatting = await many(emu, 15, { startedAt: ago(3 * 3600_000), lastActivityAt: ago(60_000) })
    const young = await many(emu, 5, { startedAt: ago(10 * 60_000) })
    const ended = await many(emu, 10, { state: 'ended', startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) })
    const whatsapp = await many(emu, 10, { type: 'whatsapp', startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) })
    return { idle, chatting, young, ended, whatsapp }
  }

  const isOpen = async (id: string) => (await emu.conversation(id)).state === 'active'

  test('findIdleConversations pages to the end, re-reads each candidate, and returns exactly the idle ones', async () => {
    const { idle } = await scene()
    await emu.clearRequests()
    const found = await clientFor(emu, SEED.cleanupClient).findIdleConversations({ idleForMs: THIRTY_MIN, pageSize: 7 })
    expect(found.map((f) => f.conversationId).sort()).toEqual([...idle].sort())
    const log = await emu.requests()
    const queries = log.filter((l) => l.path === '/api/v2/analytics/conversations/details/query')
    expect(queries.length).toBeGreaterThanOrEqual(Math.ceil(80 / 7))
    // The candidates (old enough: idle + chatting) were each read once; the young ones were not.
    const reads = log.filter((l) => l.method === 'GET' && l.path.startsWith('/api/v2/conversations/messages/'))
    expect(reads).toHaveLength(75)
    expect(log.filter((l) => l.method !== 'GET' && l.method !== 'POST')).toEqual([])
    for (const f of found) {
      expect(f).toMatchObject({ confirmed: true, activitySource: 'messages' })
      expect(f.idleMs).toBeGreaterThanOrEqual(THIRTY_MIN)
      expect(Date.parse(f.lastActivityAt!)).toBeLessThan(Date.now() - THIRTY_MIN)
      expect(f.participants).toBeGreaterThan(0)
    }
  })

  test('findIdleConversations marks a candidate it could not re-read as unconfirmed', async () => {
    const [id] = await many(emu, 1, { startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) })
    await emu.script([{ method: 'GET', path: `/api/v2/conversations/messages/${id}`, times: 1, respond: { status: 403, code: 'not.authorized' } }])
    const found = await clientFor(emu, SEED.cleanupClient).findIdleConversations({ idleForMs: THIRTY_MIN })
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ conversationId: id, confirmed: false })
    expect(found[0].lastActivityAt).toBeUndefined()
    expect(found[0].unconfirmedReason).toMatch(/could not re-read/)
  })

  test('findIdleConversations requires idleForMs', async () => {
    await expect(clientFor(emu, SEED.cleanupClient).findIdleConversations({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
  })

  test('a dry run writes nothing and reports the live chats as spared', async () => {
    const { idle, chatting } = await scene()
    await emu.clearRequests()
    const report = await clientFor(emu, SEED.cleanupClient).sweep({ idleForMs: THIRTY_MIN, dryRun: true })
    expect(report.dryRun).toBe(true)
    expect(report.found).toHaveLength(idle.length)
    expect(report).toMatchObject({ candidates: idle.length + chatting.length, sparedActive: chatting.length })
    expect(report.close.wouldClose).toBe(idle.length)
    expect(report.close.closed).toBe(0)
    const writes = (await emu.requests()).filter((l) => l.method === 'PATCH' || l.method === 'DELETE' || (l.method === 'POST' && l.path.startsWith('/api/v2/conversations')))
    expect(writes).toEqual([])
  })

  test('sweep ends every chat whose last message is older than the threshold and spares every live one', async () => {
    const { idle, chatting, young, ended, whatsapp } = await scene()
    const c = clientFor(emu, SEED.cleanupClient)
    const report = await c.sweep({ idleForMs: THIRTY_MIN, concurrency: 8 })
    expect(report.close.closed).toBe(idle.length)
    expect(report.close.total).toBe(idle.length + chatting.length)
    expect(report.sparedActive).toBe(chatting.length)
    expect(report.found.map((f) => f.conversationId).sort()).toEqual([...idle].sort())
    const spared = report.close.results.filter((r) => r.outcome === 'skipped')
    expect(spared.map((r) => r.conversationId).sort()).toEqual([...chatting].sort())
    for (const r of spared) {
      expect(r).toMatchObject({ skipReason: 'active', activitySource: 'messages' })
      expect(Date.now() - Date.parse((r as { lastActivityAt: string }).lastActivityAt)).toBeLessThan(THIRTY_MIN)
    }
    for (const id of idle) expect(await isOpen(id)).toBe(false)
    for (const id of [...chatting, ...young, ...whatsapp]) expect(await isOpen(id)).toBe(true)
    for (const id of ended) expect(await isOpen(id)).toBe(false)
    expect(report.requests).toBeGreaterThan(report.close.requests)
    expect(report.elapsedMs).toBeGreaterThanOrEqual(report.close.elapsedMs)
    expect(report).toMatchObject({ retries: 0, rateLimited: 0, dryRun: false })
    const again = await c.sweep({ idleForMs: THIRTY_MIN })
    expect(again.found).toHaveLength(0)
    expect(again.sparedActive).toBe(chatting.length)
  })

  test('a customer message after discovery but before the re-read saves the chat', async () => {
    const [id] = await many(emu, 1, { startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) })
    // Analytics nominates it; the customer writes; then the sweep re-reads it.
    const found = await clientFor(emu, SEED.cleanupClient).findIdleConversations({ idleForMs: THIRTY_MIN })
    expect(found.map((f) => f.conversationId)).toEqual([id])
    await emu.postMessage(id, { from: 'customer' })
    const report = await clientFor(emu, SEED.cleanupClient).sweep({ idleForMs: THIRTY_MIN })
    expect(report).toMatchObject({ candidates: 1, sparedActive: 1, found: [] })
    expect(await isOpen(id)).toBe(true)
  })

  test('an inactivity timeout still in the future spares a chat whose messages are old', async () => {
    const old = { startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) }
    const [explicit] = await many(emu, 1, { ...old, inactivityTimeout: new Date(Date.now() + 600_000).toISOString() })
    const [passed] = await many(emu, 1, { ...old, inactivityTimeout: ago(60_000) })
    const report = await clientFor(emu, SEED.cleanupClient).sweep({ idleForMs: THIRTY_MIN })
    expect(report.sparedActive).toBe(1)
    const byId = new Map(report.close.results.map((r) => [r.conversationId, r]))
    expect(byId.get(explicit)).toMatchObject({ outcome: 'skipped', skipReason: 'active' })
    expect((byId.get(explicit) as { reason: string }).reason).toMatch(/inactivity timeout/)
    expect(byId.get(passed)).toMatchObject({ outcome: 'closed' })
    // A queue inactivity timeout (3 h here) resets on each message: 2 h after the last one it still runs.
    const [queued] = await many(emu, 1, old)
    await emu.configure({ queueInactivityTimeoutMs: 3 * 3600_000 })
    const again = await clientFor(emu, SEED.cleanupClient).sweep({ idleForMs: THIRTY_MIN })
    expect(again.close.results.find((r) => r.conversationId === queued)).toMatchObject({ skipReason: 'active' })
    expect(await isOpen(queued)).toBe(true)
  })

  test('no message times: the newest participant time decides, and no timestamp at all is never closed', async () => {
    const start = ago(3 * 3600_000)
    const noMessages = await newConversation(emu, {
      startedAt: start,
      participants: [
        { purpose: 'customer', startTime: start, connectedTime: start },
        { purpose: 'agent', startTime: start, connectedTime: ago(2 * 3600_000) },
      ],
    })
    const agentJoined = await newConversation(emu, {
      startedAt: start,
      participants: [
        { purpose: 'customer', startTime: start, connectedTime: start },
        { purpose: 'agent', startTime: ago(5 * 60_000), connectedTime: ago(4 * 60_000) },
      ],
    })
    const blank = await newConversation(emu, { startedAt: start })
    // A read that carries no timestamp at all (a shape Genesys does not document, so we script it).
    await emu.script([
      {
        method: 'GET',
        path: `/api/v2/conversations/messages/${blank}`,
        respond: { status: 200, body: { id: blank, participants: [{ id: randomUUID(), purpose: 'customer', state: 'connected', type: 'webmessaging' }] } },
      },
    ])
    const report = await clientFor(emu, SEED.cleanupClient).sweep({ idleForMs: THIRTY_MIN })
    const byId = new Map(report.close.results.map((r) => [r.conversationId, r]))
    expect(byId.get(noMessages)).toMatchObject({ outcome: 'closed', activitySource: 'participantTimes' })
    expect(byId.get(agentJoined)).toMatchObject({ outcome: 'skipped', skipReason: 'active', activitySource: 'participantTimes' })
    expect(byId.get(blank)).toMatchObject({ outcome: 'skipped', skipReason: 'activityUnknown', activitySource: 'none' })
    expect(await isOpen(agentJoined)).toBe(true)
    expect(await isOpen(blank)).toBe(true)
  })

  test('analytics lag: the re-read spares conversations that already ended', async () => {
    const { idle } = await scene()
    await emu.configure({ analyticsLagMs: 600_000 })
    const c = clientFor(emu, SEED.cleanupClient)
    await c.closeConversations(idle.slice(0, 20))
    await emu.clearRequests()
    const report = await c.sweep({ idleForMs: THIRTY_MIN })
    expect(report.found).toHaveLength(idle.length - 20)
    expect(report.close.alreadyClosed).toBe(20)
    expect(report.close.closed).toBe(idle.length - 20)
    const patches = await requestsTo(emu, { method: 'PATCH' })
    expect(patches).toHaveLength(idle.length - 20)
  })
})
