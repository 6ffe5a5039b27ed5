// Sweep and watch tell Genesys's endings from ours (issue 26, part 2), over
// the emulator's live queue timer: ended by Genesys (the re-read shows
// `disconnectType: inactivity`), ended by us first (the caller's threshold
// is shorter than the queue's timer), missed by the timer (open past it, here
// because no agent joined), and a queue without a timer (no attribution).
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import type { CloseResult, SweepReport, WatchEvent, WatchReport } from '../index'
import { clientFor, emulatorPerFile, SEED, randomUUID } from './helpers'

const emu = emulatorPerFile()
const CLI = path.join(__dirname, '..', 'bin', 'genesys-cleanup.js')
const MIN = 60_000
const IDLE = 30 * MIN

const media = (secs: number | null) => ({
  message: {
    enableAutoAnswer: false,
    alertingTimeoutSeconds: 30,
    enableInactivityTimeout: secs !== null,
    inactivityTimeoutSettings: { timeoutSeconds: secs ?? 600, actionType: 'DISCONNECT' },
    subTypeSettings: { webmessaging: { enableAutoAnswer: false, enableInactivityTimeout: secs !== null } },
  },
})

interface Queues { A: string; B: string; C: string; D: string }

/** A: short timer, agent; B: 3600 s; C: no timer; D: short timer, no agent. */
async function makeQueues(): Promise<Queues> {
  const tag = randomUUID().slice(0, 8)
  const make = async (name: string, secs: number | null) =>
    (await emu.admin<{ id: string }>('POST', 'queues', { name: `${name} ${tag}`, mediaSettings: media(secs) })).id
  return { A: await make('A', 60), B: await make('B', 3600), C: await make('C', null), D: await make('D', 120) }
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString()

/** On `queueId`, a customer and an acd participant (no agent): the timer never starts. */
async function waiting(queueId: string): Promise<string> {
  const start = ago(2 * 60 * MIN)
  const c = await emu.createConversation({
    startedAt: start,
    participants: [
      { purpose: 'customer', startTime: start, connectedTime: start, messages: [{ messageTime: ago(40 * MIN) }] },
      { purpose: 'acd', startTime: start, connectedTime: start, queue: { id: queueId } },
    ],
  })
  return (c as { id: string }).id
}

interface Scenario { q: Queues; ids: Queues }

async function scenario(): Promise<Scenario> {
  // The timer ends A at once, long ago: analytics must still list it open.
  await emu.configure({ queueTimerBeforeAgent: false, analyticsLagMs: 24 * 60 * MIN })
  const q = await makeQueues()
  const a = (await emu.createConversation({ queueId: q.A, startedAt: ago(2 * 60 * MIN), lastActivityAt: ago(40 * MIN) })) as { id: string }
  const ids = { A: a.id, B: await waiting(q.B), C: await waiting(q.C), D: await waiting(q.D) }
  return { q, ids }
}

function byId(results: unknown[]): Record<string, CloseResult> {
  const out: Record<string, CloseResult> = {}
  for (const r of results as CloseResult[]) out[r.conversationId] = r
  return out
}

function expectAttributed(report: SweepReport, s: Scenario, dryRun: boolean) {
  const r = byId(report.close.results)
  const { ids, q } = s
  expect(r[ids.A]).toMatchObject({ outcome: 'alreadyClosed', endedByInactivity: true, queueId: q.A, nativeTimer: 'endedByGenesys', queueTimeoutSeconds: 60, timerLive: 'on' })
  const ours = dryRun ? 'wouldClose' : 'closed'
  expect(r[ids.B]).toMatchObject({ outcome: ours, queueId: q.B, nativeTimer: 'endedByUsFirst', queueTimeoutSeconds: 3600, timerLive: 'on' })
  expect(r[ids.D]).toMatchObject({ outcome: ours, queueId: q.D, nativeTimer: 'missedByTimer', queueTimeoutSeconds: 120, timerLive: 'on' })
  expect(r[ids.C]).toMatchObject({ outcome: ours, queueId: q.C })
  for (const k of ['nativeTimer', 'queueTimeoutSeconds', 'timerLive', 'endedByInactivity']) expect(r[ids.C]).not.toHaveProperty(k)
  expect(r[ids.B]).not.toHaveProperty('endedByInactivity')
  expect(report.nativeTimer).toMatchObject({ endedByGenesys: 1, endedByUsFirst: 1, missedByTimer: 1, unclear: 0, available: true })
  expect(report.nativeTimer!.queuesWithTimer).toBeGreaterThanOrEqual(3)
  expect(report.nativeTimer).not.toHaveProperty('reason')
  // The bulk report still adds up: one result per candidate, each counted once.
  const c = report.close
  expect(c.closed + c.alreadyClosed + c.notFound + c.skipped + c.failed + c.wouldClose + c.duplicate + c.aborted).toBe(report.candidates)
  expect(c.results).toHaveLength(report.candidates)
}

describe('sweep', () => {
  test('ended by Genesys, ended by us first, missed by the timer; a dry run counts wouldClose', async () => {
    const s = await scenario()
    const client = clientFor(emu, SEED.cleanupClient)
    const dry = await client.sweep({ idleForMs: IDLE, dryRun: true })
    expectAttributed(dry, s, true)
    const swept = await client.sweep({ idleForMs: IDLE })
    expectAttributed(swept, s, false)
    // The queues were listed once, at the start.
    const listings = (await emu.requests()).filter((r) => r.method === 'GET' && /\/api\/v2\/routing\/queues$/.test(r.path.split('?')[0]))
    expect(listings.length).toBeGreaterThanOrEqual(2)
  })

  test('queues that cannot be listed: nativeTimer unavailable, never fatal', async () => {
    const s = await scenario()
    const role = await emu.createRole({
      name: `no queues ${randomUUID()}`,
      permissions: ['conversation:communication:disconnect', 'conversation:communication:view', 'analytics:conversationDetail:view'],
    })
    const id = `noqueue-${randomUUID()}`
    await emu.admin('POST', 'clients', { id, secret: 'noqueue-secret', roleIds: [role.id] })
    const report = await clientFor(emu, { clientId: id, clientSecret: 'noqueue-secret' }).sweep({ idleForMs: IDLE, dryRun: true })
    // The re-read's evidence still wins (ended by Genesys); nothing else can be attributed.
    expect(report.nativeTimer).toMatchObject({ available: false, endedByGenesys: 1, endedByUsFirst: 0, missedByTimer: 0, queuesWithTimer: 0 })
    expect(report.nativeTimer!.reason).toMatch(/routing:queue:view/)
    const r = byId(report.close.results)
    expect(r[s.ids.B]).toMatchObject({ outcome: 'wouldClose' })
    expect(r[s.ids.B]).not.toHaveProperty('nativeTimer')
    expect(r[s.ids.A]).toMatchObject({ outcome: 'alreadyClosed', endedByInactivity: true, nativeTimer: 'endedByGenesys' })
    expect(r[s.ids.A]).not.toHaveProperty('timerLive')
  })

  test('the CLI prints the counts', async () => {
    await scenario()
    const run = spawnSync(process.execPath, [CLI, 'sweep', '--idle', '30m', '--dry-run'], {
      env: { ...process.env, GENESYS_BASE_URL: emu.url, GENESYS_CLIENT_ID: SEED.cleanupClient.clientId, GENESYS_CLIENT_SECRET: SEED.cleanupClient.clientSecret },
      encoding: 'utf8',
      timeout: 60_000,
    })
    if (!/Genesys's own timers/.test(run.stdout)) throw new Error(run.stdout + run.stderr)
    expect(run.stdout).toMatch(/Genesys's own timers: ended by Genesys \d+, ended by us first \d+, missed by the timer \d+/)
  })
})

describe('watch', () => {
  const controllers: AbortController[] = []
  afterEach(() => {
    for (const c of controllers.splice(0)) c.abort()
  })

  async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    const until = Date.now() + timeoutMs
    for (;;) {
      const v = probe()
      if (v !== undefined && v !== false) return v
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  function start(dryRun: boolean) {
    const controller = new AbortController()
    controllers.push(controller)
    const events: WatchEvent[] = []
    const done = clientFor(emu, SEED.cleanupClient).watch({
      idleMs: IDLE,
      reconcileEveryMs: 3_600_000,
      dryRun,
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    })
    return { events, stop: async (): Promise<WatchReport> => (controller.abort(), done) }
  }

  test.each([false, true])('ended by Genesys (re-read and stream), by us first, missed by the timer; dry run %s', async (dryRun) => {
    const s = await scenario()
    // E: a 1 s timer with an agent, created while the watch runs: the stream shows Genesys end it.
    const E = (await emu.admin<{ id: string }>('POST', 'queues', { name: `E ${randomUUID()}`, mediaSettings: media(1) })).id
    const w = start(dryRun)
    const ours = dryRun ? 'wouldClose' : 'closed'
    const of = (id: string, kind: string) => w.events.find((e) => e.conversationId === id && e.kind === kind)
    await waitFor('the first sweep', () => w.events.some((e) => e.kind === 'reconciled'))
    const e = ((await emu.createConversation({ queueId: E })) as { id: string }).id
    const byStream = await waitFor('the stream to show E ended by Genesys', () => of(e, 'endedByGenesys'))
    expect(byStream).toMatchObject({ nativeTimer: 'endedByGenesys', reason: expect.stringMatching(/stream/) })
    const byRead = await waitFor('A ended by Genesys', () => of(s.ids.A, 'endedByGenesys'))
    expect(byRead).toMatchObject({ nativeTimer: 'endedByGenesys', reason: expect.stringMatching(/re-read/) })
    expect(await waitFor('B', () => of(s.ids.B, ours))).toMatchObject({ nativeTimer: 'endedByUsFirst' })
    expect(await waitFor('D', () => of(s.ids.D, ours))).toMatchObject({ nativeTimer: 'missedByTimer' })
    expect(await waitFor('C', () => of(s.ids.C, ours))).not.toHaveProperty('nativeTimer')
    const report = await w.stop()
    expect(report.nativeTimer).toMatchObject({ endedByGenesys: 2, endedByUsFirst: 1, missedByTimer: 1, unclear: 0, available: true })
    expect(report.nativeTimer!.queuesWithTimer).toBeGreaterThanOrEqual(4)
    // Each conversation counted once, and one endedByGenesys event each.
    expect(w.events.filter((x) => x.kind === 'endedByGenesys').map((x) => x.conversationId).sort()).toEqual([s.ids.A, e].sort())
    expect(dryRun ? report.wouldClose : report.closed).toBe(3)
  })
})
