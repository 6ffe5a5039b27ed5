// TLS trust and proxies, over real sockets: an https stand-in for Genesys
// (a TLS terminator with a private CA in front of the emulator), and a
// loopback CONNECT proxy that records every byte it is sent.
import * as path from 'node:path'
import { closeConversation, CleanupClient } from '../index'
import type { Emulator } from '../testing'
import { clientFor, clientOptions, withEmulator, newConversation, rejectionOf, SEED } from './helpers'
import { makePki, tlsFront, connectProxy, runNode, readmeSnippet, Pki, Listening, Proxy, ROOT } from './netfixtures'

let emu: Emulator
let pki: Pki
let front: Listening
let proxy: Proxy

beforeAll(async () => {
  emu = await withEmulator()
  pki = makePki()
  front = await tlsFront(pki, emu.url)
})

beforeEach(async () => {
  proxy = await connectProxy()
})

afterEach(async () => {
  await proxy.close()
})

afterAll(async () => {
  await front.close()
  await emu.stop()
})

const secretsIn = (text: string) =>
  [SEED.cleanupToken, SEED.cleanupClient.clientSecret, Buffer.from(`${SEED.cleanupClient.clientId}:${SEED.cleanupClient.clientSecret}`).toString('base64'), 'Bearer', 'Authorization'].filter((s) => text.includes(s))

/** A child process closing one conversation with the package, printing its outcome or error code. */
const closeScript = (id: string, extra = '') => `
  const { closeConversation } = require(${JSON.stringify(ROOT)})
  closeConversation(${JSON.stringify(id)}, { baseUrl: process.env.GC_BASE_URL, accessToken: ${JSON.stringify(SEED.cleanupToken)}, maxRetries: 0 ${extra} })
    .then((r) => console.log(r.outcome), (e) => console.log(e.code + ' ' + e.message))
`

describe('trusting a private CA', () => {
  test('without it, the https endpoint is refused (ERR_NETWORK) and nothing is written', async () => {
    const id = await newConversation(emu)
    const e = await rejectionOf(closeConversation(id, clientOptions(front, { maxRetries: 0 })))
    expect(e.code).toBe('ERR_NETWORK')
    expect(e.message).not.toContain(SEED.cleanupToken)
    expect((await emu.conversation(id)).participants.every((p: { state: string }) => p.state !== 'disconnected')).toBe(true)
  })

  test('the ca option as a PEM string, a Buffer and an array', async () => {
    for (const ca of [pki.caPem, Buffer.from(pki.caPem), [pki.caPem], [Buffer.from(pki.caPem), pki.caPem]]) {
      const id = await newConversation(emu)
      const r = await closeConversation(id, clientOptions(front, { ca }))
      expect(r.outcome).toBe('closed')
    }
    const client = clientFor(front, { ...SEED.cleanupClient, ca: pki.caPem })
    const r = await client.closeConversations([await newConversation(emu), await newConversation(emu)])
    expect(r.closed).toBe(2)
  })

  test('a ca that is not PEM certificates is ERR_INVALID_ARGUMENT naming ca', async () => {
    const bad: unknown[] = ['', 'hello', '-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n', 42, { pem: 'x' }, [1]]
    for (const ca of bad) {
      const e = await rejectionOf(closeConversation('3fa85f64-5717-4562-b3fc-2c963f66afa6', { baseUrl: front.url, accessToken: SEED.cleanupToken, ca: ca as string }))
      expect(e.code).toBe('ERR_INVALID_ARGUMENT')
      expect(e.message).toMatch(/^ca(\[\d+\])? /)
      expect(() => new CleanupClient({ baseUrl: front.url, accessToken: SEED.cleanupToken, ca: ca as string })).toThrow(/^ca(\[\d+\])? /)
    }
  })

  test('NODE_EXTRA_CA_CERTS is trusted, as Node does; without it the same script fails', async () => {
    const id = await newConversation(emu)
    const without = await runNode(closeScript(id), { GC_BASE_URL: front.url })
    expect(without.stdout).toMatch(/^ERR_NETWORK /)
    const withCa = await runNode(closeScript(id), { GC_BASE_URL: front.url, NODE_EXTRA_CA_CERTS: pki.caFile })
    expect(withCa.stdout.trim()).toBe('closed')
  })

  test('SSL_CERT_FILE is trusted', async () => {
    const id = await newConversation(emu)
    const r = await runNode(closeScript(id), { GC_BASE_URL: front.url, SSL_CERT_FILE: pki.caFile })
    expect(r.stdout.trim()).toBe('closed')
  })

  test('an unreadable NODE_EXTRA_CA_CERTS is a typed error naming it, not a TLS failure later', async () => {
    const r = await runNode(closeScript('3fa85f64-5717-4562-b3fc-2c963f66afa6'), { GC_BASE_URL: front.url, NODE_EXTRA_CA_CERTS: path.join(pki.dir, 'missing.pem') })
    expect(r.stdout).toMatch(/^ERR_INVALID_ARGUMENT NODE_EXTRA_CA_CERTS names .*missing\.pem/)
  })
})

describe('proxies', () => {
  test('the proxy option: the proxy sees one CONNECT to the API host and never the token', async () => {
    const ids = [await newConversation(emu), await newConversation(emu)]
    const client = clientFor(front, { ...SEED.cleanupClient, ca: pki.caPem, proxy: proxy.url })
    const r = await client.closeConversations(ids)
    expect(r.closed).toBe(2)
    expect(proxy.requestLines.length).toBeGreaterThan(0)
    for (const line of proxy.requestLines) expect(line).toBe(`CONNECT 127.0.0.1:${front.port} HTTP/1.1`)
    expect(secretsIn(proxy.seen())).toEqual([])
  })

  test('HTTPS_PROXY is honoured; NO_PROXY and proxy: false bypass it', async () => {
    const id = await newConversation(emu)
    const via = await runNode(closeScript(id), { GC_BASE_URL: front.url, NODE_EXTRA_CA_CERTS: pki.caFile, HTTPS_PROXY: proxy.url })
    expect(via.stdout.trim()).toBe('closed')
    expect(proxy.requestLines).toEqual([`CONNECT 127.0.0.1:${front.port} HTTP/1.1`])
    expect(secretsIn(proxy.seen())).toEqual([])

    proxy.requestLines.length = 0
    const id2 = await newConversation(emu)
    const bypass = await runNode(closeScript(id2), { GC_BASE_URL: front.url, NODE_EXTRA_CA_CERTS: pki.caFile, HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' })
    expect(bypass.stdout.trim()).toBe('closed')
    const id3 = await newConversation(emu)
    const off = await runNode(closeScript(id3, ', proxy: false'), { GC_BASE_URL: front.url, NODE_EXTRA_CA_CERTS: pki.caFile, https_proxy: proxy.url })
    expect(off.stdout.trim()).toBe('closed')
    expect(proxy.requestLines).toEqual([])
  })

  test('plain http (loopback) never goes through a proxy: HTTP_PROXY, ALL_PROXY and HTTPS_PROXY are not used', async () => {
    const id = await newConversation(emu)
    const r = await runNode(closeScript(id), { GC_BASE_URL: emu.url, HTTP_PROXY: proxy.url, ALL_PROXY: proxy.url, HTTPS_PROXY: proxy.url })
    expect(r.stdout.trim()).toBe('closed')
    // Only the environment's plain-http proxies: they would see the token in clear.
    const id2 = await newConversation(emu)
    const env = await runNode(closeScript(id2), { GC_BASE_URL: emu.url, HTTP_PROXY: proxy.url, http_proxy: proxy.url, ALL_PROXY: proxy.url })
    expect(env.stdout.trim()).toBe('closed')
    expect(proxy.requestLines).toEqual([])
    expect(proxy.seen()).toBe('')
  })

  test('the proxy option with a plain-http baseUrl is ERR_INVALID_ARGUMENT saying why, not silently ignored', async () => {
    const id = await newConversation(emu)
    const e = await rejectionOf(closeConversation(id, clientOptions(emu, { proxy: proxy.url })))
    expect(e.code).toBe('ERR_INVALID_ARGUMENT')
    expect(e.message).toMatch(/^proxy cannot be used with the plain-http baseUrl http:\/\/127\.0\.0\.1:\d+: plain http is allowed only to loopback/)
    expect(() => new CleanupClient({ baseUrl: emu.url, ...SEED.cleanupClient, proxy: proxy.url })).toThrow(/plain-http baseUrl/)
    // proxy: false says the same as leaving it out.
    expect((await closeConversation(id, clientOptions(emu, { proxy: false }))).outcome).toBe('closed')
    expect(proxy.requestLines).toEqual([])
  })

  test('a bad proxy is ERR_INVALID_ARGUMENT that never echoes its password', async () => {
    for (const bad of ['socks5://user:hunter2@127.0.0.1:1080', 'http://user:hunter2@', true]) {
      const e = await rejectionOf(closeConversation('3fa85f64-5717-4562-b3fc-2c963f66afa6', { baseUrl: front.url, accessToken: SEED.cleanupToken, proxy: bad as string }))
      expect(e.code).toBe('ERR_INVALID_ARGUMENT')
      expect(e.message).toMatch(/^proxy /)
      expect(e.message).not.toContain('hunter2')
    }
    const env = await runNode(closeScript('3fa85f64-5717-4562-b3fc-2c963f66afa6'), { GC_BASE_URL: front.url, HTTPS_PROXY: 'ftp://user:hunter2@x' })
    expect(env.stdout).toMatch(/^ERR_INVALID_ARGUMENT HTTPS_PROXY /)
    expect(env.stdout).not.toContain('hunter2')
  })

  test('the CLI follows the same environment: NODE_EXTRA_CA_CERTS and HTTPS_PROXY', async () => {
    const id = await newConversation(emu)
    // The CLI's own entry, as `genesys-cleanup --json close ID` runs it.
    const bin = JSON.stringify(path.join(ROOT, 'bin', 'genesys-cleanup.js'))
    const cli = `require(${bin}).main([process.execPath, ${bin}, '--json', 'close', ${JSON.stringify(id)}]).then((code) => { process.exitCode = code })`
    const r = await runNode(cli, { GENESYS_BASE_URL: front.url, GENESYS_ACCESS_TOKEN: SEED.cleanupToken, NODE_EXTRA_CA_CERTS: pki.caFile, HTTPS_PROXY: proxy.url })
    expect(r.code).toBe(0)
    expect(r.stderr).not.toMatch(/error/i)
    expect(JSON.parse(r.stdout).results[0].outcome).toBe('closed')
    expect(proxy.requestLines).toEqual([`CONNECT 127.0.0.1:${front.port} HTTP/1.1`])
    expect(secretsIn(proxy.seen())).toEqual([])
  })

  test('the README snippet runs as written (NODE_EXTRA_CA_CERTS, ca, proxy)', async () => {
    const snippet = readmeSnippet('tls')
    const id = await newConversation(emu)
    const r = await runNode(snippet, {
      GENESYS_BASE_URL: front.url,
      GENESYS_CLIENT_ID: SEED.cleanupClient.clientId,
      GENESYS_CLIENT_SECRET: SEED.cleanupClient.clientSecret,
      CORPORATE_CA_FILE: pki.caFile,
      HTTPS_PROXY: proxy.url,
      CONVERSATION_ID: id,
    })
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('closed')
    expect(proxy.requestLines).toEqual([`CONNECT 127.0.0.1:${front.port} HTTP/1.1`])
  })
})
