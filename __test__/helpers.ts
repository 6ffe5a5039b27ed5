// Shared test plumbing: a real emulator process per test file, over loopback.
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { startEmulator, Emulator, RequestLogEntry } from '../testing'
import { CleanupClient } from '../index'
import type { ClientOptions, ScopeReport } from '../index'

export { randomUUID }

/** One request log entry of the emulator. */
export type LoggedRequest = RequestLogEntry

export async function withEmulator(args: string[] = []): Promise<Emulator> {
  return startEmulator({ args })
}

/**
 * One emulator for the whole test file, reset to its seeded state before each
 * test. Returns a stand-in that forwards to it once `beforeAll` has started it.
 */
export function emulatorPerFile(args: string[] = []): Emulator {
  let current: Emulator | undefined
  beforeAll(async () => {
    current = await startEmulator({ args })
  })
  beforeEach(async () => {
    await current!.reset()
  })
  afterAll(async () => {
    await current?.stop()
  })
  return new Proxy({} as Emulator, {
    get(_target, prop) {
      if (!current) throw new Error('the emulator is started in beforeAll: use it inside tests and hooks')
      const value = Reflect.get(current, prop)
      return typeof value === 'function' ? value.bind(current) : value
    },
  })
}

/** Creates `n` conversations in the emulator and returns their ids. */
export async function many(emu: Emulator, n: number, spec: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push(await newConversation(emu, spec))
  return ids
}

/** Creates a conversation in the emulator and returns its id. */
export async function newConversation(emu: Emulator, spec: Record<string, unknown> = {}): Promise<string> {
  const c = (await emu.createConversation(spec)) as { id: string }
  return c.id
}

/** Anything that keeps a request log: the emulator, or one org of it. */
export interface RequestLog {
  requests(): Promise<LoggedRequest[]>
}

/**
 * What a logged request must be; every field given must hold. `path` is the
 * exact path, or a RegExp it matches (see `pathEnding`, `pathContaining`).
 */
export interface RequestMatch {
  method?: string
  /** Any method but this one (`'GET'`: every request that is not a read). */
  notMethod?: string
  path?: string | RegExp
  /** The answer's status; null for a connection reset before an answer. */
  status?: number | null
}

/** The entries of `log` that match, in log order. */
export function matching(log: LoggedRequest[], match: RequestMatch): LoggedRequest[] {
  return log.filter(
    (r) =>
      (match.method === undefined || r.method === match.method) &&
      (match.notMethod === undefined || r.method !== match.notMethod) &&
      (match.path === undefined || (typeof match.path === 'string' ? r.path === match.path : match.path.test(r.path))) &&
      (match.status === undefined || r.status === match.status),
  )
}

/** The requests the emulator (or an org of it) has logged that match, in log order. */
export async function requestsTo(source: RequestLog, match: RequestMatch): Promise<LoggedRequest[]> {
  return matching(await source.requests(), match)
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A path that ends with `text` (a conversation id, say). */
export const pathEnding = (text: string) => new RegExp(`${escaped(text)}$`)

/** A path that contains `text`. */
export const pathContaining = (text: string) => new RegExp(escaped(text))

/** The path of every token request. */
export const TOKEN_PATH = '/oauth/token'

/** Where a client connects: the emulator, an org of it, a test server (each with a `url`), or a URL. */
export type Target = string | { url: string }

/**
 * Options for a client of `target`: its URL as `baseUrl` and the seeded
 * cleanup token, unless `extra` brings its own credentials (`accessToken` or
 * `clientId`); `extra` is spread last, so it overrides either.
 */
export function clientOptions(target: Target, extra: Record<string, unknown> = {}): ClientOptions {
  const credentials = 'accessToken' in extra || 'clientId' in extra ? {} : { accessToken: SEED.cleanupToken }
  return { baseUrl: typeof target === 'string' ? target : target.url, ...credentials, ...extra }
}

/** A client of `target` built from `clientOptions(target, extra)`. */
export function clientFor(target: Target, extra: Record<string, unknown> = {}): CleanupClient {
  return new CleanupClient(clientOptions(target, extra))
}

/** Paths an answer that circulates online invents; we must never call them. */
export function inventedCalls(log: LoggedRequest[]): LoggedRequest[] {
  return log.filter(
    (r) =>
      r.path.includes('/conversations/webmessaging') ||
      r.path.includes('/oauth/tokens/self') ||
      (r.method === 'POST' && /\/participants\/[^/]+\/end$/.test(r.path)),
  )
}

export const SEED = {
  cleanupToken: 'cc-cleanup-token',
  readonlyToken: 'cc-readonly-token',
  wrapupToken: 'cc-wrapup-token',
  userToken: 'user-cleanup-token',
  userNoScopeToken: 'user-noscope-token',
  userReadonlyToken: 'user-readonly-token',
  cleanupClient: { clientId: 'cleanup-client', clientSecret: 'cleanup-secret' },
  readonlyClient: { clientId: 'readonly-client', clientSecret: 'readonly-secret' },
  wrapupClient: { clientId: 'wrapup-client', clientSecret: 'wrapup-secret' },
  bareClient: { clientId: 'bare-client', clientSecret: 'bare-secret' },
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Awaits a promise expected to reject and returns the error. */
export async function rejectionOf(p: Promise<unknown>): Promise<any> {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected the promise to reject, but it resolved')
}

/** The request each check stands for, as the advice names it. */
const REQUEST: Record<string, string> = {
  tokenInfo: 'GET /api/v2/tokens/me',
  userPermissions: 'GET /api/v2/users/me?expand=authorization',
  userGrants: 'GET /api/v2/authorization/subjects/me',
  clientRoles: 'GET /api/v2/oauth/clients/{id}',
  rolePermissions: 'GET /api/v2/authorization/roles/{id}',
  readConversation: 'GET /api/v2/conversations/messages/{id}',
  endConversation: 'PATCH /api/v2/conversations/messages/{id} {"state":"disconnected"}',
  endParticipant: 'PATCH /api/v2/conversations/messages/{id}/participants/{participantId}',
}
const PASSED = ['past its', 'accepted', 'answered:', 'answered,']
const FAILED = ['refused', 'inconclusive', 'failed', 'could not', 'no such']

/**
 * Where checkScopes advice contradicts one of its checks (the same rule as the
 * core's table tests): a sentence naming a request must state the outcome its
 * check shows; "can end" only when canClose.
 */
export function contradictions(r: ScopeReport): string[] {
  const out: string[] = []
  const request = (name: string) =>
    name === 'conversation' && r.conversation ? `GET /api/v2/conversations/messages/${r.conversation.conversationId}` : REQUEST[name]
  for (const sentence of r.advice.flatMap((a) => a.split('. '))) {
    const named = r.checks.filter((c) => request(c.name) !== undefined && sentence.includes(request(c.name)))
    if (named.length > 1) out.push(`${sentence} names several requests`)
    if (named.length !== 1) continue
    const passed = PASSED.some((w) => sentence.includes(w))
    const failed = FAILED.some((w) => sentence.includes(w))
    if (passed === failed || passed !== named[0].ok) out.push(`${sentence} misstates ${named[0].name}`)
  }
  const all = r.advice.join(' ')
  if (all.includes('can end') !== r.canClose) out.push('"can end" disagrees with canClose')
  if (all.split('conversation:webmessaging:write').length - 1 > (r.canClose ? 0 : 1)) out.push('the circulating answer twice, or when it passes')
  return out
}

/** What a script run in a child Node printed: its exit status, its last stdout line as JSON, and the genesys-cleanup callback warnings on its stderr. */
export interface ChildRun {
  status: number | null
  stderr: string
  last: Record<string, unknown>
  warnings: string[]
}

/**
 * Runs `script` in a child Node process, where an unhandled rejection ends the
 * process (so a callback failure that escapes shows as a non-zero exit).
 */
export function runScript(script: string, env: Record<string, string>, timeoutMs = 60_000): ChildRun {
  const r = spawnSync(process.execPath, ['--unhandled-rejections=strict', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs })
  let last: Record<string, unknown> = {}
  try {
    last = JSON.parse(r.stdout.trim().split('\n').pop() || '{}')
  } catch {
    // Left empty: the assertions on it say what was missing.
  }
  return { status: r.status, stderr: r.stderr, last, warnings: r.stderr.split('\n').filter((l) => l.includes('genesys-cleanup: the')) }
}
