// The emulator as a product for users' test suites: isolated orgs on one
// shared emulator, scripts scoped to a token or a client, and an admin API
// whose types (testing.d.ts) match what it serves.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { closeConversation } from '../index'
import { startEmulator, Emulator, EmulatorOrg } from '../testing'
import { clientOptions, SEED } from './helpers'

const TESTING_DTS = fs.readFileSync(path.join(__dirname, '..', 'testing.d.ts'), 'utf8')

/** The member names of `interface Name { ... }` in testing.d.ts. */
function declaredKeys(name: string): string[] {
  const m = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(TESTING_DTS)
  if (!m) throw new Error(`interface ${name} not found in testing.d.ts`)
  return [...m[1].matchAll(/^ {2}(\w+)\??:/gm)].map((k) => k[1]).sort()
}

let emu: Emulator
const orgs: EmulatorOrg[] = []

beforeAll(async () => {
  emu = await startEmulator()
})

afterAll(async () => {
  for (const o of orgs) await o.stop().catch(() => undefined)
  await emu?.stop()
})

/** Open web messaging conversations (a plain seed mixes channels and states). */
async function open(e: Emulator, count: number): Promise<string[]> {
  return (await e.seed({ count, mix: { webmessaging: 1 }, endedFraction: 0 })).ids
}

async function org(spec?: Parameters<Emulator['org']>[0]): Promise<EmulatorOrg> {
  const o = await emu.org(spec)
  orgs.push(o)
  return o
}

describe('isolated orgs on one emulator', () => {
  test('each org has its own data, scripts, request log and stats', async () => {
    const [a, b] = await Promise.all([org(), org({ seedConversations: 5 })])
    expect(a.url).not.toBe(b.url)
    expect(a.url).not.toBe(emu.url)
    expect(a.id).not.toBe(b.id)
    expect((await b.admin<{ ids: string[] }>('GET', 'conversations')).ids).toHaveLength(5)
    expect((await a.admin<{ ids: string[] }>('GET', 'conversations')).ids).toHaveLength(0)

    const conv = await a.createConversation({ type: 'webmessaging' })
    // A script in A (every GET answers 429) is never consumed by B's requests.
    await a.script({ method: 'GET', path: '/api/v2/**', times: 50, respond: { status: 429, retryAfter: 1 } })
    const [inB] = await open(b, 1)
    const rB = await closeConversation(inB, clientOptions(b))
    expect(rB.outcome).toBe('closed')
    // A's conversation does not exist in B, nor in the emulator that holds the orgs.
    const missing = await closeConversation(conv.id, clientOptions(b))
    expect(missing.outcome).toBe('notFound')
    expect((await emu.admin<{ ids: string[] }>('GET', 'conversations')).ids).not.toContain(conv.id)

    const pending = await a.admin<Array<{ times: number }>>('GET', 'script')
    expect(pending[0].times).toBe(50)
    expect((await a.requests()).length).toBe(0)
    expect((await b.requests()).map((r) => r.method)).toEqual(['GET', 'PATCH', 'GET'])
    expect((await a.stats()).requests).toBe(0)
  })

  test('config and rate-limit windows are per org', async () => {
    const [a, b] = await Promise.all([org({ config: { rateLimitPerMinute: 3 } }), org({ config: { rateLimitPerMinute: 3 } })])
    expect((await a.admin<{ rateLimitPerMinute: number }>('GET', 'config')).rateLimitPerMinute).toBe(3)
    expect((await emu.admin<{ rateLimitPerMinute: number }>('GET', 'config')).rateLimitPerMinute).toBe(0)
    const me = (o: EmulatorOrg) => fetch(`${o.url}/api/v2/tokens/me`, { headers: { authorization: `Bearer ${SEED.cleanupToken}` } })
    // The same token spends A's window...
    const inA: number[] = []
    for (let i = 0; i < 4; i++) inA.push((await me(a)).status)
    expect(inA).toEqual([200, 200, 200, 429])
    // ...and B's window is untouched: its first request is its first.
    const first = await me(b)
    expect(first.status).toBe(200)
    expect(first.headers.get('inin-ratelimit-count')).toBe('1')
  })

  test('orgs are listed and deleted; a deleted org stops answering', async () => {
    const o = await emu.org()
    const listed = await emu.admin<{ orgs: Array<{ id: string; url: string }> }>('GET', 'orgs')
    expect(listed.orgs.map((x) => x.id)).toContain(o.id)
    await o.stop()
    const after = await emu.admin<{ orgs: Array<{ id: string }> }>('GET', 'orgs')
    expect(after.orgs.map((x) => x.id)).not.toContain(o.id)
    await expect(fetch(`${o.url}/__emulator/health`)).rejects.toThrow()
    await expect(emu.admin('DELETE', `orgs/${o.id}`)).rejects.toThrow(/404/)
  })

  test('an org given an organizationId answers it; without one, the default org id', async () => {
    const id = async (url: string) => {
      const r = await fetch(`${url}/api/v2/tokens/me`, { headers: { authorization: `Bearer ${SEED.cleanupToken}` } })
      return ((await r.json()) as { organization: { id: string } }).organization.id
    }
    const [a, b, plain] = await Promise.all([org({ organizationId: 'org-a' }), org({ organizationId: 'b1c2d3e4-0000-4000-8000-000000000001' }), org()])
    const ids = await Promise.all([emu.url, a.url, b.url, plain.url].map(id))
    expect(ids).toEqual(['6f1f6b2e-0000-4000-8000-00000000000a', 'org-a', 'b1c2d3e4-0000-4000-8000-000000000001', '6f1f6b2e-0000-4000-8000-00000000000a'])
    await expect(emu.admin('POST', 'orgs', { organizationId: 'a b' })).rejects.toThrow(/400.*organizationId/)
  })

  test('a bad org spec is refused with a 400 naming the field', async () => {
    await expect(emu.admin('POST', 'orgs', { seedConversation: 3 })).rejects.toThrow(/400.*seedConversation/)
    await expect(emu.admin('POST', 'orgs', { config: { nope: 1 } })).rejects.toThrow(/400.*nope/)
  })
})

describe('scripts scoped to a token or a client', () => {
  test('a rule for one token is not consumed by another token', async () => {
    const o = await org()
    const [mine, theirs] = await open(o, 2)
    await o.script({ path: '/api/v2/**', token: SEED.userToken, times: 5, respond: { status: 503 } })
    const r = await closeConversation(mine, clientOptions(o, { accessToken: SEED.cleanupToken }))
    expect(r.outcome).toBe('closed')
    expect(r.retries).toBe(0)
    const e = await closeConversation(theirs, clientOptions(o, { accessToken: SEED.userToken, maxRetries: 0 })).catch((x) => x)
    expect(e).toMatchObject({ code: 'ERR_UPSTREAM', status: 503 })
  })

  test('a rule for one OAuth client answers only its token requests', async () => {
    const o = await org()
    await o.script({ path: '/oauth/token', clientId: 'someone-else', respond: { status: 500 } })
    const [id] = await open(o, 1)
    const r = await closeConversation(id, clientOptions(o, SEED.cleanupClient))
    expect(r.outcome).toBe('closed')
    expect(await o.admin<unknown[]>('GET', 'script')).toHaveLength(1)
  })
})

describe('testing.d.ts describes the admin API as served', () => {
  test('EmulatorConfig declares exactly the keys GET /config answers', async () => {
    const served = Object.keys(await emu.admin<Record<string, unknown>>('GET', 'config')).sort()
    expect(declaredKeys('EmulatorConfig')).toEqual(served)
  })

  test('EmulatorStats and RequestLogEntry declare exactly the fields served', async () => {
    const o = await org()
    await closeConversation((await open(o, 1))[0], clientOptions(o))
    expect(declaredKeys('EmulatorStats')).toEqual(Object.keys(await o.stats()).sort())
    const [entry] = await o.requests()
    expect(declaredKeys('RequestLogEntry')).toEqual(Object.keys(entry).sort())
  })

  test('StoredConversation and StoredParticipant declare exactly the fields served', async () => {
    const c = await emu.createConversation({})
    expect(declaredKeys('StoredConversation')).toEqual(Object.keys(c).sort())
    expect(declaredKeys('StoredParticipant')).toEqual(Object.keys(c.participants[0]).sort())
  })

  test('the admin API has no any and no Record<string, unknown>', () => {
    const code = TESTING_DTS.replace(/\/\*\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '')
      .replace(/'[^']*'/g, "''")
    expect(code).not.toMatch(/\bany\b/)
    expect(code).not.toMatch(/Record<string, unknown>/)
  })
})

describe('npx genesys-emulator', () => {
  test('runs the bundled binary with the given flags, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'genesys-emulator.js'), '--port', '0', '--seed-conversations', '7'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(d.toString().split('\n')[0].trim()))
        child.once('exit', (code) => reject(new Error(`exited ${code}`)))
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const list = (await (await fetch(`${url}/__emulator/conversations`)).json()) as { ids: string[] }
      expect(list.ids).toHaveLength(7)
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  })

  test('a bad flag exits 2 with the emulator\'s usage', () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'bin', 'genesys-emulator.js'), '--no-such-flag'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/--no-such-flag/)
  })
})

describe('startEmulator', () => {
  test('is quiet by default and keeps the tail of stderr', async () => {
    const e = await startEmulator()
    try {
      // It prints its URL on stdout first, then a line on stderr.
      for (let i = 0; i < 250 && !e.stderrTail?.includes('seeded static tokens'); i++) await new Promise((r) => setTimeout(r, 20))
      expect(e.stderrTail).toMatch(/listening on http:\/\/127\.0\.0\.1/)
      // Then the seeded credentials, and where the rest is documented.
      expect(e.stderrTail).toContain('cleanup-client / cleanup-secret')
      expect(e.stderrTail).toMatch(/seeded static tokens: .*cc-cleanup-token/)
      expect(e.stderrTail).toContain('docs/emulator.md')
    } finally {
      await e.stop()
    }
  })
})
