// closeConversation end to end, over HTTP against the emulator binary.
import { closeConversation, CleanupClient, isCleanupError, regions } from '../index'
import type { Emulator } from '../testing'
import { withEmulator, newConversation, inventedCalls, rejectionOf, SEED, UUID_RE, randomUUID, LoggedRequest, clientFor, clientOptions, requestsTo } from './helpers'

let emu: Emulator
const allLogs: LoggedRequest[] = []

beforeAll(async () => {
  emu = await withEmulator()
})

beforeEach(async () => {
  allLogs.push(...(await emu.requests()))
  await emu.reset()
})

afterAll(async () => {
  allLogs.push(...(await emu.requests()))
  await emu.stop()
})

describe('malformed ids never reach the network', () => {
  const bad: unknown[] = ['abc', '../../users/me', '', '   ', '3fa85f6457174562b3fc2c963f66afa6', '{3fa85f64-5717-4562-b3fc-2c963f66afa6}', '3fa85f64-5717-4562-b3fc-2c963f66afa6/../x', 42, null, undefined, {}, Number.NaN, Infinity, Symbol('s'), () => 1, 10n, true]
  test.each(bad.map((b) => [typeof b === 'string' ? JSON.stringify(b) : String(typeof b === 'symbol' ? 'Symbol' : typeof b === 'function' ? 'function' : b === null ? 'null' : typeof b === 'object' ? '{}' : b), b]))('%s is ERR_INVALID_CONVERSATION_ID', async (_label, id) => {
    const e = await rejectionOf(closeConversation(id as string, clientOptions(emu)))
    expect(e).toMatchObject({ code: 'ERR_INVALID_CONVERSATION_ID' })
    expect(e).toBeInstanceOf(Error)
    expect(isCleanupError(e)).toBe(true)
    expect(e.message).toMatch(/UUID/)
    expect(e.message).toMatch(/No request was sent/)
  })

  test('the emulator log proves no request was made', async () => {
    await emu.clearRequests()
    for (const id of bad) await rejectionOf(closeConversation(id as string, clientOptions(emu)))
    const client = clientFor(emu)
    for (const id of bad) await rejectionOf(client.closeConversation(id as string))
    expect(await emu.requests()).toEqual([])
  })
})

describe('outcomes and request counts', () => {
  test('an active web messaging conversation is closed with 2 requests', async () => {
    const id = await newConversation(emu)
    const r = await closeConversation(id, clientOptions(emu))
    expect(r).toMatchObject({ conversationId: id, outcome: 'closed', method: 'conversation', participantsDisconnected: 2, requests: 2, retries: 0 })
    expect(r.correlationIds).toHaveLength(2)
    r.correlationIds.forEach((c) => expect(c).toMatch(UUID_RE))
    expect(r.elapsedMs).toBeGreaterThan(0)
    const stored = await emu.conversation(id)
    for (const p of stored.participants) expect(p.state).toBe('disconnected')
    const log = await emu.requests()
    expect(log.map((l) => `${l.method} ${l.path} ${l.status}`)).toEqual([
      `GET /api/v2/conversations/messages/${id} 200`,
      `PATCH /api/v2/conversations/messages/${id} 200`,
    ])
  })

  test('upper-case ids are normalised', async () => {
    const id = await newConversation(emu)
    const r = await closeConversation(id.toUpperCase(), clientOptions(emu))
    expect(r.conversationId).toBe(id)
    expect(r.outcome).toBe('closed')
  })

  test('an ended conversation is alreadyClosed with 1 request and no write', async () => {
    const id = await newConversation(emu, { state: 'ended' })
    const r = await closeConversation(id, clientOptions(emu))
    expect(r).toMatchObject({ outcome: 'alreadyClosed', method: 'none', requests: 1, participantsDisconnected: 0 })
    expect((await emu.requests()).map((l) => l.method)).toEqual(['GET'])
  })

  test('closing twice is idempotent', async () => {
    const id = await newConversation(emu)
    const client = clientFor(emu)
    expect((await client.closeConversation(id)).outcome).toBe('closed')
    expect((await client.closeConversation(id)).outcome).toBe('alreadyClosed')
  })

  test('an unknown id is notFound with 1 request', async () => {
    const r = await closeConversation(randomUUID(), clientOptions(emu))
    expect(r).toMatchObject({ outcome: 'notFound', method: 'none', requests: 1 })
  })

  test.each(['whatsapp', 'open', 'sms'])('a %s conversation is skipped, never ended', async (type) => {
    const id = await newConversation(emu, { type })
    const r = await closeConversation(id, clientOptions(emu))
    expect(r.outcome).toBe('skipped')
    expect(r.reason).toContain(type)
    expect(r.requests).toBe(1)
    const stored = await emu.conversation(id)
    expect(stored.participants.some((p: { state: string }) => p.state === 'connected')).toBe(true)
    expect(await requestsTo(emu, { notMethod: 'GET' })).toEqual([])
  })

  test('messageTypes widens what may be ended', async () => {
    const id = await newConversation(emu, { type: 'open' })
    const r = await closeConversation(id, clientOptions(emu, { messageTypes: ['webmessaging', 'open'] }))
    expect(r.outcome).toBe('closed')
  })

  test('a voice conversation is not a message conversation: notFound, untouched', async () => {
    const id = await newConversation(emu, { type: 'voice' })
    const r = await closeConversation(id, clientOptions(emu))
    expect(r.outcome).toBe('notFound')
    expect((await emu.requests()).map((l) => l.method)).toEqual(['GET'])
  })

  test('wrapupCode is applied to agents that must wrap up', async () => {
    const id = await newConversation(emu, { agentWrapupRequired: true })
    const code = randomUUID()
    const r = await closeConversation(id, clientOptions(emu, { wrapupCode: code }))
    expect(r.outcome).toBe('closed')
    expect(r.participantsDisconnected).toBe(2)
    const stored = await emu.conversation(id)
    const agent = stored.participants.find((p) => p.purpose === 'agent')
    expect(agent?.state).toBe('disconnected')
    expect(agent?.wrapup?.code).toBe(code)
    const log = await emu.requests()
    expect(log.some((l) => l.method === 'PATCH' && l.path.includes('/participants/'))).toBe(true)
  })

  test('an invalid wrapupCode is rejected before any request', async () => {
    const id = await newConversation(emu)
    await emu.clearRequests()
    const e = await rejectionOf(closeConversation(id, clientOptions(emu, { wrapupCode: 'Resolved' })))
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    expect(e.message).toContain('wrapupCode')
    expect(await emu.requests()).toEqual([])
  })

  test('without the disconnect permission it falls back to per-participant PATCH', async () => {
    const id = await newConversation(emu)
    const r = await closeConversation(id, clientOptions(emu, { accessToken: SEED.wrapupToken }))
    expect(r).toMatchObject({ outcome: 'closed', method: 'participants', participantsDisconnected: 2, requests: 4 })
    const stored = await emu.conversation(id)
    for (const p of stored.participants) expect(p.state).toBe('disconnected')
  })

  test('fast mode closes with one request', async () => {
    const id = await newConversation(emu)
    const r = await closeConversation(id, clientOptions(emu, { fast: true }))
    expect(r).toMatchObject({ outcome: 'closed', method: 'conversation', requests: 1 })
    const gone = await closeConversation(randomUUID(), clientOptions(emu, { fast: true }))
    expect(gone).toMatchObject({ outcome: 'notFound', requests: 1 })
  })

  test('fast mode still recognises an ended conversation from the answer', async () => {
    const id = await newConversation(emu, { state: 'ended', lastActivityAt: new Date(Date.now() - 3600_000).toISOString() })
    const r = await closeConversation(id, clientOptions(emu, { fast: true }))
    expect(r).toMatchObject({ outcome: 'alreadyClosed', requests: 1 })
  })

  test('verify re-reads until every participant ended', async () => {
    const id = await newConversation(emu)
    const r = await closeConversation(id, clientOptions(emu, { verify: true }))
    expect(r).toMatchObject({ outcome: 'closed', method: 'conversation', requests: 3 })
  })

  test('a stuck conversation is reported, and torn down on request', async () => {
    const id = await newConversation(emu, { stuck: true })
    const e = await rejectionOf(closeConversation(id, clientOptions(emu, { verify: true, verifyTimeoutMs: 300 })))
    expect(e).toMatchObject({ code: 'ERR_CONFLICT' })
    expect(e.message).toContain('teardownStuck')
    const r = await closeConversation(id, clientOptions(emu, { verify: true, verifyTimeoutMs: 300, teardownStuck: true }))
    expect(r).toMatchObject({ outcome: 'closed', method: 'teardown' })
    const stored = await emu.conversation(id)
    for (const p of stored.participants) expect(p.state).toBe('disconnected')
  })
})

describe('the idle guard (idleForMs): close it unless someone spoke recently', () => {
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString()
  const THIRTY_MIN = 30 * 60_000

  test('a chat idle since long ago is closed; the result says when it was last active', async () => {
    const id = await newConversation(emu, { startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) })
    const r = await closeConversation(id, clientOptions(emu, { idleForMs: THIRTY_MIN }))
    expect(r).toMatchObject({ outcome: 'closed', activitySource: 'messages', requests: 2 })
    expect(Math.abs(Date.parse(r.lastActivityAt!) - (Date.now() - 2 * 3600_000))).toBeLessThan(60_000)
  })

  test('a late customer message wins the race with the service\'s idle timer', async () => {
    const id = await newConversation(emu, { startedAt: ago(3 * 3600_000), lastActivityAt: ago(2 * 3600_000) })
    await emu.postMessage(id, { from: 'customer' })
    const c = clientFor(emu)
    const r = await c.closeConversation(id, { idleForMs: THIRTY_MIN, fast: true })
    expect(r).toMatchObject({ outcome: 'skipped', skipReason: 'active', method: 'none', requests: 1 })
    expect(r.reason).toMatch(/still active: last activity at/)
    expect((await emu.conversation(id)).state).toBe('active')
    expect(await requestsTo(emu, { method: 'PATCH' })).toEqual([])
    // An agent message counts as much; without the guard the close goes ahead.
    await emu.postMessage(id, { from: 'agent' })
    expect(await c.closeConversations([id], { idleForMs: THIRTY_MIN })).toMatchObject({ skipped: 1, closed: 0 })
    expect(await c.closeConversation(id)).toMatchObject({ outcome: 'closed' })
  })

  test('idleForMs is validated before any request', async () => {
    const id = randomUUID()
    for (const bad of [-1, Number.NaN, Infinity, '30m']) {
      const e = await rejectionOf(closeConversation(id, clientOptions(emu, { idleForMs: bad })))
      expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
      expect(e.message).toContain('idleForMs')
    }
    expect(await emu.requests()).toEqual([])
  })
})

describe('bounded answers (maxResponseBytes)', () => {
  test('an answer larger than maxResponseBytes is not read further: ERR_UPSTREAM, not retried', async () => {
    const id = await newConversation(emu)
    const huge = { id, participants: [], padding: 'x'.repeat(64 * 1024) }
    await emu.script([{ method: 'GET', path: `/api/v2/conversations/messages/${id}`, times: 5, respond: { status: 200, body: huge } }])
    const e = await rejectionOf(closeConversation(id, clientOptions(emu, { maxResponseBytes: 16 * 1024 })))
    expect(e).toMatchObject({ code: 'ERR_UPSTREAM' })
    expect(e.message).toContain('maxResponseBytes (16384 bytes)')
    expect(await requestsTo(emu, { method: 'GET' })).toHaveLength(1)
    // Under the default cap (8 MiB) the same answer is read.
    const r = await closeConversation(id, clientOptions(emu))
    expect(r.outcome).toBe('alreadyClosed')
  })

  test('maxResponseBytes is validated and named', async () => {
    for (const bad of [10, 1.5, -1, 2 ** 31]) {
      const e = await rejectionOf(closeConversation(randomUUID(), clientOptions(emu, { maxResponseBytes: bad })))
      expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
      expect(e.message).toMatch(/^maxResponseBytes must be a whole number from 1024 to 1073741824/)
    }
  })
})

describe('access errors', () => {
  test('a client without the permission gets ERR_MISSING_PERMISSION naming it', async () => {
    const id = await newConversation(emu)
    const e = await rejectionOf(closeConversation(id, clientOptions(emu, SEED.readonlyClient)))
    expect(e).toMatchObject({
      code: 'ERR_MISSING_PERMISSION',
      status: 403,
      genesysCode: 'missing.any.permissions',
    })
    expect(e.missingPermissions).toEqual(expect.arrayContaining(['conversation:communication:disconnect']))
    expect(e.correlationId).toMatch(UUID_RE)
    expect(e.message).toContain('readonly-client')
    expect(e.message).toContain('conversation:communication:disconnect')
    expect((await emu.conversation(id)).participants[0].state).toBe('connected')
  })

  test('a user token without the scope gets ERR_MISSING_SCOPE', async () => {
    const id = await newConversation(emu)
    const e = await rejectionOf(closeConversation(id, clientOptions(emu, { accessToken: SEED.userNoScopeToken })))
    expect(e).toMatchObject({ code: 'ERR_MISSING_SCOPE', status: 403 })
    expect(e.missingScopes).toContain('conversations')
  })

  test('a user without the role permission gets ERR_MISSING_PERMISSION', async () => {
    const id = await newConversation(emu)
    const e = await rejectionOf(closeConversation(id, clientOptions(emu, { accessToken: SEED.userReadonlyToken })))
    expect(e.code).toBe('ERR_MISSING_PERMISSION')
  })

  test('an unknown token is ERR_UNAUTHORIZED', async () => {
    const e = await rejectionOf(closeConversation(randomUUID(), clientOptions(emu, { accessToken: 'not-a-real-token' })))
    expect(e).toMatchObject({ code: 'ERR_UNAUTHORIZED', status: 401 })
    expect(e.message).toMatch(/expired|revoked/)
    expect(e.message).not.toContain('not-a-real-token')
  })

  test('bad client credentials are ERR_UNAUTHORIZED without the secret', async () => {
    const e = await rejectionOf(closeConversation(randomUUID(), clientOptions(emu, { clientId: 'cleanup-client', clientSecret: 'wrong-secret-value' })))
    expect(e.code).toBe('ERR_UNAUTHORIZED')
    expect(`${e.message} ${e.stack} ${JSON.stringify(e)}`).not.toContain('wrong-secret-value')
  })
})

describe('client credentials', () => {
  test('a one-off close counts the token request', async () => {
    const id = await newConversation(emu)
    const r = await closeConversation(id, clientOptions(emu, SEED.cleanupClient))
    expect(r).toMatchObject({ outcome: 'closed', requests: 3 })
    const log = await emu.requests()
    expect(log[0]).toMatchObject({ method: 'POST', path: '/oauth/token', auth: 'Basic' })
  })
})

describe('regions', () => {
  test('the exported list is the one the library resolves: every name, domain and API host is accepted, anything else is refused naming them all', async () => {
    expect(regions.length).toBe(18)
    expect(Object.isFrozen(regions) && Object.isFrozen(regions[0])).toBe(true)
    expect(regions.find((r) => r.name === 'eu_west_1')).toEqual({ name: 'eu_west_1', domain: 'mypurecloud.ie', apiHost: 'api.mypurecloud.ie', loginHost: 'login.mypurecloud.ie' })
    for (const r of regions) {
      for (const region of [r.name, r.domain, r.apiHost]) expect(() => new CleanupClient({ region, accessToken: 't' })).not.toThrow()
    }
    const e = await rejectionOf(closeConversation(randomUUID(), { region: 'mars_north_1', accessToken: 't' }))
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    for (const r of regions) expect(e.message).toContain(r.name)
  })
})

describe('a password in baseUrl is never echoed', () => {
  test.each([
    ['loopback', 'http://admin:S3cr3tPW@127.0.0.1:1'],
    ['off loopback', 'http://admin:S3cr3tPW@example.com'],
    ['an invalid port', 'http://admin:S3cr3tPW@127.0.0.1:99999'],
    ['user only', 'https://S3cr3tPW@api.mypurecloud.ie'],
  ])('%s', async (_label, baseUrl) => {
    const e = await rejectionOf(closeConversation(randomUUID(), clientOptions(emu, { baseUrl })))
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    expect(e.message).toContain('must not contain credentials')
    for (const text of [e.message, String(e.stack), require('node:util').inspect(e), JSON.stringify(e)]) expect(text).not.toContain('S3cr3tPW')
    expect(() => new CleanupClient({ baseUrl, accessToken: 't' })).toThrow(/\*\*\*@/)
  })
})

describe('argument errors reject, never throw', () => {
  test.each([
    ['no credentials', { baseUrl: 'http://127.0.0.1:9' }, 'ERR_INVALID_ARGUMENT'],
    ['plain http off loopback', { baseUrl: 'http://example.com', accessToken: 'x' }, 'ERR_INSECURE_URL'],
    ['a file: URL', { baseUrl: 'file:///etc/passwd', accessToken: 'x' }, 'ERR_INSECURE_URL'],
    ['unknown region', { region: 'mars_north_1', accessToken: 'x' }, 'ERR_INVALID_ARGUMENT'],
    ['wrong option type', { baseUrl: 'http://127.0.0.1:9', accessToken: 'x', timeoutMs: 'soon' }, 'ERR_INVALID_ARGUMENT'],
    ['options not an object', 'nope', 'ERR_INVALID_ARGUMENT'],
  ])('%s', async (_label, options, code) => {
    let p: Promise<unknown> | undefined
    expect(() => {
      p = closeConversation(randomUUID(), options as never)
    }).not.toThrow()
    const e = await rejectionOf(p!)
    expect(e.code).toBe(code)
  })

  test('CleanupClient constructor throws a typed error for bad options', () => {
    expect(() => new CleanupClient({ baseUrl: 'http://10.1.1.1', accessToken: 'x' })).toThrow(expect.objectContaining({ code: 'ERR_INSECURE_URL' }))
  })

  test('an aborted signal rejects with ERR_ABORTED before any request', async () => {
    await emu.clearRequests()
    const e = await rejectionOf(closeConversation(randomUUID(), clientOptions(emu, { signal: AbortSignal.abort() })))
    expect(e.code).toBe('ERR_ABORTED')
    expect(await emu.requests()).toEqual([])
  })
})

test('no call in this file used an invented endpoint', async () => {
  allLogs.push(...(await emu.requests()))
  expect(allLogs.length).toBeGreaterThan(20)
  expect(inventedCalls(allLogs)).toEqual([])
})
