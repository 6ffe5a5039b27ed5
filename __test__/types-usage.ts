// Type tests, checked by `tsc -p tsconfig.json` (part of `npm test`) and never
// run: the whole public API used as a TypeScript user would, strict. Every
// `@ts-expect-error` line proves that a wrong use does not compile (tsc fails
// on an `@ts-expect-error` that has no error to expect).
import {
  checkScopes,
  closeConversation,
  CleanupClient,
  CleanupError,
  ERROR_CODES,
  isCleanupError,
  regions,
  type AccessCheck,
  type BulkOptions,
  type BulkProgress,
  type BulkReport,
  type BulkResult,
  type ClientEvent,
  type ClientOptions,
  type LoadErrorCode,
  type MessageType,
  type CloseBehaviour,
  type CloseOptions,
  type CloseResult,
  type ConnectionOptions,
  type DryRunResult,
  type ErrorCode,
  type ErrorInfo,
  type FailedResult,
  type FindOptions,
  type IdleConversation,
  type NetworkCause,
  type Region,
  type RegionName,
  type ScopeReport,
  type ConversationReport,
  type Division,
  type HeldPermission,
  type SweepOptions,
  type SweepReport,
  type UnhandledResult,
} from '../index'
import defaultExport, * as esm from '../index.mjs'
import { connectEmulator, Emulator, findEmulatorBinary, startEmulator, type StartOptions } from '../testing'
import { createTelemetry } from '../otel'

/** Compile-time equality of two types. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function assertType<T extends true>(): T | undefined {
  return undefined
}

const ID = '3fa85f64-5717-4562-b3fc-2c963f66afa6'

// --- Errors: narrowing and the closed set of codes -------------------------

/** Exhaustive over `ErrorCode`: adding a code without handling it fails here. */
export function advice(code: ErrorCode): string {
  switch (code) {
    case 'ERR_INVALID_ARGUMENT':
    case 'ERR_INVALID_CONVERSATION_ID':
    case 'ERR_INSECURE_URL':
      return 'fix the call'
    case 'ERR_UNAUTHORIZED':
      return 'check the credentials'
    case 'ERR_MISSING_PERMISSION':
    case 'ERR_MISSING_SCOPE':
    case 'ERR_FORBIDDEN':
      return 'run checkScopes'
    case 'ERR_NOT_FOUND':
    case 'ERR_CONFLICT':
      return 'look at the conversation'
    case 'ERR_RATE_LIMITED':
    case 'ERR_TIMEOUT':
    case 'ERR_NETWORK':
    case 'ERR_UPSTREAM':
      return 'try again later'
    case 'ERR_ABORTED':
      return 'aborted'
    case 'ERR_INTERNAL':
      return 'report a bug'
    case 'ERR_LEASE_LOST':
      return 'another replica does the job'
    default: {
      const unhandled: never = code
      return unhandled
    }
  }
}

export async function errors(): Promise<void> {
  try {
    await closeConversation(ID, { region: 'eu_west_1', clientId: 'id', clientSecret: 'secret' })
  } catch (e: unknown) {
    // @ts-expect-error: an unknown caught value has no `code` before narrowing
    void e.code
    if (isCleanupError(e)) {
      const code: ErrorCode = e.code
      const asString: string = e.code
      const err: Error = e
      const status: number | undefined = e.status
      const permissions: string[] | undefined = e.missingPermissions
      const scopes: string[] | undefined = e.missingScopes
      const wait: number | undefined = e.retryAfterMs
      const correlation: string | undefined = e.correlationId
      const genesysCode: string | undefined = e.genesysCode
      const networkCause: NetworkCause | undefined = e.networkCause
      const networkDetail: string | undefined = e.networkDetail
      if (e.networkCause === 'tls') console.error(`certificate problem: ${e.networkDetail}`)
      // @ts-expect-error: networkCause is one of the listed classes
      if (e.networkCause === 'ECONNREFUSED') void 0
      assertType<Equals<typeof e.name, 'CleanupError'>>()
      void [code, asString, err, status, permissions, scopes, wait, correlation, genesysCode, networkCause, networkDetail]
      if (e.code === 'ERR_MISSING_PERMISSION') console.error(e.missingPermissions?.join(', '))
      const inDivisions: Division[] | undefined = e.conversationDivisions
      const heldIn: Division[] | undefined = e.permissionDivisions
      void [inDivisions?.[0]?.id, inDivisions?.[0]?.name, heldIn]
      // @ts-expect-error: a misspelt code is not an ErrorCode
      if (e.code === 'ERR_RATELIMITED') return
      // @ts-expect-error: the code is read-only
      e.code = 'ERR_TIMEOUT'
      // @ts-expect-error: no such field
      void e.httpStatus
    }
    if (e instanceof CleanupError) {
      assertType<Equals<typeof e.code, ErrorCode>>()
    }
  }
  assertType<Equals<(typeof ERROR_CODES)[number], ErrorCode>>()
  const first: ErrorCode | undefined = ERROR_CODES[0]
  void first
  // @ts-expect-error: ERROR_CODES is read-only
  ERROR_CODES.push('ERR_NEW')
  // @ts-expect-error: only known codes
  const bad: ErrorCode = 'ERR_TEAPOT'
  void bad
}

// --- closeConversation and checkScopes --------------------------------------

export async function oneOff(): Promise<void> {
  const options: CloseOptions = {
    baseUrl: 'http://127.0.0.1:8080',
    accessToken: 'token',
    timeoutMs: 5000,
    maxRetries: 3,
    maxRetryAfterMs: 60_000,
    deadlineMs: 30_000,
    wrapupCode: '2b8a4f2e-0000-4000-8000-000000000001',
    verify: true,
    verifyTimeoutMs: 10_000,
    teardownStuck: true,
    messageTypes: ['webmessaging', 'open'],
    signal: AbortSignal.timeout(10_000),
  }
  // `options` may carry dryRun: true, so the answer may be a dry run's.
  const result: CloseResult | DryRunResult = await closeConversation(ID, options)
  switch (result.outcome) {
    case 'closed':
    case 'alreadyClosed':
    case 'notFound':
    case 'wouldClose':
      break
    case 'skipped': {
      const reason: string | undefined = result.reason
      void reason
      break
    }
    default: {
      const unhandled: never = result
      void unhandled
    }
  }
  // @ts-expect-error: outcome typo
  if (result.outcome === 'clossed') return
  const method: 'conversation' | 'participants' | 'teardown' | 'none' = result.method
  const counts: number[] = [result.participantsDisconnected, result.requests, result.retries, result.elapsedMs]
  const ids: string[] = result.correlationIds
  void [method, counts, ids]

  // @ts-expect-error: options are required (credentials or a token)
  await closeConversation(ID)
  // @ts-expect-error: timeoutMs is a number of milliseconds
  await closeConversation(ID, { accessToken: 't', timeoutMs: '5000' })
  // @ts-expect-error: misspelt option
  await closeConversation(ID, { accessToken: 't', timeOutMs: 5000 })
  // @ts-expect-error: signal must be an AbortSignal
  await closeConversation(ID, { accessToken: 't', signal: 5000 })
  // @ts-expect-error: the id is a string
  await closeConversation(42, { accessToken: 't' })
  // @ts-expect-error: messageTypes is a list
  await closeConversation(ID, { accessToken: 't', messageTypes: 'webmessaging' })
  // @ts-expect-error: a misspelt message type
  await closeConversation(ID, { accessToken: 't', messageTypes: ['webmesaging'] })
  // @ts-expect-error: a misspelt message type in a sweep
  await new CleanupClient({ accessToken: 't' }).sweep({ idleForMs: 60_000, messageTypes: ['whatsap'] })
  // @ts-expect-error: and in watch mode
  void new CleanupClient({ accessToken: 't' }).watch({ idleMs: 60_000, messageTypes: ['Open'] })
  // Genesys's types, and the escape hatch for one this version does not know.
  const known: MessageType[] = ['webmessaging', 'open', 'sms', 'whatsapp', 'facebook', 'instagram', 'twitter', 'line', 'telegram', 'kakao']
  await closeConversation(ID, { accessToken: 't', messageTypes: known })
  await closeConversation(ID, { accessToken: 't', messageTypes: ['newtype' as MessageType], allowUnknownMessageTypes: true })
  const loadCode: LoadErrorCode = 'ERR_NATIVE_ADDON'
  // @ts-expect-error: a load error is not a CleanupError code
  const notACleanupCode: ErrorCode = loadCode
  void notACleanupCode

  const connection: ConnectionOptions = { region: 'mypurecloud.ie', clientId: 'id', clientSecret: 'secret' }
  const report: ScopeReport = await checkScopes({ ...connection, signal: new AbortController().signal })
  const grant: 'client_credentials' | 'user' | 'unknown' = report.grantType
  const checks: AccessCheck[] = report.checks
  const firstCheck = checks[0]
  if (firstCheck) {
    const ok: boolean = firstCheck.ok
    const detail: string = firstCheck.detail
    void [ok, detail]
  }
  const facts: [boolean, boolean, string[], string[], string[], string[], string[] | undefined, string[], number] = [
    report.canClose,
    report.scopesApply,
    report.scopes,
    report.requiredScopes,
    report.missingScopes,
    report.requiredPermissions,
    report.grantedPermissions,
    report.advice,
    report.requests,
  ]
  const org: string | undefined = report.organization?.id
  const client: string | undefined = report.oauthClient?.name
  void [grant, facts, org, client]
  // @ts-expect-error: not a grant type
  if (report.grantType === 'password') return
}

// --- CleanupClient ----------------------------------------------------------

export async function service(): Promise<void> {
  const events: ClientEvent[] = []
  const clientOptions: ClientOptions = {
    region: 'eu_west_1',
    clientId: 'id',
    clientSecret: 'secret',
    onEvent: (event) => {
      events.push(event)
      // Exhaustive: a kind added to the union without a case here fails to compile.
      switch (event.kind) {
        case 'request':
        case 'response':
        case 'retry':
        case 'rateLimitWait':
        case 'tokenRefresh':
        case 'giveUp': {
          const route: string | undefined = event.route
          void [route, event.method, event.attempt, event.code]
          break
        }
        case 'dropped': {
          const lost: number | undefined = event.count
          void lost
          break
        }
        case 'operationStart':
        case 'operationEnd':
          void [event.operation, event.name, event.outcome, event.counts?.closed]
          break
        default: {
          const never: never = event.kind
          void never
        }
      }
      const cause: NetworkCause | undefined = event.networkCause
      void [event.status, event.durationMs, event.waitMs, event.correlationId, event.reason, cause]
    },
    logger: console,
    ca: [Buffer.from(''), '-----BEGIN CERTIFICATE-----'],
    proxy: false,
  }
  new CleanupClient({ accessToken: 't', proxy: 'http://proxy:3128', ca: 'pem', logger: { debug() {}, info() {}, warn() {}, error() {} } })
  // @ts-expect-error: proxy is a URL or false
  new CleanupClient({ accessToken: 't', proxy: true })
  // @ts-expect-error: a logger needs the four methods
  new CleanupClient({ accessToken: 't', logger: { info() {} } })
  const telemetry = createTelemetry()
  new CleanupClient({ accessToken: 't', onEvent: telemetry.onEvent })
  const client = new CleanupClient(clientOptions)
  // @ts-expect-error: options are required
  new CleanupClient()
  // @ts-expect-error: onEvent receives one ClientEvent
  new CleanupClient({ accessToken: 't', onEvent: (a: string, b: string) => void [a, b] })

  const behaviour: CloseBehaviour = { verify: true, fast: false }
  const one: CloseResult | DryRunResult = await client.closeConversation(ID, behaviour)
  await client.closeConversation(ID)
  // @ts-expect-error: connection options belong to the constructor
  await client.closeConversation(ID, { accessToken: 't' })
  void one

  const progress: BulkProgress[] = []
  const bulkOptions: BulkOptions = {
    concurrency: 8,
    progressIntervalMs: 250,
    onProgress: (p) => progress.push(p),
    signal: AbortSignal.timeout(60_000),
  }
  const bulk: BulkReport = await client.closeConversations([ID, ID], bulkOptions)
  // @ts-expect-error: onProgress receives a BulkProgress, not a string
  await client.closeConversations([ID], { onProgress: (p: string) => void p })
  // @ts-expect-error: ids are a list
  await client.closeConversations(ID)
  const totals: number[] = [bulk.total, bulk.closed, bulk.alreadyClosed, bulk.notFound, bulk.skipped, bulk.wouldClose, bulk.duplicate, bulk.failed, bulk.aborted, bulk.requests, bulk.retries, bulk.rateLimited, bulk.elapsedMs]
  void totals
  // A report is also the final progress: `done` equals `total`.
  const done: number = bulk.done
  void done
  for (const r of bulk.results) describeResult(r)

  const find: FindOptions = { idleForMs: 30 * 60_000, lookbackMs: 24 * 3600_000, pageSize: 100, messageTypes: ['webmessaging'], limit: 0 }
  const idle: IdleConversation[] = await client.findIdleConversations(find)
  for (const c of idle) void [c.conversationId, c.startedAt, c.lastActivityAt, c.participants, c.idleMs]
  // @ts-expect-error: idleForMs is required
  await client.findIdleConversations({})

  const sweepOptions: SweepOptions = { idleForMs: 30 * 60_000, dryRun: true, concurrency: 4 }
  const sweep: SweepReport = await client.sweep(sweepOptions)
  const found: IdleConversation[] = sweep.found
  const close: BulkReport = sweep.close
  void [sweep.dryRun, sweep.scanned, sweep.requests, sweep.elapsedMs, found, close]
  // @ts-expect-error: dryRun is a boolean
  await client.sweep({ idleForMs: 1, dryRun: 'yes' })

  const report: ScopeReport = await client.checkScopes()
  await client.checkScopes({ signal: new AbortController().signal })
  const diagnosed: ConversationReport | undefined = (await client.checkScopes({ conversationId: ID })).conversation
  const access: 'inReach' | 'outOfReach' | 'unknown' | 'notFound' | 'unreadable' | undefined = diagnosed?.access
  const held: HeldPermission[] | undefined = report.permissionDivisions
  const closeIn: Division[] | undefined = report.closeDivisions
  void [access, held?.[0]?.allDivisions, closeIn]
  // @ts-expect-error: conversationId is a string
  await client.checkScopes({ conversationId: 42 })
  void report
  const tokens: number = client.tokenRequests
  void tokens
  // @ts-expect-error: tokenRequests is read-only
  client.tokenRequests = 0
}

/** A bulk result is a union discriminated by `outcome`. */
function describeResult(r: BulkResult): string {
  // @ts-expect-error: `error` exists only on failed results
  void r.error
  switch (r.outcome) {
    case 'failed': {
      const failed: FailedResult = r
      const info: ErrorInfo = failed.error
      const code: ErrorCode = info.code
      return `${failed.conversationId}: ${code} ${info.message}`
    }
    case 'duplicate':
    case 'aborted': {
      const unhandled: UnhandledResult = r
      return unhandled.conversationId
    }
    case 'wouldClose': {
      const dry: DryRunResult = r
      return `${dry.conversationId} would be closed (${dry.method})`
    }
    case 'closed':
    case 'alreadyClosed':
    case 'notFound':
    case 'skipped': {
      const done: CloseResult = r
      return `${done.conversationId}: ${done.outcome} in ${done.requests} requests`
    }
    default: {
      const unhandled: never = r
      return unhandled
    }
  }
}

// --- The ESM entry has the same types --------------------------------------

assertType<Equals<typeof esm.closeConversation, typeof closeConversation>>()
assertType<Equals<typeof esm.CleanupError, typeof CleanupError>>()
assertType<Equals<typeof esm.isCleanupError, typeof isCleanupError>>()
assertType<Equals<typeof defaultExport.CleanupClient, typeof CleanupClient>>()
assertType<Equals<esm.ErrorCode, ErrorCode>>()

// --- genesys-cleanup/testing ------------------------------------------------

export async function testing(): Promise<void> {
  const start: StartOptions = { args: ['--rate-limit', '600'], startTimeoutMs: 5000 }
  const emulator: Emulator = await startEmulator(start)
  const url: string = emulator.url
  const created = (await emulator.createConversation({ type: 'webmessaging' })) as { id: string }
  const closed = await closeConversation(created.id, { baseUrl: url, accessToken: 'cc-cleanup-token' })
  void closed
  await emulator.configure({ latencyMs: 10 })
  const seeded: { created: number; ids: string[] } = await emulator.seed({ count: 10 })
  const log = await emulator.requests()
  const statuses: Array<number | null> = log.map((l) => l.status)
  void [seeded, statuses]
  await emulator.reset()
  await emulator.stop()

  // In a Jest test file, the emulator started by globalSetup:
  const shared: Emulator = connectEmulator()
  const explicit: Emulator = connectEmulator('http://127.0.0.1:41234')
  void [shared, explicit]
  const bin: string = findEmulatorBinary()
  void bin
  // @ts-expect-error: args is a list of flags
  await startEmulator({ args: '--rate-limit 600' })
  // @ts-expect-error: the URL is read-only
  emulator.url = 'http://example.com'
}

export function regionTypes(): void {
  const first: Region = regions[0]
  const name: RegionName = first.name
  const hosts: string[] = regions.map((r) => r.apiHost)
  const known: ConnectionOptions = { region: 'eu_west_1' }
  // Any string still compiles (domains, API hosts), with the names suggested.
  const other: ConnectionOptions = { region: 'api.mypurecloud.ie' }
  void [name, hosts, known, other]
  // @ts-expect-error: the list is read-only
  regions.push(first)
  // @ts-expect-error: a region is not a number
  void ({ region: 1 } satisfies ConnectionOptions)
}

export async function dryRunTypes(client: CleanupClient): Promise<void> {
  // Without dryRun the outcome union has no wouldClose; with it, it may.
  const real: CloseResult = await client.closeConversation(ID)
  const dry: CloseResult | DryRunResult = await client.closeConversation(ID, { dryRun: true })
  const oneOff: CloseResult | DryRunResult = await closeConversation(ID, { accessToken: 't', dryRun: true })
  // @ts-expect-error: a dry run may answer wouldClose, which CloseResult does not allow
  const wrong: CloseResult = await client.closeConversation(ID, { dryRun: true })
  if (dry.outcome === 'wouldClose') void dry.method
  void [real, oneOff, wrong]
}
