// Retries, token lifecycle, cancellation, host rules and secrets, under
// faults the emulator injects over real HTTP.
import { inspect } from 'node:util'
import { closeConversation, checkScopes, CleanupClient, ClientEvent } from '../index'
import { startEmulator, FaultKind } from '../testing'
import { emulatorPerFile, newConversation, rejectionOf, randomUUID, SEED, clientFor, clientOptions, requestsTo, pathEnding, TOKEN_PATH } from './helpers'

const emu = emulatorPerFile()
const errors: unknown[] = []
const SECRETS = [SEED.cleanupToken, SEED.cleanupClient.clientSecret, SEED.readonlyClient.clientSecret, 'my-very-secret-static-token', 'wrong-secret-xyz']


const MESSAGES = '/api/v2/conversations/messages/*'

async function failure(p: Promise<unknown>): Promise<any> {
  const e = await rejectionOf(p)
  errors.push(e)
  return e
}

describe('retries that respect Genesys', () => {
  test('429 with Retry-After is waited out exactly and retried', async () => {
    const id = await newConversation(emu)
    await emu.script([{ method: 'GET', path: MESSAGES, times: 2, respond: { status: 429, retryAfter: 1 } }])
    const t0 = Date.now()
    const r = await closeConversation(id, clientOptions(emu))
    const took = Date.now() - t0
    expect(r).toMatchObject({ outcome: 'closed', retries: 2, requests: 4 })
    expect(took).toBeGreaterThanOrEqual(1900)
    expect(took).toBeLessThan(6000)
  })

  test('a Retry-After above maxRetryAfterMs fails fast with retryAfterMs', async () => {
    const id = await newConversation(emu)
    await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { status: 429, retryAfter: 600 } }])
    const t0 = Date.now()
    const e = await failure(closeConversation(id, clientOptions(emu)))
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(e).toMatchObject({ code: 'ERR_RATE_LIMITED', status: 429, retryAfterMs: 600_000, genesysCode: 'too.many.requests.retry.after' })
    expect(e.message).toContain('maxRetryAfterMs')
  })

  test.each([500, 502, 503, 504])('%i is retried', async (status) => {
    const id = await newConversation(emu)
    await emu.script([{ method: 'PATCH', path: MESSAGES, times: 2, respond: { status } }])
    await emu.clearRequests()
    const r = await closeConversation(id, clientOptions(emu))
    // Each retry's pause is followed by a fresh read: a PATCH never goes out
    // on a read older than one round trip (README "How idle is decided").
    expect(r).toMatchObject({ outcome: 'closed', retries: 2, requests: 6 })
    const log = await requestsTo(emu, { path: pathEnding(id) })
    expect(log.map((x) => `${x.method} ${x.status}`)).toEqual(['GET 200', `PATCH ${status}`, 'GET 200', `PATCH ${status}`, 'GET 200', 'PATCH 200'])
  })

  test.each([400, 404, 409, 501])('%i is never retried', async (status) => {
    const id = await newConversation(emu)
    await emu.script([{ method: 'PATCH', path: MESSAGES, times: 3, respond: { status } }])
    const r = closeConversation(id, clientOptions(emu))
    if (status === 404) {
      expect(await r).toMatchObject({ outcome: 'notFound', retries: 0, requests: 2 })
    } else if (status === 409 || status === 400) {
      // A state conflict is verified by a re-read, not retried: still open -> the error stands.
      const e = await failure(r)
      expect(e.status).toBe(status)
      expect(await requestsTo(emu, { method: 'PATCH' })).toHaveLength(1)
    } else {
      const e = await failure(r)
      expect(e).toMatchObject({ code: 'ERR_UPSTREAM', status: 501 })
      expect(await requestsTo(emu, { method: 'PATCH' })).toHaveLength(1)
    }
  })

  test('maxRetries: 0 gives up at once', async () => {
    const id = await newConversation(emu)
    await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { status: 503 } }])
    const e = await failure(closeConversation(id, clientOptions(emu, { maxRetries: 0 })))
    expect(e).toMatchObject({ code: 'ERR_UPSTREAM', status: 503, genesysCode: 'service.unavailable' })
    expect(e.correlationId).toBeTruthy()
  })

  test.each<[FaultKind, number]>([
    ['reset', 2],
    // A PATCH answered 200 has ended the conversation whatever its body says: no retry.
    ['truncated', 1],
    ['malformed', 1],
  ])('a %s answer is retried (reads and writes are safe to repeat)', async (fault, retries) => {
    const id = await newConversation(emu)
    await emu.script([
      { method: 'GET', path: MESSAGES, times: 1, respond: { fault } },
      { method: 'PATCH', path: MESSAGES, times: 1, respond: { fault } },
    ])
    const r = await closeConversation(id, clientOptions(emu))
    expect(r).toMatchObject({ outcome: 'closed', retries })
    const stored = await emu.conversation(id)
    expect(stored.participants.every((p: { state: string }) => p.state === 'disconnected')).toBe(true)
  })

  test('a slow body trips the per-attempt timeout and is retried', async () => {
    const id = await newConversation(emu)
    await emu.configure({ slowBodyMs: 3000 })
    await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { fault: 'slow' } }])
    const r = await closeConversation(id, clientOptions(emu, { timeoutMs: 400 }))
    expect(r).toMatchObject({ outcome: 'closed', retries: 1 })
    await emu.script([{ method: 'GET', path: MESSAGES, times: 5, respond: { fault: 'slow' } }])
    const e = await failure(closeConversation(await newConversation(emu), clientOptions(emu, { timeoutMs: 300, maxRetries: 1 })))
    expect(e.code).toBe('ERR_TIMEOUT')
    expect(e.message).toContain('timeoutMs')
  })

  test('the overall deadline stops retrying', async () => {
    const id = await newConversation(emu)
    await emu.script([{ method: 'GET', path: MESSAGES, times: 5, respond: { status: 429, retryAfter: 2 } }])
    const t0 = Date.now()
    const e = await failure(closeConversation(id, clientOptions(emu, { deadlineMs: 800 })))
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(e.code).toBe('ERR_RATE_LIMITED')
  })

  test('an unreachable host is ERR_NETWORK after retries', async () => {
    const dead = await startEmulator()
    const url = dead.url
    await dead.stop()
    const e = await failure(closeConversation(randomUUID(), { baseUrl: url, accessToken: 'my-very-secret-static-token', maxRetries: 2 }))
    expect(e.code).toBe('ERR_NETWORK')
  })
})

describe('token lifecycle', () => {
  test('an expired token is refreshed before use', async () => {
    await emu.configure({ tokenTtlSec: 1 })
    const c = clientFor(emu, SEED.cleanupClient)
    expect((await c.closeConversation(await newConversation(emu))).outcome).toBe('closed')
    await new Promise((r) => setTimeout(r, 1200))
    const r = await c.closeConversation(await newConversation(emu))
    expect(r.outcome).toBe('closed')
    expect(c.tokenRequests).toBe(2)
    // Refreshed before expiry: Genesys never had to answer 401.
    expect(await requestsTo(emu, { status: 401 })).toEqual([])
  })

  test('a token is refreshed before it expires, not when it is already due', async () => {
    // 2 s tokens are refreshed a tenth early: at 1.85 s the client must not
    // send the old token, which would expire in flight on a slow network.
    await emu.configure({ tokenTtlSec: 2 })
    const c = clientFor(emu, SEED.cleanupClient)
    expect((await c.closeConversation(await newConversation(emu))).outcome).toBe('closed')
    await new Promise((r) => setTimeout(r, 1850))
    expect((await c.closeConversation(await newConversation(emu))).outcome).toBe('closed')
    expect(c.tokenRequests).toBe(2)
  })

  test('a 401 refreshes once and replays, single-flight across concurrent callers', async () => {
    // The first token the client gets is one Genesys does not know (revoked
    // early): every call made with it is answered 401.
    await emu.script([{ method: 'POST', path: '/oauth/token', times: 1, respond: { status: 200, body: { access_token: 'revoked-token', token_type: 'bearer', expires_in: 86400 } } }])
    const c = clientFor(emu, SEED.cleanupClient)
    const ids = await Promise.all(Array.from({ length: 10 }, () => newConversation(emu)))
    const results = await Promise.all(ids.map((id) => c.closeConversation(id)))
    expect(results.every((r) => r.outcome === 'closed')).toBe(true)
    expect((await requestsTo(emu, { status: 401 })).length).toBeGreaterThan(0)
    // One token at the start, ONE more for all the 401s.
    expect(c.tokenRequests).toBe(2)
    expect(await requestsTo(emu, { path: TOKEN_PATH })).toHaveLength(2)
  })

  test('fifty concurrent first calls cause one token request', async () => {
    const c = clientFor(emu, SEED.cleanupClient)
    const ids = await Promise.all(Array.from({ length: 50 }, () => newConversation(emu)))
    const results = await Promise.all(ids.map((id) => c.closeConversation(id)))
    expect(results.every((r) => r.outcome === 'closed')).toBe(true)
    expect(c.tokenRequests).toBe(1)
    // The emulator saw exactly one.
    expect(await requestsTo(emu, { path: TOKEN_PATH })).toHaveLength(1)
  })

  test('a static token that gets a 401 fails with ERR_UNAUTHORIZED and no replay', async () => {
    const id = await newConversation(emu)
    await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { status: 401, code: 'credentials.expired' } }])
    const e = await failure(closeConversation(id, clientOptions(emu)))
    expect(e).toMatchObject({ code: 'ERR_UNAUTHORIZED', status: 401, genesysCode: 'credentials.expired' })
    expect(e.message).toMatch(/expired|revoked/)
    expect(await emu.requests()).toHaveLength(1)
  })

  test("the token endpoint's rate limit (a 400) is retried", async () => {
    await emu.script([{ method: 'POST', path: '/oauth/token', times: 1, respond: { status: 400, body: { error: 'invalid_request', description: 'rate limit exceeded', error_description: 'rate limit exceeded' } } }])
    const r = await closeConversation(await newConversation(emu), clientOptions(emu, SEED.cleanupClient))
    expect(r).toMatchObject({ outcome: 'closed', requests: 4, retries: 1 })
  })
})

describe('cancellation', () => {
  test('abort stops waiting on a slow answer at once', async () => {
    await emu.configure({ latencyMs: 3000 })
    const id = await newConversation(emu)
    const t0 = Date.now()
    const e = await failure(closeConversation(id, clientOptions(emu, { signal: AbortSignal.timeout(150) })))
    expect(e.code).toBe('ERR_ABORTED')
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  test('abort stops a Retry-After wait at once', async () => {
    const id = await newConversation(emu)
    await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { status: 429, retryAfter: 30 } }])
    const controller = new AbortController()
    const c = clientFor(emu)
    const p = c.closeConversation(id, { signal: controller.signal })
    setTimeout(() => controller.abort(), 200)
    const t0 = Date.now()
    const e = await failure(p)
    expect(e.code).toBe('ERR_ABORTED')
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(await emu.requests()).toHaveLength(1)
  })

  test('checkScopes can be aborted too', async () => {
    await emu.configure({ latencyMs: 2000 })
    const e = await failure(checkScopes(clientOptions(emu, { signal: AbortSignal.timeout(100) })))
    expect(e.code).toBe('ERR_ABORTED')
  })
})

describe('where the token may go', () => {
  test('a redirect is not followed, so the token never reaches the other host', async () => {
    const evil = await startEmulator()
    try {
      const id = await newConversation(emu)
      await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { status: 302, headers: { location: `${evil.url}/api/v2/conversations/messages/${id}` } } }])
      const e = await failure(closeConversation(id, clientOptions(emu)))
      expect(e).toMatchObject({ code: 'ERR_UPSTREAM', status: 302 })
      expect(e.message).toMatch(/redirect/)
      expect(await evil.requests()).toEqual([])
    } finally {
      await evil.stop()
    }
  })

  test.each([
    ['http://10.0.0.8:8080', 'ERR_INSECURE_URL'],
    ['http://192.168.1.1', 'ERR_INSECURE_URL'],
    ['http://localhost.example.com', 'ERR_INSECURE_URL'],
    ['ftp://127.0.0.1', 'ERR_INSECURE_URL'],
    ['https://user:pass@proxy.example.com', 'ERR_INVALID_ARGUMENT'],
    ['127.0.0.1:8080', 'ERR_INVALID_ARGUMENT'],
  ])('baseUrl %s is refused before any connection', async (baseUrl, code) => {
    const e = await failure(closeConversation(randomUUID(), { baseUrl, accessToken: 'my-very-secret-static-token' }))
    expect(e.code).toBe(code)
  })

  test.each(['http://127.0.0.1:1', 'http://[::1]:1', 'http://localhost:1'])('loopback %s may use plain http', async (baseUrl) => {
    const e = await failure(closeConversation(randomUUID(), { baseUrl, accessToken: 'my-very-secret-static-token', maxRetries: 0 }))
    expect(e.code).toBe('ERR_NETWORK')
  })

  test('an unknown region names the valid ones; domains and hosts are accepted', async () => {
    const e = await failure(checkScopes({ region: 'us-east-9', accessToken: 'x' }))
    expect(e.code).toBe('ERR_INVALID_ARGUMENT')
    expect(e.message).toContain('eu_west_1')
    for (const region of ['eu_west_1', 'mypurecloud.ie', 'api.mypurecloud.ie', 'eu-west-1']) {
      expect(() => new CleanupClient({ region, accessToken: 'x' })).not.toThrow()
    }
  })
})

describe('observability', () => {
  test('onEvent sees requests, responses and retries with path templates and no secrets', async () => {
    const events: ClientEvent[] = []
    const c = clientFor(emu, { ...SEED.cleanupClient, onEvent: (e: ClientEvent) => events.push(e) })
    const id = await newConversation(emu)
    await emu.script([{ method: 'PATCH', path: MESSAGES, times: 1, respond: { status: 503 } }])
    await c.closeConversation(id)
    await new Promise((r) => setTimeout(r, 50))
    const kinds = new Set(events.map((e) => e.kind))
    for (const k of ['tokenRefresh', 'request', 'response', 'retry']) expect(kinds).toContain(k)
    const text = JSON.stringify(events)
    expect(text).not.toContain(id)
    for (const s of SECRETS) expect(text).not.toContain(s)
    expect(events.find((e) => e.kind === 'retry')).toMatchObject({ method: 'PATCH', route: '/api/v2/conversations/messages/{conversationId}', status: 503 })
  })
})

describe('one-off calls take onEvent too', () => {
  test('closeConversation and checkScopes report their requests', async () => {
    const events: ClientEvent[] = []
    const id = await newConversation(emu)
    await closeConversation(id, clientOptions(emu, { onEvent: (e: ClientEvent) => events.push(e) }))
    await checkScopes(clientOptions(emu, { onEvent: (e: ClientEvent) => events.push(e) }))
    await new Promise((r) => setTimeout(r, 50))
    const routes = events.filter((e) => e.kind === 'response').map((e) => `${e.method} ${e.route}`)
    expect(routes).toEqual(expect.arrayContaining(['GET /api/v2/conversations/messages/{conversationId}', 'PATCH /api/v2/conversations/messages/{conversationId}', 'GET /api/v2/tokens/me']))
  })
})

describe('DEBUG=genesys-cleanup', () => {
  test('prints every event to stderr, without secrets or ids', async () => {
    const { spawnSync } = await import('node:child_process')
    const id = await newConversation(emu)
    const script = `
      const { CleanupClient } = require(${JSON.stringify(require.resolve('../index.js'))})
      new CleanupClient({ baseUrl: process.env.EMU, clientId: 'cleanup-client', clientSecret: 'cleanup-secret' })
        .closeConversation(process.env.CID).then((r) => console.log(r.outcome), (e) => { console.error(e.code); process.exitCode = 1 })`
    const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, DEBUG: 'genesys-cleanup', EMU: emu.url, CID: id }, encoding: 'utf8' })
    expect(run.status).toBe(0)
    expect(run.stdout.trim()).toBe('closed')
    expect(run.stderr).toMatch(/genesys-cleanup tokenRefresh POST \/oauth\/token/)
    expect(run.stderr).toMatch(/genesys-cleanup response PATCH \/api\/v2\/conversations\/messages\/\{conversationId\} attempt=0 status=200/)
    expect(run.stderr).not.toContain(id)
    for (const s of SECRETS) expect(run.stderr).not.toContain(s)
  })
})

describe('chaos: 1000 conversations with 20% injected faults', () => {
  test('every conversation ends closed or with a typed error; none lost, none double-counted', async () => {
    const { ids } = await emu.seed({ count: 1000, mix: { webmessaging: 1 }, endedFraction: 0, rngSeed: 42 })
    await emu.configure({ faultRate: 0.2, slowBodyMs: 1500, rngSeed: 1234 })
    const c = clientFor(emu, { ...SEED.cleanupClient, timeoutMs: 500 })
    const report = await c.closeConversations(ids, { concurrency: 16 })
    const stats = await emu.stats()
    await emu.configure({ faultRate: 0 })
    const outcomes: Record<string, number> = {}
    for (const r of report.results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1
    const failedCodes: Record<string, number> = {}
    for (const r of report.results) if (r.outcome === 'failed') failedCodes[r.error.code] = (failedCodes[r.error.code] ?? 0) + 1
    // eslint-disable-next-line no-console
    console.log(`chaos: ${stats.requests} requests served, ${stats.faultsInjected} faults injected, ${report.retries} retries, outcomes ${JSON.stringify(outcomes)}, failed codes ${JSON.stringify(failedCodes)}, ${Math.round(report.elapsedMs)} ms`)
    expect(stats.faultsInjected).toBeGreaterThan(200)
    expect(report.results).toHaveLength(1000)
    expect(report.results.map((r) => r.conversationId)).toEqual(ids)
    expect(new Set(report.results.map((r) => r.conversationId)).size).toBe(1000)
    expect(report.closed + report.failed + report.alreadyClosed).toBe(1000)
    for (const r of report.results) {
      if (r.outcome === 'failed') expect(r.error.code).toMatch(/^ERR_[A-Z_]+$/)
      else expect(['closed', 'alreadyClosed']).toContain(r.outcome)
    }
    expect(report.closed).toBeGreaterThan(950)
    // What was reported closed really is closed.
    const active = new Set(((await emu.admin('GET', 'conversations?state=active')) as { ids: string[] }).ids)
    const closedButActive = report.results.filter((r) => r.outcome === 'closed' && active.has(r.conversationId))
    expect(closedButActive).toEqual([])
  }, 120_000)
})

test('no error produced in this file carries a secret', () => {
  expect(errors.length).toBeGreaterThan(15)
  for (const e of errors) {
    const text = [String(e), (e as Error).stack, JSON.stringify(e), inspect(e, { depth: 5 })].join('\n')
    for (const s of SECRETS) expect(text).not.toContain(s)
  }
})
