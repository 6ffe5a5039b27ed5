// Watch mode against the emulator binary: real channels, a real WebSocket,
// real analytics sweeps and real closes over loopback.
import * as path from 'node:path'
import { CleanupClient, WatchEvent, WatchOptions, WatchReport, checkScopes, isCleanupError } from '../index'
import { clientFor, emulatorPerFile, pathEnding, rejectionOf, requestsTo, runScript, SEED } from './helpers'

const emu = emulatorPerFile()

const SUPPORT = 'c0000000-0000-4000-8000-000000000001'
const SALES = 'c0000000-0000-4000-8000-000000000002'
const IDLE = 2000

interface Running {
  done: Promise<WatchReport>
  stop: () => Promise<WatchReport>
  events: WatchEvent[]
  client: CleanupClient
}

// Every watch a test starts is stopped after it, also when the test failed
// half-way (a running watch would keep Jest's process alive).
const controllers: AbortController[] = []
afterEach(() => {
  for (const c of controllers.splice(0)) c.abort()
})

function startWatch(options: Partial<WatchOptions>, credentials: Record<string, string> = SEED.cleanupClient): Running {
  const client = clientFor(emu, credentials)
  const controller = new AbortController()
  controllers.push(controller)
  const events: WatchEvent[] = []
  const done = client.watch({ idleMs: IDLE, reconcileEveryMs: 3_600_000, ...options, signal: controller.signal, onEvent: (e) => events.push(e) })
  return {
    done,
    events,
    client,
    stop: async () => {
      controller.abort()
      return done
    },
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Subscribed and the first (periodic) reconciliation done: what exists now is known. */
async function ready(w: Running): Promise<void> {
  await waitFor('the socket', () => w.events.some((e) => e.kind === 'connected'))
  await waitFor('the first sweep', () => w.events.some((e) => e.kind === 'reconciled'))
}

async function ended(id: string): Promise<any> {
  return waitFor(`conversation ${id} to end`, async () => {
    const c = await emu.conversation(id)
    return c.state === 'ended' ? c : undefined
  })
}

/** PATCHes that ended each conversation, from the emulator's request log. */
async function closesPerConversation(): Promise<Map<string, number>> {
  const log = await emu.requests()
  const out = new Map<string, number>()
  for (const r of log) {
    const m = /^\/api\/v2\/conversations\/messages\/([^/]+)$/.exec(r.path)
    if (r.method === 'PATCH' && m) out.set(m[1], (out.get(m[1]) ?? 0) + 1)
  }
  return out
}

async function expectNothingClosedTwice(): Promise<void> {
  for (const [id, n] of await closesPerConversation()) expect([id, n]).toEqual([id, 1])
}

test('idle conversations are ended within idleMs + 1 s; one with fresh activity is not', async () => {
  const w = startWatch({})
  await ready(w)
  const idle = await emu.createConversation({ queueId: SUPPORT })
  const lively = await emu.createConversation({ queueId: SALES })
  const talk = setInterval(() => void emu.postMessage(lively.id, { from: 'customer' }).catch(() => undefined), 500)
  try {
    const c = await ended(idle.id)
    const lag = Date.parse(c.endedAt) - Date.parse(idle.lastActivityAt)
    expect(lag).toBeGreaterThanOrEqual(IDLE)
    expect(lag).toBeLessThanOrEqual(IDLE + 1000)
    await new Promise((r) => setTimeout(r, IDLE + 500))
    expect((await emu.conversation(lively.id)).state).toBe('active')
  } finally {
    clearInterval(talk)
  }
  const report = await w.stop()
  expect(report.closed).toBe(1)
  expect(report.eventsSeen).toBeGreaterThan(3)
  expect(report.rejectedTopics).toEqual([])
  expect(report.topics).toBe(3)
  expect(w.events.find((e) => e.kind === 'closed')?.conversationId).toBe(idle.id)
  // The stream kept the lively chat's deadline moving: it was never even re-read.
  const reads = await requestsTo(emu, { method: 'GET', path: pathEnding(lively.id) })
  expect(reads).toEqual([])
  await expectNothingClosedTwice()
})

test('a message the stream did not deliver is found by the re-read: the conversation is spared', async () => {
  const w = startWatch({})
  await ready(w)
  const c = await emu.createConversation({})
  await new Promise((r) => setTimeout(r, IDLE - 800))
  await emu.notificationFault('dropEvents', { count: 1 })
  await emu.postMessage(c.id)
  const spared = await waitFor('the spare', () => w.events.find((e) => e.kind === 'spared'))
  expect(spared.conversationId).toBe(c.id)
  expect((await emu.conversation(c.id)).state).toBe('active')
  // Watched on: it ends once idle since that message.
  await ended(c.id)
  const report = await w.stop()
  expect(report.sparedActive).toBe(1)
  expect(report.closed).toBe(1)
  await expectNothingClosedTwice()
})

test('after a dropped socket with lost events, the reconciliation ends what the stream missed', async () => {
  const w = startWatch({})
  await ready(w)
  // Lost while the socket is up, then the socket drops: only the gap's sweep can know it.
  await emu.notificationFault('dropEvents', { count: 1 })
  const missed = await emu.createConversation({})
  expect((await emu.notifications()).channels[0].eventsDropped).toBe(1)
  await emu.notificationFault('dropSocket')
  await ended(missed.id)
  const report = await w.stop()
  expect(report.reconnects).toBeGreaterThanOrEqual(1)
  expect(report.gapsReconciled).toBeGreaterThanOrEqual(1)
  expect(report.periodicSweeps).toBe(1)
  expect(report.closed).toBe(1)
  expect(w.events.filter((e) => e.kind === 'reconciled').map((e) => e.reason)).toContain('gap')
  await expectNothingClosedTwice()
})

test('socket_closing and an expired channel are survived', async () => {
  const w = startWatch({})
  await ready(w)
  await emu.notificationFault('socketClosing', { graceMs: 5000 })
  await waitFor('the reconnect', () => w.events.filter((e) => e.kind === 'connected').length >= 2)
  await emu.notificationFault('expire')
  await waitFor('a new channel', () => w.events.filter((e) => e.kind === 'connected').length >= 3)
  const c = await emu.createConversation({})
  await ended(c.id)
  const report = await w.stop()
  expect(report.reconnects).toBeGreaterThanOrEqual(2)
  // The stop closed the socket: the emulator sees the close within a moment.
  await waitFor('the socket to close', async () => !(await emu.notifications()).channels.some((ch) => ch.connected) || undefined, 2000)
})

test('a channel is renewed before it expires, without losing a conversation', async () => {
  await emu.configure({ channelLifetimeMs: 3000 })
  const w = startWatch({})
  await ready(w)
  await waitFor('a renewal', () => w.events.some((e) => e.kind === 'connected' && e.reason === 'renewed'))
  const c = await emu.createConversation({})
  await ended(c.id)
  const report = await w.stop()
  expect(report.renewals).toBeGreaterThanOrEqual(1)
  expect(report.closed).toBe(1)
})

test('a bot-flow conversation (on no queue) is caught by the periodic sweep', async () => {
  const w = startWatch({ reconcileEveryMs: 1500 })
  await ready(w)
  const bot = await emu.createConversation({ agent: false })
  const c = await ended(bot.id)
  const report = await w.stop()
  expect(report.eventsSeen).toBe(0)
  expect(report.periodicSweeps).toBeGreaterThanOrEqual(2)
  expect(Date.parse(c.endedAt) - Date.parse(bot.lastActivityAt)).toBeLessThanOrEqual(IDLE + 1500 + 1000)
  await expectNothingClosedTwice()
})

test('rejected topics are reported with the missing permission; watching goes on', async () => {
  const role = await emu.createRole({
    name: 'No queues',
    permissions: ['conversation:communication:disconnect', 'conversation:communication:view', 'analytics:conversationDetail:view'],
  })
  await emu.admin('POST', 'clients', { id: 'noqueue-client', secret: 'noqueue-secret', roleIds: [role.id] })
  const creds = { clientId: 'noqueue-client', clientSecret: 'noqueue-secret' }
  // checkScopes says so first: it can close, it cannot list queues for watch mode.
  const scopes = await checkScopes({ baseUrl: emu.url, ...creds })
  expect([scopes.canClose, scopes.canWatch]).toEqual([true, false])
  expect(scopes.checks.find((c) => c.name === 'listQueues')?.ok).toBe(false)
  expect(scopes.advice.join(' ')).toMatch(/Watch mode .* GET \/api\/v2\/routing\/queues, which was refused: grant routing:queue:view/)
  expect((await checkScopes({ baseUrl: emu.url, ...SEED.cleanupClient })).canWatch).toBe(true)
  // By name, the queues cannot even be listed: a typed error at the start.
  const e = await rejectionOf(startWatch({ queues: ['Support'] }, creds).done)
  expect(isCleanupError(e) && e.code).toBe('ERR_MISSING_PERMISSION')
  expect(e.message).toMatch(/routing:queue:view/)
  // By id: subscribed, refused, reported; the periodic sweep still ends what is idle.
  const w = startWatch({ queues: [SUPPORT, SALES], reconcileEveryMs: 1500 }, creds)
  await ready(w)
  const c = await emu.createConversation({})
  await ended(c.id)
  const report = await w.stop()
  expect(report.rejectedTopics).toHaveLength(2)
  for (const r of report.rejectedTopics) {
    expect(r.missingPermissions).toEqual(['routing:queue:view'])
    expect([SUPPORT, SALES]).toContain(r.queueId)
  }
  expect(w.events.filter((x) => x.kind === 'rejectedTopic')).toHaveLength(2)
  expect(report.eventsSeen).toBe(0)
  expect(report.closed).toBe(1)
})

test('abort stops the watch within 100 ms, even with a close in flight', async () => {
  const w = startWatch({})
  await ready(w)
  await emu.configure({ latencyMs: 3000 })
  // Idle for long already: due at once, its re-read now takes 3 s to answer.
  await emu.createConversation({ startedAt: Date.now() - 10 * IDLE })
  await new Promise((r) => setTimeout(r, 300))
  const t0 = performance.now()
  const report = await w.stop()
  expect(performance.now() - t0).toBeLessThan(100)
  expect(report.closed).toBe(0)
})

test('a dry run reports what it would close and writes nothing', async () => {
  const w = startWatch({ dryRun: true })
  await ready(w)
  const c = await emu.createConversation({})
  const would = await waitFor('wouldClose', () => w.events.find((e) => e.kind === 'wouldClose'))
  expect(would.conversationId).toBe(c.id)
  await new Promise((r) => setTimeout(r, 500))
  const report = await w.stop()
  expect(report).toMatchObject({ dryRun: true, wouldClose: 1, closed: 0 })
  expect((await emu.conversation(c.id)).state).toBe('active')
  expect((await closesPerConversation()).size).toBe(0)
})

test('bad options are typed errors that say what to do; a throwing onEvent is survived', async () => {
  const client = clientFor(emu, SEED.cleanupClient)
  const missing = await rejectionOf(client.watch({} as WatchOptions))
  expect(missing.code).toBe('ERR_INVALID_ARGUMENT')
  expect(missing.message).toMatch(/idleMs/)
  const small = await rejectionOf(client.watch({ idleMs: 10 }))
  expect(small.message).toMatch(/idleMs must be a number of milliseconds from 1000/)
  const unknown = await rejectionOf(client.watch({ idleMs: 5000, queues: ['Nope'] }))
  expect(unknown.code).toBe('ERR_INVALID_ARGUMENT')
  expect(unknown.message).toMatch(/Billing, Sales, Support/)
  const none = await rejectionOf(client.watch({ idleMs: 5000, queues: [] }))
  expect(none.message).toMatch(/queues must name at least one queue/)
  const aborted = await rejectionOf(client.watch({ idleMs: 5000, signal: AbortSignal.abort() }))
  expect(aborted.code).toBe('ERR_ABORTED')
  // In a process of its own, as in bulk.test.ts: an unhandled rejection would end it.
  const c = await emu.createConversation({})
  const script = `
    const { CleanupClient } = require(${JSON.stringify(path.join(__dirname, '..', 'index.js'))})
    const client = new CleanupClient({ baseUrl: process.env.URL, clientId: 'cleanup-client', clientSecret: 'cleanup-secret' })
    const controller = new AbortController()
    let calls = 0
    client.watch({ idleMs: 2000, signal: controller.signal, onEvent: (e) => {
      calls++
      if (e.kind === 'closed') setTimeout(() => controller.abort(), 50)
      if (calls % 2) throw new Error('sync boom')
      return Promise.reject(new Error('async boom'))
    } }).then((r) => console.log(JSON.stringify({ closed: r.closed, calls })))
  `
  const { status, last: out, warnings } = runScript(script, { URL: emu.url }, 30_000)
  expect(status).toBe(0)
  expect(out.closed).toBe(1)
  expect(out.calls).toBeGreaterThan(2)
  expect(warnings).toHaveLength(1)
  expect(warnings[0]).toMatch(/the onEvent callback failed \((sync|async) boom\)/)
  expect((await emu.conversation(c.id)).state).toBe('ended')
})

test('a connectUri off the API host is refused before anything connects; 429s on the REST calls are waited out', async () => {
  await emu.script([
    {
      method: 'POST',
      path: '/api/v2/notifications/channels',
      respond: { status: 200, body: { id: 'streaming-0-evil', connectUri: 'wss://evil.example.com/channels/streaming-0-evil', expires: '2099-01-01T00:00:00.000Z' } },
    },
  ])
  const e = await rejectionOf(startWatch({}).done)
  expect(e.code).toBe('ERR_UPSTREAM')
  expect(e.message).toMatch(/connectUri .*neither on the API's host nor on a Genesys Cloud streaming host/)
  // Throttled channel creation and subscription: retried as Genesys asks, then watching.
  await emu.script([
    { method: 'POST', path: '/api/v2/notifications/channels', times: 1, respond: { status: 429, retryAfter: 1 } },
    { method: 'PUT', path: '/api/v2/notifications/channels/*/subscriptions', times: 1, respond: { status: 429, retryAfter: 1 } },
  ])
  const w = startWatch({})
  await ready(w)
  const c = await emu.createConversation({})
  await ended(c.id)
  const report = await w.stop()
  expect(report.closed).toBe(1)
  const throttled = await requestsTo(emu, { status: 429 })
  expect(throttled).toHaveLength(2)
})

test('a token that expires is refreshed for the REST calls; the socket needs none', async () => {
  await emu.configure({ tokenTtlSec: 2 })
  const w = startWatch({})
  await ready(w)
  await new Promise((r) => setTimeout(r, 2500))
  // The old token is dead now: a new channel and the close both need a fresh one.
  await emu.notificationFault('expire')
  await waitFor('a new channel', () => w.events.filter((e) => e.kind === 'connected').length >= 2)
  const c = await emu.createConversation({})
  await ended(c.id)
  const report = await w.stop()
  expect(report.closed).toBe(1)
  expect(w.client.tokenRequests).toBeGreaterThanOrEqual(2)
  expect(await requestsTo(emu, { status: 401 })).toEqual([])
})

test('more than 1000 queues take a second channel', async () => {
  const ids: string[] = []
  for (let i = 0; i < 1001; i++) {
    const id = `c2000000-0000-4000-8000-${String(i).padStart(12, '0')}`
    ids.push(id)
    await emu.admin('POST', 'queues', { id, name: `Q${String(i).padStart(4, '0')}` })
  }
  const w = startWatch({})
  await waitFor('two sockets', () => w.events.filter((e) => e.kind === 'connected').length >= 2)
  await ready(w)
  const channels = (await emu.notifications()).channels as Array<{ topics: string[] }>
  expect(channels.map((c) => c.topics.length).sort((a, b) => a - b)).toEqual([4, 1000])
  const c = await emu.createConversation({ queueId: ids[1000] })
  await ended(c.id)
  const report = await w.stop()
  expect(report).toMatchObject({ channels: 2, topics: 1004, closed: 1, rejectedTopics: [] })
  expect(report.eventsSeen).toBeGreaterThanOrEqual(1)
})

// ------------------------------------------------------------ issue 24: tokens, gaps, activity after the read

/** A static token for the cleanup client that dies `ttlSec` from now. */
async function shortToken(ttlSec: number): Promise<{ accessToken: string; diesAt: number }> {
  const t = await emu.createToken({ clientId: 'cleanup-client', ttlSec })
  return { accessToken: t.accessToken, diesAt: Date.parse(t.expiresAt) }
}

async function untilDead(diesAt: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.max(0, diesAt - Date.now()) + 300))
}

/** A watch whose rejection is awaited (and handled) from its start. */
function startDoomed(options: Partial<WatchOptions>, accessToken: string): Running & { rejected: Promise<any> } {
  const w = startWatch(options, { accessToken })
  return { ...w, rejected: rejectionOf(w.done) }
}

/** The watch's rejection, or a failure naming what it did instead. */
async function rejectsWithin(w: Running & { rejected: Promise<any> }, ms: number): Promise<any> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the watch still runs after ${ms} ms; events: ${w.events.map((e) => `${e.kind}:${e.code ?? ''}`).join(' ')}`)), ms)
  })
  try {
    return await Promise.race([w.rejected, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('a static token that expires ends the watch with ERR_UNAUTHORIZED', () => {
  test('when a close is refused', async () => {
    const token = await shortToken(3)
    const w = startDoomed({}, token.accessToken)
    await ready(w)
    await untilDead(token.diesAt)
    await emu.createConversation({ queueId: SUPPORT })
    const e = await rejectsWithin(w, 8000)
    expect(isCleanupError(e) && e.code).toBe('ERR_UNAUTHORIZED')
    expect(w.events.filter((x) => x.kind === 'failed').map((x) => x.code)).toEqual(['ERR_UNAUTHORIZED'])
  })

  test('when a sweep is refused', async () => {
    const token = await shortToken(3)
    const w = startDoomed({ reconcileEveryMs: 1500 }, token.accessToken)
    await ready(w)
    await untilDead(token.diesAt)
    const e = await rejectsWithin(w, 5000)
    expect(w.events.filter((x) => x.kind === 'reconciled').length).toBeGreaterThanOrEqual(1)
    expect(e.code).toBe('ERR_UNAUTHORIZED')
  })

  test('when a new channel is refused', async () => {
    const token = await shortToken(3)
    const w = startDoomed({}, token.accessToken)
    await ready(w)
    await untilDead(token.diesAt)
    await emu.notificationFault('expire')
    const e = await rejectsWithin(w, 5000)
    expect(e.code).toBe('ERR_UNAUTHORIZED')
    const refused = await requestsTo(emu, { status: 401 })
    expect(refused.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v2/notifications/channels'])
  })
})

test('a conversation that started long before a socket drop and was moved onto a watched queue during it is reconciled at the reconnect', async () => {
  const w = startWatch({})
  await ready(w)
  // A bot flow since ten minutes ago: on no queue, so no topic has shown it
  // (and the first sweep ran before it existed).
  const tenMinutesAgo = Date.now() - 10 * 60_000
  const c = await emu.createConversation({ agent: false, startedAt: tenMinutesAgo, lastActivityAt: tenMinutesAgo })
  // Handed over to Support while the socket is down: the event is lost.
  await emu.notificationFault('dropEvents', { count: 1 })
  await emu.transfer(c.id, { queueId: SUPPORT })
  expect((await emu.notifications()).channels[0].eventsDropped).toBe(1)
  await emu.notificationFault('dropSocket')
  // Ended once idle since the transfer, long before the hourly periodic sweep.
  const done = await ended(c.id)
  const moved = (await emu.conversation(c.id)).participants.find((p: any) => p.purpose === 'acd')
  expect(Date.parse(done.endedAt) - Date.parse(moved!.startTime!)).toBeGreaterThanOrEqual(IDLE)
  const report = await w.stop()
  expect(report.periodicSweeps).toBe(1)
  expect(report.gapsReconciled).toBeGreaterThanOrEqual(1)
  expect(report.closed).toBe(1)
  const gap = w.events.find((e) => e.kind === 'reconciled' && e.reason === 'gap')
  expect(gap?.count).toBeGreaterThanOrEqual(1)
  await expectNothingClosedTwice()
})

test('a message that slipped in between the read and the close is reported as activityAfterRead', async () => {
  // Events arrive a little after the close's answer, as they may over the internet.
  await emu.configure({ notificationDelayMs: 400 })
  const w = startWatch({})
  await ready(w)
  const c = await emu.createConversation({ queueId: SUPPORT })
  // The close's read answers from before the message (as a read just ahead of it would).
  const stale = {
    id: c.id,
    participants: c.participants.map((p: any) => ({
      id: p.id,
      purpose: p.purpose,
      state: p.state,
      type: 'webmessaging',
      startTime: p.startTime,
      connectedTime: p.connectedTime,
      ...(p.queue ? { queue: p.queue } : {}),
    })),
  }
  await emu.script({ method: 'GET', path: `/api/v2/conversations/messages/${c.id}`, respond: { status: 200, body: stale } })
  await new Promise((r) => setTimeout(r, 1000))
  const said = await emu.postMessage(c.id, { from: 'customer' })
  await ended(c.id)
  const seen = await waitFor('the activityAfterRead event', () => w.events.find((e) => e.kind === 'activityAfterRead'))
  expect(seen.conversationId).toBe(c.id)
  expect(Date.parse(seen.lastActivityAt!)).toBe(Date.parse(said.lastActivityAt))
  const report = await w.stop()
  expect(report).toMatchObject({ closed: 1, activityAfterRead: 1 })
})
