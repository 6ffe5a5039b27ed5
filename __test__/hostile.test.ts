// Hostile servers and careless callers (issue 12): a small Node server in the
// test plays the server that lies, floods or breaks, over real HTTP on
// loopback; the emulator plays Genesys where a run must succeed. One describe
// per row of the issue.
import * as http from 'node:http'
import * as https from 'node:https'
import * as net from 'node:net'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { inspect } from 'node:util'
import { spawnSync } from 'node:child_process'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { closeConversation, CleanupClient, type ClientEvent, type BulkProgress } from '../index'
import { clientFor, emulatorPerFile, randomUUID, rejectionOf, SEED } from './helpers'

const emu = emulatorPerFile()
const ID = '3fa85f64-5717-4562-b3fc-2c963f66afa6'

interface Hostile {
  url: string
  /** Requests that reached the server. */
  hits: () => number
  close: () => Promise<void>
}

/** A server on 127.0.0.1 answering every request with `handler`. */
async function hostile(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void, tls = false): Promise<Hostile> {
  let hits = 0
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    hits++
    handler(req, res)
  }
  const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name))
  const server: http.Server = tls
    ? https.createServer({ key: fixture('untrusted.key.pem'), cert: fixture('untrusted.cert.pem') }, onRequest)
    : http.createServer({ maxHeaderSize: 64 * 1024 }, onRequest)
  const sockets = new Set<net.Socket>()
  server.on('connection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Runs `body` against a hostile server and closes it whatever happens. */
async function against<T>(handler: Parameters<typeof hostile>[0], body: (h: Hostile) => Promise<T>, tls = false): Promise<T> {
  const h = await hostile(handler, tls)
  try {
    return await body(h)
  } finally {
    await h.close()
  }
}

const opts = (url: string, extra: Record<string, unknown> = {}) => ({ baseUrl: url, accessToken: 'hostile-token', ...extra })

/** Writes `total` bytes of spaces (then `{}`) as fast as the reader takes them; stops when it hangs up. */
function stream(res: http.ServerResponse, total: number) {
  const chunk = Buffer.alloc(64 * 1024, ' ')
  let sent = 0
  const pump = () => {
    while (sent < total) {
      sent += chunk.length
      if (!res.write(chunk)) return void res.once('drain', pump)
    }
    res.end('{}')
  }
  res.on('close', () => {
    sent = total + 1
  })
  pump()
}

describe('row 1: bounded answers', () => {
  test('a 300 MB answer is not read past maxResponseBytes, not retried, and RSS hardly grows', async () => {
    global.gc?.()
    const before = process.memoryUsage().rss
    await against(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        stream(res, 300 * 2 ** 20)
      },
      async (h) => {
        const e = await rejectionOf(closeConversation(ID, opts(h.url)))
        expect(e).toMatchObject({ code: 'ERR_UPSTREAM' })
        expect(e.message).toContain('maxResponseBytes (8388608 bytes)')
        expect(h.hits()).toBe(1)
      },
    )
    // The default cap is 8 MiB: well under 100 MB of growth, not ~2x 300 MB.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 2 ** 20)
  })

  test('an announced Content-Length over the cap is refused before reading', async () => {
    await against(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 ** 30) })
        res.write('{')
      },
      async (h) => {
        const t0 = Date.now()
        const e = await rejectionOf(closeConversation(ID, opts(h.url, { maxResponseBytes: 4096 })))
        expect(e.code).toBe('ERR_UPSTREAM')
        expect(e.message).toContain('maxResponseBytes (4096 bytes)')
        expect(Date.now() - t0).toBeLessThan(5000)
      },
    )
  })

  test('a Content-Length longer than the body sent is a reset, retried, with its cause', async () => {
    await against(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' })
        res.write('{"id":')
        setTimeout(() => res.socket?.destroy(), 20)
      },
      async (h) => {
        const events: ClientEvent[] = []
        const e = await rejectionOf(closeConversation(ID, opts(h.url, { maxRetries: 1, onEvent: (ev: ClientEvent) => events.push(ev) })))
        expect(e).toMatchObject({ code: 'ERR_NETWORK', networkCause: 'reset' })
        expect(h.hits()).toBe(2)
        expect(events.filter((ev) => ev.kind === 'retry')).toEqual([expect.objectContaining({ networkCause: 'reset' })])
      },
    )
  })

  test('a Content-Length shorter than the body: only what it announced is read (not the JSON expected)', async () => {
    await against(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '3' })
        res.end(`{"id":"${ID}","participants":[]}`)
      },
      async (h) => {
        const e = await rejectionOf(closeConversation(ID, opts(h.url, { maxRetries: 0 })))
        expect(e).toMatchObject({ code: 'ERR_UPSTREAM', status: 200 })
        expect(e.message).toContain('not the expected JSON')
      },
    )
  })

  test('a body that trickles slower than timeoutMs ends with ERR_TIMEOUT in time', async () => {
    await against(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        const t = setInterval(() => res.write(' '), 100)
        res.on('close', () => clearInterval(t))
      },
      async (h) => {
        const t0 = Date.now()
        const e = await rejectionOf(closeConversation(ID, opts(h.url, { timeoutMs: 600, maxRetries: 0 })))
        expect(e.code).toBe('ERR_TIMEOUT')
        expect(e.message).toContain('600 ms (timeoutMs)')
        expect(Date.now() - t0).toBeLessThan(3000)
      },
    )
  })
})

describe('row 2 and 11: server strings are bounded, invalid UTF-8 keeps the code', () => {
  test('a 200 KB correlation id and a 1 MB message are cut', async () => {
    await against(
      (_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json', 'inin-correlation-id': 'c'.repeat(200_000) })
        res.end(JSON.stringify({ message: 'm'.repeat(2 ** 20), code: 'not.found', status: 404 }))
      },
      async (h) => {
        const report = await new CleanupClient(opts(h.url)).closeConversations([ID, randomUUID()], { concurrency: 2 })
        for (const r of report.results) {
          expect(r.outcome).toBe('notFound')
          const ids = (r as { correlationIds: string[] }).correlationIds
          expect(ids).toHaveLength(1)
          expect(ids[0]).toBe('c'.repeat(128))
        }
        // Every check of a diagnosis quotes the message: each cut to ~1 KiB.
        const scopes = await new CleanupClient(opts(h.url)).checkScopes()
        expect(JSON.stringify(scopes).length).toBeLessThan(16 * 1024)
        expect(JSON.stringify(scopes)).toContain('m'.repeat(500))
      },
    )
  })

  test('a 403 with invalid UTF-8 in its body keeps its Genesys code', async () => {
    await against(
      (_req, res) => {
        res.writeHead(403, { 'content-type': 'application/json' })
        res.end(Buffer.concat([Buffer.from('{"message":"no \xff'), Buffer.from([0xff, 0xfe]), Buffer.from('","code":"missing.any.permissions","messageParams":{"permissions":"conversation:communication:disconnect"}}')]))
      },
      async (h) => {
        const e = await rejectionOf(closeConversation(ID, opts(h.url)))
        expect(e).toMatchObject({ code: 'ERR_MISSING_PERMISSION', genesysCode: 'missing.any.permissions', status: 403 })
      },
    )
  })
})

describe('row 3: every bulk element gets its own result', () => {
  test('values that are not ids fail alone, with no request sent', async () => {
    await against(
      (_req, res) => res.end('{}'),
      async (h) => {
        // eslint-disable-next-line no-sparse-arrays
        const input: unknown[] = [undefined, Number.NaN, Symbol('s'), () => 1, {}, , 10n, 'nope']
        const report = await new CleanupClient(opts(h.url)).closeConversations(input as string[])
        expect(report.results).toHaveLength(input.length)
        expect(report.results.every((r) => r.outcome === 'failed' && r.error.code === 'ERR_INVALID_CONVERSATION_ID')).toBe(true)
        expect(h.hits()).toBe(0)
      },
    )
  })

  test('strings crossing joined or one by one give the same results (a newline in an id cannot split it)', async () => {
    const [a, b] = (await emu.seed({ count: 2, mix: { webmessaging: 1 }, endedFraction: 0 })).ids
    const client = clientFor(emu)
    const withNewline = await client.closeConversations([a, `${b}\n${a}`, b.toUpperCase()])
    expect(withNewline.results.map((r) => r.outcome)).toEqual(['closed', 'failed', 'closed'])
    const joined = await client.closeConversations([a, b, a, ''])
    expect(joined.results.map((r) => r.outcome)).toEqual(['alreadyClosed', 'alreadyClosed', 'duplicate', 'failed'])
    expect((await client.closeConversations([])).results).toEqual([])
  })
})

describe('row 4: a password in baseUrl is never echoed, nothing is sent', () => {
  test('message, stack, inspect and events stay clean', async () => {
    await against(
      (_req, res) => res.end('{}'),
      async (h) => {
        const events: ClientEvent[] = []
        const url = h.url.replace('http://', 'http://admin:Pa55word@')
        const e = await rejectionOf(closeConversation(ID, opts(url, { onEvent: (ev: ClientEvent) => events.push(ev) })))
        expect(e.code).toBe('ERR_INVALID_ARGUMENT')
        for (const text of [e.message, e.stack, inspect(e), JSON.stringify(events)]) expect(text).not.toContain('Pa55word')
        expect(h.hits()).toBe(0)
      },
    )
  })
})

describe('row 5: callbacks that throw or reject', () => {
  test('an async onEvent that rejects is caught and warned about once', async () => {
    let calls = 0
    const unhandled: unknown[] = []
    const onUnhandled = (r: unknown) => unhandled.push(r)
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    process.on('unhandledRejection', onUnhandled)
    try {
      const ids = (await emu.seed({ count: 20, mix: { webmessaging: 1 }, endedFraction: 0 })).ids
      const report = await clientFor(emu, { onEvent: async () => { calls++; throw new Error('listener down') } }).closeConversations(ids)
      expect(report.closed).toBe(20)
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    const warnings = warn.mock.calls.map((c) => String(c[0]))
    warn.mockRestore()
    expect(calls).toBeGreaterThan(1)
    expect(unhandled).toEqual([])
    expect(warnings.filter((w) => w.includes('the onEvent callback failed (listener down)'))).toHaveLength(1)
  })
})

describe('row 6: event delivery', () => {
  test('with a slow observer, every event and the final progress arrive before the promise; none after', async () => {
    const ids = (await emu.seed({ count: 1500, mix: { webmessaging: 1 }, endedFraction: 0 })).ids
    const events: ClientEvent[] = []
    let settled = false
    let late = 0
    const spin = (ms: number) => {
      const until = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6))
      while (process.hrtime.bigint() < until);
    }
    const client = clientFor(emu, {
      onEvent: (e: ClientEvent) => {
        if (settled) late++
        events.push(e)
        spin(0.05)
      },
    })
    const progress: BulkProgress[] = []
    const report = await client.closeConversations(ids, {
      concurrency: 64,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (settled) late++
        progress.push(p)
      },
    })
    settled = true
    expect(report.closed).toBe(1500)
    const count = (kind: string) => events.filter((e) => e.kind === kind).length
    // Checked before yielding to the event loop: all of them already delivered.
    expect(count('dropped')).toBe(0)
    expect(count('request')).toBe(report.requests)
    expect(count('response')).toBe(report.requests)
    expect(progress[progress.length - 1]).toMatchObject({ done: 1500, closed: 1500 })
    await new Promise((r) => setTimeout(r, 300))
    expect(late).toBe(0)
  })

  test('a listener far behind loses the excess, counted in one dropped event, and the run is not held up', async () => {
    const ids = (await emu.seed({ count: 4000, mix: { webmessaging: 1 }, endedFraction: 0 })).ids
    const events: ClientEvent[] = []
    const client = clientFor(emu, { onEvent: (e: ClientEvent) => events.push(e) })
    const served = () => {
      // Asked from a child process: this thread stays blocked meanwhile.
      const r = spawnSync(process.execPath, ['-e', `fetch(${JSON.stringify(`${emu.url}/__emulator/stats`)}).then((r) => r.json()).then((j) => process.stdout.write(String(j.requests)))`], { encoding: 'utf8' })
      return Number(r.stdout)
    }
    const before = served()
    const run = client.closeConversations(ids, { concurrency: 64 })
    // Block the JS thread while the run goes on natively: nothing can be
    // delivered, so the buffer fills (a request and a response event per
    // request, 4 per close, 16 000 in all, and the run's operationStart and
    // operationEnd). Blocked until the emulator has answered 5200 requests
    // (over 10 400 events, past the buffer's 10 000), not for a fixed time: on
    // a loaded machine the run may take longer than any guess, and then
    // events are delivered again while it still goes on.
    const until = Date.now() + 50_000
    while (served() - before < 5200 && Date.now() < until);
    const report = await run
    const dropped = events.filter((e) => e.kind === 'dropped')
    const kept = events.length - dropped.length
    // The first delivery after the block: exactly the buffer's 10 000 events,
    // then one dropped event counting the excess. The run was not held up by
    // the blocked listener: it made those events while the thread was blocked.
    expect(events.findIndex((e) => e.kind === 'dropped')).toBe(10_000)
    expect(dropped.length).toBeGreaterThanOrEqual(1)
    expect(kept).toBeGreaterThanOrEqual(10_000)
    // Nothing is lost silently: kept + counted = every event of the run
    // (a request and a response per request, and the run's start and end).
    const counted = dropped.reduce((n, d) => n + (d.count ?? 0), 0)
    expect(kept + counted).toBe(2 * report.requests + 2)
  })

  test('a one-off closeConversation delivers its events before it resolves, in a process that exits right after', () => {
    const script = `
      const { closeConversation } = require(${JSON.stringify(path.join(__dirname, '..', 'index.js'))})
      let n = 0
      closeConversation(process.env.CID, { baseUrl: process.env.URL, accessToken: '${SEED.cleanupToken}', onEvent: () => { n++ } })
        .then((r) => { console.log(JSON.stringify({ n, requests: r.requests })); process.exit(0) })
    `
    return emu.createConversation({ type: 'webmessaging' }).then((c: { id: string }) => {
      const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, URL: emu.url, CID: c.id }, encoding: 'utf8', timeout: 30_000 })
      expect(r.status).toBe(0)
      const out = JSON.parse(r.stdout.trim())
      // A request and a response per request, and the call's start and end.
      expect(out.n).toBe(2 * out.requests + 2)
    })
  })
})

describe('row 8: abort in time that does not grow with the run', () => {
  test('a 100 000-id run settles soon after abort, without a long event-loop stall', async () => {
    const real = (await emu.seed({ count: 2000, mix: { webmessaging: 1 }, endedFraction: 0 })).ids
    const ids = real.concat(Array.from({ length: 98_000 }, () => randomUUID()))
    const ac = new AbortController()
    const delay = monitorEventLoopDelay({ resolution: 5 })
    const run = clientFor(emu).closeConversations(ids, { concurrency: 32, signal: ac.signal })
    await new Promise((r) => setTimeout(r, 300))
    delay.enable()
    const t0 = Date.now()
    ac.abort()
    const report = await run
    const settleMs = Date.now() - t0
    // The histogram records a stall when its timer fires after it.
    await new Promise((r) => setTimeout(r, 30))
    delay.disable()
    expect(report.results).toHaveLength(100_000)
    expect(report.aborted).toBeGreaterThan(90_000)
    // Wide bounds (2 shared cores); bench/abort.js measures precisely. Before
    // the fix the 100 000 results were built on the JS thread in one go: a
    // stall of ~240 ms here (settling in ~370 ms); now 5 000 per turn: ~35 ms.
    expect(settleMs).toBeLessThan(1500)
    expect(delay.max / 1e6).toBeLessThan(150)
  })

  // Measured in JSON text read after the abort, not in milliseconds: that is
  // the work left to the JS thread. Before results were converted while the
  // run went on, all 100 000 (about 6 MB of JSON) were parsed after it.
  test('a 100 000-id run has next to nothing left to convert when it is aborted', async () => {
    const real = (await emu.seed({ count: 2000, mix: { webmessaging: 1 }, endedFraction: 0 })).ids
    const ids = real.concat(Array.from({ length: 98_000 }, () => randomUUID()))
    const ac = new AbortController()
    const run = clientFor(emu).closeConversations(ids, { concurrency: 32, signal: ac.signal })
    await new Promise((r) => setTimeout(r, 300))
    const parse = JSON.parse
    let parsedAfterAbort = 0
    JSON.parse = (text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
      parsedAfterAbort += text.length
      return parse(text, reviver)
    }
    try {
      ac.abort()
      const report = await run
      expect(report.results).toHaveLength(100_000)
      expect(report.aborted).toBeGreaterThan(90_000)
      expect(report.results[99_999]).toEqual({ conversationId: ids[99_999], outcome: 'aborted' })
    } finally {
      JSON.parse = parse
    }
    // What the JS thread had not taken yet when the abort came (a few batches
    // of a thousand, more on a loaded machine) and the report itself: not
    // the 98 000 aborted ids (about 0.3 MB here, 0.35 MB under a full suite).
    expect(parsedAfterAbort).toBeLessThan(2_000_000)
  })

  // Each run's result stream wakes JS through a function that holds the run's
  // results: released when the run settles, or every run's results stayed
  // in memory for good (the soak climbed ~28 MB per 50 000 closes).
  test('nothing of a settled run stays in memory', () => {
    const script = `
      const { CleanupClient } = require(${JSON.stringify(path.join(__dirname, '..', 'index.js'))})
      const { randomUUID } = require('node:crypto')
      const client = new CleanupClient({ baseUrl: process.env.URL, accessToken: '${SEED.cleanupToken}' })
      const ids = Array.from({ length: 2000 }, () => randomUUID())
      const runs = async (n) => {
        for (let i = 0; i < n; i++) await client.closeConversations(ids, { signal: AbortSignal.abort() })
      }
      const settledHeap = async () => {
        for (let i = 0; i < 4; i++) {
          global.gc()
          await new Promise((r) => setTimeout(r, 20))
        }
        return process.memoryUsage().heapUsed
      }
      ;(async () => {
        await runs(20)
        const before = await settledHeap()
        await runs(300)
        const after = await settledHeap()
        console.log(JSON.stringify({ grownMiB: (after - before) / 2 ** 20 }))
      })()
    `
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { env: { ...process.env, URL: emu.url }, encoding: 'utf8', timeout: 60_000 })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    // 300 runs of 2 000 results each: kept, they are over 30 MB.
    expect(JSON.parse(r.stdout.trim()).grownMiB).toBeLessThan(5)
  })

  test('a sweep aborted half-way has next to nothing left to convert, and its report adds up in candidate order', async () => {
    const hours = 3600_000
    for (let n = 0; n < 30_000; n += 10_000) {
      await emu.seed({ count: 10_000, mix: { webmessaging: 1 }, endedFraction: 0, agentFraction: 0, ageMinMs: 3 * hours, ageMaxMs: 4 * hours })
    }
    const ac = new AbortController()
    const parse = JSON.parse
    let parsedAfterAbort = 0
    const onProgress = (p: BulkProgress | null) => {
      if (!p || ac.signal.aborted || p.done < p.total / 2) return
      JSON.parse = (text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
        parsedAfterAbort += text.length
        return parse(text, reviver)
      }
      ac.abort()
    }
    let report
    try {
      report = await clientFor(emu).sweep({ idleForMs: 60_000, concurrency: 64, signal: ac.signal, onProgress })
    } finally {
      JSON.parse = parse
    }
    expect(ac.signal.aborted).toBe(true)
    const { close, found } = report
    expect(report.candidates).toBe(30_000)
    expect(close.results).toHaveLength(30_000)
    expect(new Set(close.results.map((r) => r.conversationId)).size).toBe(30_000)
    expect(close.aborted).toBeGreaterThan(5_000)
    expect(close.results.filter((r) => r.outcome === 'aborted')).toHaveLength(close.aborted)
    // Found: exactly the closed ones, in the order of the results.
    const closed = close.results.filter((r) => r.outcome === 'closed').map((r) => r.conversationId)
    expect(closed.length).toBe(close.closed)
    expect(found.map((f) => f.conversationId)).toEqual(closed)
    // Before the results and conversations found crossed while the sweep
    // went on, all of them were parsed after the abort: over 6 MB here.
    expect(parsedAfterAbort).toBeLessThan(2_000_000)
  })

  test('an aborted run still answers every input in order, as given or as the core spells it', async () => {
    const real = (await emu.seed({ count: 30, mix: { webmessaging: 1 }, endedFraction: 0 })).ids
    const upper = randomUUID().toUpperCase()
    const tail = Array.from({ length: 5_000 }, () => randomUUID())
    // Mixed input: valid ids, one in upper case, a repeat, an invalid id, a
    // non-string and a hole, then many ids the abort never reaches.
    const ids: unknown[] = [...real, upper, real[0], 'not-an-id', 42, undefined, ...tail]
    delete ids[real.length + 4]
    const copy = ids.slice()
    const ac = new AbortController()
    ac.abort()
    const report = await new CleanupClient({ baseUrl: emu.url, accessToken: SEED.cleanupToken }).closeConversations(ids as string[], { signal: ac.signal })
    // The caller's array changed after the call: the report is about the input as it was.
    ids.length = 0
    expect(report.results).toHaveLength(copy.length)
    expect(report.total).toBe(copy.length)
    expect(Object.keys(report.results)).toHaveLength(copy.length)
    report.results.forEach((r, i) => {
      const given = copy[i]
      if (i === real.length) expect(r).toEqual({ conversationId: upper.toLowerCase(), outcome: 'aborted' })
      else if (i === real.length + 1) expect(r).toEqual({ conversationId: real[0], outcome: 'duplicate' })
      else if (i >= real.length + 2 && i <= real.length + 4) expect(r).toMatchObject({ outcome: 'failed', error: { code: 'ERR_INVALID_CONVERSATION_ID' } })
      else expect(r).toEqual({ conversationId: given, outcome: 'aborted' })
    })
    expect(report.aborted).toBe(copy.length - 4)
    expect(report.done).toBe(copy.length)
  })
})

describe('row 9: network errors say why', () => {
  test('a refused connection: networkCause refused with the OS words', async () => {
    const h = await hostile((_req, res) => res.end())
    const url = h.url
    await h.close()
    const events: ClientEvent[] = []
    const e = await rejectionOf(closeConversation(ID, opts(url, { maxRetries: 1, onEvent: (ev: ClientEvent) => events.push(ev) })))
    expect(e).toMatchObject({ code: 'ERR_NETWORK', networkCause: 'refused' })
    expect(e.networkDetail).toMatch(/refused/i)
    expect(e.message).toContain('refused')
    expect(events.find((ev) => ev.kind === 'retry')).toMatchObject({ networkCause: 'refused' })
  })

  test('a host name that does not resolve: networkCause dns', async () => {
    const e = await rejectionOf(closeConversation(ID, opts('https://genesys-cleanup-test.invalid', { maxRetries: 0 })))
    expect(e).toMatchObject({ code: 'ERR_NETWORK', networkCause: 'dns' })
    expect(e.message).toContain('DNS')
  })

  test('an untrusted certificate: networkCause tls with the reason, not retried', async () => {
    await against(
      (_req, res) => res.end('{}'),
      async (h) => {
        const e = await rejectionOf(closeConversation(ID, opts(h.url, { maxRetries: 3 })))
        expect(e).toMatchObject({ code: 'ERR_NETWORK', networkCause: 'tls' })
        expect(e.networkDetail).toMatch(/certificate/i)
        expect(h.hits()).toBe(0)
      },
      true,
    )
  })

  test('a proxy that refuses CONNECT: networkCause proxy', async () => {
    // A proxy answering every CONNECT with 403; the client runs in a child
    // process so that HTTPS_PROXY is read as at any start.
    const proxy = http.createServer()
    let connects = 0
    proxy.on('connect', (_req, socket: net.Socket) => {
      connects++
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const port = (proxy.address() as net.AddressInfo).port
      const script = `
        const { closeConversation } = require(${JSON.stringify(path.join(__dirname, '..', 'index.js'))})
        closeConversation('${ID}', { region: 'eu_west_1', accessToken: 'x', maxRetries: 0 })
          .then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, networkCause: e.networkCause, message: e.message })))
      `
      const env: NodeJS.ProcessEnv = { ...process.env, HTTPS_PROXY: `http://127.0.0.1:${port}`, https_proxy: `http://127.0.0.1:${port}` }
      delete env.NO_PROXY
      delete env.no_proxy
      const r = await new Promise<{ stdout: string }>((resolve, reject) => {
        const child = require('node:child_process').execFile(process.execPath, ['-e', script], { env, timeout: 30_000 }, (err: Error | null, stdout: string) => (err ? reject(err) : resolve({ stdout })))
        void child
      })
      expect(JSON.parse(r.stdout.trim())).toMatchObject({ code: 'ERR_NETWORK', networkCause: 'proxy' })
      expect(connects).toBe(1)
    } finally {
      await new Promise((r) => proxy.close(r))
    }
  })
})

describe('row 10: codes and words', () => {
  test('a huge answer header is named as such (ERR_UPSTREAM, headTooLarge), not "sending the request", and not retried', async () => {
    await against(
      (_req, res) => {
        // Written raw: Node's own writer would accept it, hyper must refuse to read it.
        res.socket!.end(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(2 ** 20)}\r\ncontent-length: 2\r\n\r\n{}`)
      },
      async (h) => {
        const e = await rejectionOf(closeConversation(ID, opts(h.url, { maxRetries: 3 })))
        expect(e).toMatchObject({ code: 'ERR_UPSTREAM', networkCause: 'headTooLarge' })
        expect(e.message).toContain('headers too large')
        expect(e.message).not.toContain('sending the request')
        expect(h.hits()).toBe(1)
      },
    )
  })

  test('an attempt cut short by the deadline cites the deadline and its number, not timeoutMs', async () => {
    await against(
      () => {
        /* never answers */
      },
      async (h) => {
        const e = await rejectionOf(closeConversation(ID, opts(h.url, { timeoutMs: 30_000, deadlineMs: 400 })))
        expect(e.code).toBe('ERR_TIMEOUT')
        expect(e.message).not.toContain('30000')
        expect(e.message).toMatch(/took longer than (\d+) ms \(what was left of deadlineMs\)/)
        expect(Number(/longer than (\d+) ms/.exec(e.message)![1])).toBeLessThanOrEqual(400)
      },
    )
  })

  test('closeConversation(NaN) is ERR_INVALID_CONVERSATION_ID', async () => {
    const e = await rejectionOf(closeConversation(Number.NaN as unknown as string, { accessToken: 'x' }))
    expect(e.code).toBe('ERR_INVALID_CONVERSATION_ID')
  })

  test('null for an optional option means absent', async () => {
    const id = (await emu.createConversation({ type: 'webmessaging' })).id as string
    const r = await closeConversation(id, { baseUrl: emu.url, accessToken: SEED.cleanupToken, timeoutMs: null, maxRetries: null, deadlineMs: null, region: null } as never)
    expect(r.outcome).toBe('closed')
  })

  test('file:/// is ERR_INSECURE_URL', async () => {
    const e = await rejectionOf(closeConversation(ID, { baseUrl: 'file:///etc/passwd', accessToken: 'x' }))
    expect(e.code).toBe('ERR_INSECURE_URL')
  })

  test('an absurd Retry-After is bounded in retryAfterMs, and the fail-fast message keeps its full stop', async () => {
    await against(
      (_req, res) => {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '10000000000' })
        res.end(JSON.stringify({ message: 'slow down', code: 'too.many.requests', status: 429 }))
      },
      async (h) => {
        const e = await rejectionOf(closeConversation(ID, opts(h.url)))
        expect(e.code).toBe('ERR_RATE_LIMITED')
        expect(e.retryAfterMs).toBe(86_400_000)
        expect(e.message).toContain('slow down. Genesys asked to wait 86400 s')
        expect(h.hits()).toBe(1)
      },
    )
  })
})
