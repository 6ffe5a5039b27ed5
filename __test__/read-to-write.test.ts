// A guarded close reads a conversation, decides it is idle, then PATCHes.
// Genesys has no conditional close, so the window between the two cannot be
// removed; it is kept to one round trip (no rate-limit wait, retry pause or
// token fetch between them), and what slips through is reported.
import type { ClientEvent } from '../index'
import { clientFor, emulatorPerFile, many, pathEnding, requestsTo } from './helpers'

const emu = emulatorPerFile()
const HOUR = 3600_000

/** Idle web messaging conversations (last activity two hours ago). */
function idle(n: number): Promise<string[]> {
  return many(emu, n, { type: 'webmessaging', startedAt: Date.now() - 3 * HOUR, lastActivityAt: Date.now() - 2 * HOUR })
}

/** Events of each operation, in order. */
function byOperation(events: ClientEvent[]): Map<number, ClientEvent[]> {
  const ops = new Map<number, ClientEvent[]>()
  for (const e of events) {
    if (e.operation === undefined) continue
    const list = ops.get(e.operation) ?? []
    list.push(e)
    ops.set(e.operation, list)
  }
  return ops
}

test('at a saturated rate budget, nothing waits between the read that decided and the PATCH', async () => {
  // 20 requests per second for 30 closes of 2 requests each, 12 at a time:
  // the budget is spent several times over, so requests wait for windows.
  await emu.configure({ rateLimitPerMinute: 20, rateWindowMs: 1000, rateLimitMode: 'fixed' })
  const ids = await idle(30)
  const events: ClientEvent[] = []
  const c = clientFor(emu, { onEvent: (e: ClientEvent) => events.push(e) })
  // Each call is its own operation, so its events can be told apart.
  const results = await Promise.all(ids.map((id) => c.closeConversation(id, { idleForMs: 60_000 })))
  expect(results.every((r) => r.outcome === 'closed')).toBe(true)
  const ops = [...byOperation(events).values()]
  expect(ops).toHaveLength(ids.length)
  let waitedBeforeRead = 0
  for (const op of ops) {
    const patch = op.findIndex((e) => e.kind === 'request' && e.method === 'PATCH')
    expect(patch).toBeGreaterThan(0)
    // The deciding read: the last GET answered before the PATCH went out.
    let read = patch - 1
    while (read >= 0 && !(op[read].kind === 'response' && op[read].method === 'GET' && op[read].status === 200)) read--
    expect(read).toBeGreaterThanOrEqual(0)
    // Between them: nothing at all, so no rate-limit wait, retry or token fetch.
    expect(op.slice(read + 1, patch).map((e) => e.kind)).toEqual([])
    if (op.slice(0, read).some((e) => e.kind === 'rateLimitWait')) waitedBeforeRead++
  }
  // The budget was saturated: the waiting happened, before the reads.
  expect(waitedBeforeRead).toBeGreaterThan(0)
  // And no PATCH was ever refused with 429 (nothing sent blind).
  expect(await requestsTo(emu, { method: 'PATCH', status: 429 })).toHaveLength(0)
})

test('a 429 on the PATCH is waited out, then the conversation is read and decided again', async () => {
  const [id] = await idle(1)
  await emu.script({ method: 'PATCH', path: '/api/v2/conversations/messages/*', times: 1, respond: { status: 429, retryAfter: 1 } })
  const events: ClientEvent[] = []
  const r = await clientFor(emu, { onEvent: (e: ClientEvent) => events.push(e) }).closeConversation(id, { idleForMs: 60_000 })
  expect(r.outcome).toBe('closed')
  const log = await requestsTo(emu, { path: pathEnding(id) })
  // read, PATCH (429), the pause, read again, PATCH.
  expect(log.map((x) => `${x.method} ${x.status}`)).toEqual(['GET 200', 'PATCH 429', 'GET 200', 'PATCH 200'])
  expect(r.retries).toBe(1)
  expect(r.requests).toBe(4)
})

test('a customer message between the read and the PATCH is reported as activityAfterRead', async () => {
  const ids = await idle(3)
  await emu.configure({ messageAfterRead: true })
  const c = clientFor(emu)
  const one = await c.closeConversation(ids[0], { idleForMs: 60_000 })
  expect(one.outcome).toBe('closed')
  expect(one.activityAfterRead).toBeDefined()
  expect(Date.parse(one.activityAfterRead!)).toBeGreaterThan(Date.parse(one.lastActivityAt!))
  // Seen in a verify read as well.
  const verified = await c.closeConversation(ids[1], { idleForMs: 60_000, verify: true })
  expect(verified.activityAfterRead).toBeDefined()
  // Counted in bulk reports; a run that met none says 0.
  const bulk = await c.closeConversations([ids[2]], { idleForMs: 60_000 })
  expect(bulk.activityAfterRead).toBe(1)
  await emu.configure({ messageAfterRead: false })
  const [quiet] = await idle(1)
  const calm = await c.closeConversations([quiet], { idleForMs: 60_000 })
  expect(calm.activityAfterRead).toBe(0)
  expect((calm.results[0] as { activityAfterRead?: string }).activityAfterRead).toBeUndefined()
})
