// The logger option (pino and winston, for real) and genesys-cleanup/otel
// (the OpenTelemetry SDK's in-memory exporters), fed by a real client over
// HTTP to the emulator.
import { Writable } from 'node:stream'
import pino from 'pino'
import * as winston from 'winston'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { MeterProvider, MetricReader, DataPoint, Histogram } from '@opentelemetry/sdk-metrics'
import { closeConversation, checkScopes, CleanupClient, ClientEvent } from '../index'
import { createTelemetry } from '../otel'
import { clientFor, clientOptions, emulatorPerFile, newConversation, many, rejectionOf, SEED } from './helpers'
import { runNode, readmeSnippet, ROOT } from './netfixtures'

const emu = emulatorPerFile()
const MESSAGES = '/api/v2/conversations/messages/*'
const SECRETS = [SEED.cleanupToken, SEED.cleanupClient.clientSecret]

/** A pino logger writing JSON lines into an array. */
function pinoLines(): { logger: pino.Logger; lines: Array<Record<string, any>>; raw: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  const logger = pino({ level: 'debug' }, stream)
  const lines = () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  return {
    logger,
    get lines() {
      return lines()
    },
    raw: () => chunks.join(''),
  }
}

describe('logger', () => {
  test('pino gets one structured line per event, at its level, with no secret and no conversation id', async () => {
    const log = pinoLines()
    const ids = await many(emu, 2)
    await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { status: 429, retryAfter: 0 } }])
    const client = clientFor(emu, { ...SEED.cleanupClient, logger: log.logger })
    await client.closeConversations(ids)
    const lines = log.lines
    const byEvent = (e: string) => lines.filter((l) => l.event === e)
    expect(byEvent('operationStart')).toHaveLength(1)
    expect(byEvent('operationEnd')).toEqual([expect.objectContaining({ level: 30, name: 'closeConversations', component: 'genesys-cleanup', counts: expect.objectContaining({ closed: 2 }) })])
    expect(byEvent('retry')).toEqual([expect.objectContaining({ level: 40, status: 429, reason: 'throttling' })])
    expect(byEvent('response').length).toBe(6) // token + 429 + 2 reads + 2 writes
    for (const l of byEvent('response')) expect(l).toMatchObject({ level: 20, method: expect.any(String), route: expect.any(String), msg: expect.stringMatching(/^genesys-cleanup: /) })
    const op = byEvent('operationStart')[0].operation
    for (const l of lines) expect(l.operation).toBe(op)
    const raw = log.raw()
    for (const s of [...SECRETS, ...ids]) expect(raw).not.toContain(s)
  })

  test('a failure is an error line: the give-up and the failed call, with code and status', async () => {
    const log = pinoLines()
    const e = await rejectionOf(closeConversation(await newConversation(emu), clientOptions(emu, { accessToken: SEED.readonlyToken, logger: log.logger })))
    expect(e.code).toBe('ERR_MISSING_PERMISSION')
    // A request's give-up is a warning (the close may still fall back to another
    // request); the failed call is the error.
    const errors = log.lines.filter((l) => l.level === 50)
    expect(errors).toEqual([expect.objectContaining({ event: 'operationEnd', code: 'ERR_MISSING_PERMISSION', name: 'closeConversation', msg: expect.stringContaining('failed with ERR_MISSING_PERMISSION') })])
    const giveUps = log.lines.filter((l) => l.event === 'giveUp')
    expect(giveUps.length).toBeGreaterThan(0)
    for (const g of giveUps) expect(g).toMatchObject({ level: 40, code: 'ERR_MISSING_PERMISSION', status: 403, method: 'PATCH' })
  })

  test('winston gets (message, fields)', async () => {
    const seen: Array<Record<string, any>> = []
    const logger = winston.createLogger({
      level: 'debug',
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            objectMode: true,
            write(info, _enc, done) {
              seen.push(info)
              done()
            },
          }),
        }),
      ],
    })
    const r = await closeConversation(await newConversation(emu), clientOptions(emu, { logger }))
    expect(r.outcome).toBe('closed')
    const end = seen.find((i) => i.event === 'operationEnd')
    expect(end).toMatchObject({ level: 'info', outcome: 'closed', message: expect.stringMatching(/^genesys-cleanup: closeConversation done: closed/) })
    expect(seen.filter((i) => i.event === 'response')).toHaveLength(2)
  })

  test('a logger that throws is reported once and never stops the call; a bad logger is ERR_INVALID_ARGUMENT', async () => {
    // In a child process: Node's warnings go to its stderr.
    for (const [how, method] of [
      ['throws', '() => { throw new Error("logger down") }'],
      ['rejects', 'async () => { throw new Error("logger down") }'],
    ]) {
      const id = await newConversation(emu)
      const r = await runNode(
        `const { closeConversation } = require(${JSON.stringify(ROOT)})
         const m = ${method}
         closeConversation(${JSON.stringify(id)}, { baseUrl: ${JSON.stringify(emu.url)}, accessToken: ${JSON.stringify(SEED.cleanupToken)}, logger: { debug: m, info: m, warn: m, error: m } })
           .then((r) => console.log(r.outcome), (e) => console.log(e.code))`,
        {},
      )
      expect([how, r.stdout.trim()]).toEqual([how, 'closed'])
      expect(r.stderr.split('\n').filter((l) => l.includes('genesys-cleanup: the logger callback failed (logger down)'))).toHaveLength(1)
    }
    for (const bad of [42, { info() {} }, 'pino']) {
      const e = await rejectionOf(closeConversation(await newConversation(emu), { baseUrl: emu.url, accessToken: SEED.cleanupToken, logger: bad as any }))
      expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/^logger /) })
      expect(() => new CleanupClient({ baseUrl: emu.url, accessToken: SEED.cleanupToken, logger: bad as any })).toThrow(/^logger /)
    }
  })

  test('the README snippet runs as written', async () => {
    const id = await newConversation(emu)
    const r = await runNode(readmeSnippet('logging'), { GENESYS_BASE_URL: emu.url, GENESYS_CLIENT_ID: SEED.cleanupClient.clientId, GENESYS_CLIENT_SECRET: SEED.cleanupClient.clientSecret, CONVERSATION_ID: id })
    expect(r.stderr).toBe('')
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.find((l) => l.event === 'operationEnd')).toMatchObject({ outcome: 'closed', level: 30 })
    for (const s of [...SECRETS, id]) expect(r.stdout).not.toContain(s)
  })
})

/** Collects metrics on demand. */
class Reader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

function otel(options: { orgOnMetrics?: boolean } = {}) {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const reader = new Reader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const telemetry = createTelemetry({ tracerProvider, meterProvider, ...options })
  const metrics = async () => {
    const { resourceMetrics } = await reader.collect()
    const out: Record<string, Array<DataPoint<number | Histogram>>> = {}
    for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out[m.descriptor.name] = m.dataPoints as Array<DataPoint<number | Histogram>>
    return out
  }
  const sum = (points: Array<DataPoint<number | Histogram>> | undefined, where: Record<string, unknown> = {}) =>
    (points ?? []).filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v)).reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.count), 0)
  return { exporter, telemetry, metrics, sum }
}

const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) => spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)

describe('genesys-cleanup/otel', () => {
  test('a close: one span, a child span per HTTP answer with the semantic-convention attributes, metrics', async () => {
    const o = otel()
    const id = await newConversation(emu)
    const r = await closeConversation(id, clientOptions(emu, { onEvent: o.telemetry.onEvent }))
    expect(r.outcome).toBe('closed')
    const spans = o.exporter.getFinishedSpans()
    const op = spans.find((s) => s.name === 'genesys-cleanup closeConversation')!
    expect(op.attributes).toMatchObject({ 'genesys_cleanup.outcome': 'closed', 'genesys_cleanup.retries': 0 })
    const kids = childrenOf(spans, op)
    expect(kids.map((s) => s.name)).toEqual(['GET /api/v2/conversations/messages/{conversationId}', 'PATCH /api/v2/conversations/messages/{conversationId}'])
    expect(kids[1].attributes).toMatchObject({ 'http.request.method': 'PATCH', 'url.template': '/api/v2/conversations/messages/{conversationId}', 'http.response.status_code': 200, 'genesys.correlation_id': r.correlationIds[1] })
    for (const s of spans) expect(JSON.stringify(s.attributes)).not.toContain(id)
    const m = await o.metrics()
    expect(o.sum(m['genesys_cleanup.requests'])).toBe(2)
    expect(o.sum(m['genesys_cleanup.outcomes'], { 'genesys_cleanup.outcome': 'closed' })).toBe(1)
    expect(o.sum(m['http.client.request.duration'])).toBe(2)
    expect(o.sum(m['genesys_cleanup.operation.duration'], { 'genesys_cleanup.operation': 'closeConversation' })).toBe(1)
  })

  test("a fleet org's events carry genesys_cleanup.org on spans and metrics; other events none", async () => {
    const o = otel()
    // What CleanupFleet does: every event of an org's client gets its `org`.
    const asOrg = (org: string) => (e: ClientEvent) => o.telemetry.onEvent({ ...e, org } as ClientEvent)
    const [a, b, plain] = await Promise.all([newConversation(emu), newConversation(emu), newConversation(emu)])
    expect((await closeConversation(a, clientOptions(emu, { onEvent: asOrg('acme') }))).outcome).toBe('closed')
    expect((await closeConversation(b, clientOptions(emu, { onEvent: asOrg('globex') }))).outcome).toBe('closed')
    expect((await closeConversation(plain, clientOptions(emu, { onEvent: o.telemetry.onEvent }))).outcome).toBe('closed')
    const spans = o.exporter.getFinishedSpans()
    const ops = spans.filter((s) => s.name === 'genesys-cleanup closeConversation')
    expect(ops.map((s) => s.attributes['genesys_cleanup.org']).sort()).toEqual(['acme', 'globex', undefined])
    for (const op of ops) for (const kid of childrenOf(spans, op)) expect(kid.attributes['genesys_cleanup.org']).toBe(op.attributes['genesys_cleanup.org'])
    const m = await o.metrics()
    expect(o.sum(m['genesys_cleanup.requests'], { 'genesys_cleanup.org': 'acme' })).toBe(2)
    expect(o.sum(m['genesys_cleanup.requests'], { 'genesys_cleanup.org': 'globex' })).toBe(2)
    expect(o.sum(m['genesys_cleanup.requests'])).toBe(6)
    expect(o.sum(m['genesys_cleanup.outcomes'], { 'genesys_cleanup.org': 'acme', 'genesys_cleanup.outcome': 'closed' })).toBe(1)
    expect(o.sum(m['genesys_cleanup.operation.duration'], { 'genesys_cleanup.org': 'globex' })).toBe(1)
    // orgOnMetrics: false: on spans only (one metric series for all orgs).
    const quiet = otel({ orgOnMetrics: false })
    const c = await newConversation(emu)
    await closeConversation(c, clientOptions(emu, { onEvent: (e: ClientEvent) => quiet.telemetry.onEvent({ ...e, org: 'acme' } as ClientEvent) }))
    expect(quiet.exporter.getFinishedSpans().every((s) => s.attributes['genesys_cleanup.org'] === 'acme')).toBe(true)
    const qm = await quiet.metrics()
    for (const points of Object.values(qm)) for (const p of points) expect(p.attributes['genesys_cleanup.org']).toBeUndefined()
  })

  test('a 429 retry: the 429 answer is an error child span, counted in retries and rate_limited', async () => {
    const o = otel()
    const id = await newConversation(emu)
    await emu.script([{ method: 'GET', path: MESSAGES, times: 1, respond: { status: 429, retryAfter: 0 } }])
    const r = await closeConversation(id, clientOptions(emu, { onEvent: o.telemetry.onEvent }))
    expect(r).toMatchObject({ outcome: 'closed', retries: 1 })
    const spans = o.exporter.getFinishedSpans()
    const op = spans.find((s) => s.name === 'genesys-cleanup closeConversation')!
    expect(op.attributes['genesys_cleanup.retries']).toBe(1)
    const kids = childrenOf(spans, op)
    expect(kids.map((s) => s.attributes['http.response.status_code'])).toEqual([429, 200, 200])
    expect(kids[0].status.code).toBe(2) // ERROR
    expect(kids[0].attributes['error.type']).toBe('429')
    expect(kids[1].attributes['http.request.resend_count']).toBe(1)
    const m = await o.metrics()
    expect(o.sum(m['genesys_cleanup.retries'], { 'genesys_cleanup.retry.reason': 'throttling' })).toBe(1)
    expect(o.sum(m['genesys_cleanup.rate_limited'])).toBe(1)
    expect(o.sum(m['genesys_cleanup.requests'])).toBe(3)
  })

  test('a bulk run: one span for the run, every request its child, outcomes counted; a failure is an error span', async () => {
    const o = otel()
    const ids = await many(emu, 5)
    const client = clientFor(emu, { ...SEED.cleanupClient, onEvent: o.telemetry.onEvent })
    const report = await client.closeConversations([...ids, ids[0]], { concurrency: 3 })
    expect(report.closed).toBe(5)
    const spans = o.exporter.getFinishedSpans()
    const runs = spans.filter((s) => s.name === 'genesys-cleanup closeConversations')
    expect(runs).toHaveLength(1)
    const kids = childrenOf(spans, runs[0])
    expect(kids).toHaveLength(11) // the token, 5 reads, 5 writes
    expect(runs[0].attributes).toMatchObject({ 'genesys_cleanup.count.closed': 5, 'genesys_cleanup.count.duplicate': 1 })
    const m = await o.metrics()
    expect(o.sum(m['genesys_cleanup.outcomes'], { 'genesys_cleanup.outcome': 'closed' })).toBe(5)
    expect(o.sum(m['genesys_cleanup.outcomes'], { 'genesys_cleanup.outcome': 'duplicate' })).toBe(1)

    const e = await rejectionOf(checkScopes(clientOptions(emu, { accessToken: 'no-such-token', onEvent: o.telemetry.onEvent })))
    expect(e.code).toBe('ERR_UNAUTHORIZED')
    const failed = o.exporter.getFinishedSpans().find((s) => s.name === 'genesys-cleanup checkScopes')!
    expect(failed.status.code).toBe(2)
    expect(failed.attributes).toMatchObject({ 'error.type': 'ERR_UNAUTHORIZED', 'http.response.status_code': 401 })
    expect(o.sum((await o.metrics())['genesys_cleanup.give_ups'], { 'error.type': 'ERR_UNAUTHORIZED' })).toBe(1)
  })

  test('rate-limit waits: counted with their duration, and an event on the run span', async () => {
    const o = otel()
    // 5 requests per 1 s window: 8 single-request closes wait for one window turn.
    await emu.configure({ rateLimitPerMinute: 5, rateWindowMs: 1000, rateLimitMode: 'fixed' })
    const ids = await many(emu, 8)
    const client = clientFor(emu, { onEvent: o.telemetry.onEvent })
    const report = await client.closeConversations(ids, { fast: true, concurrency: 4 })
    expect(report.closed).toBe(8)
    const m = await o.metrics()
    const waits = o.sum(m['genesys_cleanup.rate_limit_waits'])
    expect(waits).toBeGreaterThan(0)
    expect(o.sum(m['genesys_cleanup.rate_limit_wait.duration'])).toBe(waits)
    const run = o.exporter.getFinishedSpans().find((s) => s.name === 'genesys-cleanup closeConversations')!
    expect(run.events.filter((e) => e.name === 'rateLimitWait').length).toBe(waits)
  })

  test('the README snippet runs as written', async () => {
    const id = await newConversation(emu)
    const r = await runNode(readmeSnippet('otel'), { GENESYS_BASE_URL: emu.url, GENESYS_CLIENT_ID: SEED.cleanupClient.clientId, GENESYS_CLIENT_SECRET: SEED.cleanupClient.clientSecret, CONVERSATION_ID: id })
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('genesys-cleanup closeConversation')
    expect(r.stdout).toContain('PATCH /api/v2/conversations/messages/{conversationId}')
  })
})

export type { ClientEvent }
