// endGuestConversation over the real emulator binary and a real WebSocket:
// every outcome of the table, the typed errors, and the guest token absent
// from every error, event, log line and result (each test uses a canary).
import { spawn, ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { endGuestConversation, isCleanupError } from '../index'
import type { ClientEvent, CleanupError, GuestEndResult } from '../index'
import { emulatorPerFile } from './helpers'

const emu = emulatorPerFile()
const SUPPORT = 'c0000000-0000-4000-8000-000000000001'

interface Seen {
  events: ClientEvent[]
  logs: string[]
}

const canary = () => `tok-CANARY-${randomUUID()}`
const guestUrl = () => emu.url.replace(/^http/, 'ws')

async function deployment(configuration: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<string> {
  const id = randomUUID()
  await emu.admin('POST', 'deployments', { id, name: id, configuration, ...extra })
  return id
}

function session(deploymentId: string, token: string, spec: Record<string, unknown> = {}) {
  return emu.admin('POST', 'guest/sessions', { deploymentId, token, ...spec }) as Promise<{ conversationId: string | null }>
}

async function connections(deploymentId: string) {
  return (await emu.admin('GET', `guest/connections?deploymentId=${deploymentId}`)) as {
    actions: Array<{ connection: number; action: string; detail: string | null }>
  }
}

async function conversationCount(): Promise<number> {
  return ((await emu.admin('GET', 'conversations')) as { ids: string[] }).ids.length
}

/** Calls endGuestConversation with a listener and a logger that record everything. */
async function end(options: Record<string, unknown>): Promise<{ result?: GuestEndResult; error?: CleanupError; seen: Seen }> {
  const seen: Seen = { events: [], logs: [] }
  const log = (level: string) => (...args: unknown[]) => seen.logs.push(`${level} ${JSON.stringify(args)}`)
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
  try {
    const result = await endGuestConversation({
      guestUrl: guestUrl(),
      onEvent: (e: ClientEvent) => seen.events.push(e),
      logger,
      ...options,
    } as unknown as Parameters<typeof endGuestConversation>[0])
    return { result, seen }
  } catch (e) {
    if (!isCleanupError(e)) throw e
    return { error: e, seen }
  }
}

/** The token must be nowhere: not in the result, the error (fields and stack), an event or a log line. */
function expectNoToken(token: string, r: { result?: GuestEndResult; error?: CleanupError; seen: Seen }) {
  const texts = [JSON.stringify(r.result ?? null), JSON.stringify(r.seen.events), ...r.seen.logs]
  if (r.error) texts.push(JSON.stringify(r.error), String(r.error.stack), r.error.message)
  for (const t of texts) expect(t).not.toContain(token)
  expect(r.seen.events.some((e) => e.kind === 'operationEnd' && e.name === 'endGuestConversation')).toBe(true)
}

/**
 * Another tab of the guest: a child Node process with its own WebSocket
 * (Node 20 has it behind --experimental-websocket). It resumes the session
 * and prints every frame it receives, one JSON per line.
 */
class Tab {
  frames: Array<{ class?: string; body?: unknown }> = []
  private child: ChildProcess
  constructor(url: string, deploymentId: string, token: string) {
    const script = `
      const ws = new WebSocket(process.env.URL + '/v1?deploymentId=' + process.env.DEP)
      ws.onopen = () => ws.send(JSON.stringify({ action: 'configureSession', token: process.env.TOK, deploymentId: process.env.DEP, startNew: false, tracingId: 'tab' }))
      ws.onmessage = (m) => console.log(m.data)
      ws.onclose = () => { console.log('{"class":"closed"}'); process.exit(0) }`
    this.child = spawn(process.execPath, ['--no-warnings', '--experimental-websocket', '-e', script], {
      env: { ...process.env, URL: url, DEP: deploymentId, TOK: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let buffer = ''
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let nl
      while ((nl = buffer.indexOf('\n')) >= 0) {
        this.frames.push(JSON.parse(buffer.slice(0, nl)))
        buffer = buffer.slice(nl + 1)
      }
    })
  }

  async waitFor(cls: string, ms = 5000): Promise<void> {
    const until = Date.now() + ms
    while (!this.frames.some((f) => f.class === cls)) {
      if (Date.now() > until) throw new Error(`the tab saw no ${cls}: ${JSON.stringify(this.frames)}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  stop() {
    this.child.kill()
  }
}

test('closed: Clear ends the conversation, and the guest\'s other tab gets SessionClearedEvent', async () => {
  const dep = await deployment()
  const token = canary()
  const { conversationId } = await session(dep, token, { queueId: SUPPORT })
  const tab = new Tab(guestUrl(), dep, token)
  try {
    await tab.waitFor('SessionResponse')
    const r = await end({ deploymentId: dep, token })
    expect(r.error).toBeUndefined()
    expect(r.result).toMatchObject({ outcome: 'closed', deploymentId: dep, newSession: false, readOnly: false, connectionClosedEvent: true })
    expect(r.result!.elapsedMs).toBeGreaterThan(0)
    await tab.waitFor('SessionClearedEvent')
    const conversation = (await emu.conversation(conversationId!)) as { state: string }
    expect(conversation.state).toBe('ended')
    const end_ = r.seen.events.find((e) => e.kind === 'operationEnd')
    expect(end_).toMatchObject({ name: 'endGuestConversation', outcome: 'closed' })
    expectNoToken(token, r)
  } finally {
    tab.stop()
  }
})

test('clear disabled: ERR_FORBIDDEN names the Messenger setting and republishing; echoed token redacted', async () => {
  const dep = await deployment({ conversationClear: false }, { clearForbiddenBody: 'Presence events Conversation Clear are not supported for {token}' })
  const token = canary()
  const { conversationId } = await session(dep, token, { queueId: SUPPORT })
  const r = await end({ deploymentId: dep, token })
  expect(r.error).toMatchObject({ code: 'ERR_FORBIDDEN', guestReason: 'clearDisabled', guestCode: 403 })
  expect(r.error!.message).toMatch(/conversation clear/i)
  expect(r.error!.message).toContain('conversationClear.enabled')
  expect(r.error!.message).toMatch(/republish the deployment/)
  expect(r.error!.message).toContain('[redacted]')
  expect(((await emu.conversation(conversationId!)) as { state: string }).state).toBe('active')
  expectNoToken(token, r)
})

test('unknown token: notFound, the new session closed, no conversation created, only configure and closeSession sent', async () => {
  const dep = await deployment()
  const token = canary()
  const before = await conversationCount()
  const r = await end({ deploymentId: dep, token })
  expect(r.result).toMatchObject({ outcome: 'notFound', newSession: true, sessionClosed: true })
  expect(await conversationCount()).toBe(before)
  const seen = await connections(dep)
  expect(seen.actions.map((a) => a.action)).toEqual(['configureSession', 'closeSession'])
  expectNoToken(token, r)
})

test('read-only session: alreadyClosed, and no Clear sent', async () => {
  const dep = await deployment()
  const token = canary()
  await session(dep, token, { queueId: SUPPORT, readOnly: true })
  const r = await end({ deploymentId: dep, token })
  expect(r.result).toMatchObject({ outcome: 'alreadyClosed', readOnly: true, newSession: false })
  expect((await connections(dep)).actions.map((a) => a.action)).toEqual(['configureSession'])
  expectNoToken(token, r)
})

test('expired (4006) and forgotten (4007) sessions', async () => {
  const dep = await deployment()
  const expired = canary()
  await session(dep, expired, { queueId: SUPPORT, expired: true })
  const r = await end({ deploymentId: dep, token: expired })
  expect(r.result).toMatchObject({ outcome: 'expired', guestCode: 4006 })
  expectNoToken(expired, r)
  const forgotten = canary()
  await session(dep, forgotten, { queueId: SUPPORT, forgotten: true })
  const f = await end({ deploymentId: dep, token: forgotten })
  expect(f.result).toMatchObject({ outcome: 'notFound', guestCode: 4007 })
  expectNoToken(forgotten, f)
})

test('a socket that never answers: ERR_TIMEOUT within timeoutMs, naming the phase; abort: ERR_ABORTED', async () => {
  const dep = await deployment()
  const token = canary()
  await session(dep, token, { queueId: SUPPORT })
  await emu.admin('POST', 'guest/mute', { deploymentId: dep, muted: true })
  const started = Date.now()
  const r = await end({ deploymentId: dep, token, timeoutMs: 1000 })
  const took = Date.now() - started
  expect(r.error).toMatchObject({ code: 'ERR_TIMEOUT', notAttempted: true })
  expect(r.error!.message).toContain('configureSession')
  expect(took).toBeGreaterThanOrEqual(950)
  expect(took).toBeLessThan(1500)
  expectNoToken(token, r)
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 150)
  const a = await end({ deploymentId: dep, token, signal: controller.signal })
  expect(a.error).toMatchObject({ code: 'ERR_ABORTED', notAttempted: true })
  expect(a.error!.message).toMatch(/nothing that ends the conversation was sent/)
  expectNoToken(token, a)
})

test('a refused upgrade (unknown deployment) is ERR_FORBIDDEN handshakeRefused', async () => {
  const token = canary()
  const r = await end({ deploymentId: randomUUID(), token })
  expect(r.error).toMatchObject({ code: 'ERR_FORBIDDEN', guestReason: 'handshakeRefused', status: 403 })
  expectNoToken(token, { ...r, seen: { ...r.seen, events: [...r.seen.events] } })
})

test('pushed out by the 3-connection limit: ERR_UPSTREAM connectionClosed', async () => {
  const dep = await deployment()
  const token = canary()
  await session(dep, token, { queueId: SUPPORT })
  await emu.configure({ guestLimitCloses: 'newest' })
  const tabs = [0, 1, 2].map(() => new Tab(guestUrl(), dep, token))
  try {
    for (const t of tabs) await t.waitFor('SessionResponse')
    const r = await end({ deploymentId: dep, token })
    expect(r.error).toMatchObject({ code: 'ERR_UPSTREAM', guestReason: 'connectionClosed', notAttempted: true })
    expectNoToken(token, r)
  } finally {
    for (const t of tabs) t.stop()
  }
})

test('bad options are typed errors that describe the token by its length only', async () => {
  const token = canary()
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ deploymentId: 'd', token: `${token}\u0007` }, 'ERR_INVALID_ARGUMENT', /got 48 characters/],
    [{ deploymentId: 'd', token: token.repeat(50) }, 'ERR_INVALID_ARGUMENT', /2048/],
    [{ deploymentId: 'd', token, guestUrl: 'ws://10.0.0.1:1/v1' }, 'ERR_INSECURE_URL', /wss:\/\//],
    [{ deploymentId: 'd', token, region: 'eu_west_1' }, 'ERR_INVALID_ARGUMENT', /exactly one/],
    [{ token }, 'ERR_INVALID_ARGUMENT', /deploymentId is required/],
    [{ deploymentId: 'd', token, timeoutMs: 5 }, 'ERR_INVALID_ARGUMENT', /timeoutMs/],
    [{ deploymentId: 'd', token, signal: 'nope' }, 'ERR_INVALID_ARGUMENT', /signal/],
  ]
  for (const [options, code, words] of cases) {
    const r = await end(options)
    expect(r.error).toMatchObject({ code })
    expect(r.error!.message).toMatch(words)
    const texts = [JSON.stringify(r.error), String(r.error!.stack), ...r.seen.logs, JSON.stringify(r.seen.events)]
    for (const t of texts) expect(t).not.toContain(token)
  }
  await expect(endGuestConversation(undefined as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
})

test('DEBUG=genesys-cleanup prints the operation, never the token', async () => {
  const dep = await deployment()
  const token = canary()
  await session(dep, token, { queueId: SUPPORT })
  const script = `
    require(process.env.INDEX).endGuestConversation({ deploymentId: process.env.DEP, token: process.env.TOK, guestUrl: process.env.URL })
      .then((r) => console.log(r.outcome), (e) => console.log(e.code))`
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, DEBUG: 'genesys-cleanup', INDEX: require.resolve('../index.js'), DEP: dep, TOK: token, URL: guestUrl() },
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  await new Promise((resolve) => child.on('exit', resolve))
  expect(out.trim()).toBe('closed')
  expect(err).toContain('operationEnd endGuestConversation')
  expect(err).not.toContain(token)
})
