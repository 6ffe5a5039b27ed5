// Types of `genesys-cleanup/testing`: start the bundled Genesys Cloud emulator
// for tests (Jest `globalSetup` or `beforeAll`) and drive its admin API.
// Every admin body and answer is typed here; docs/emulator.md describes each
// call and what Genesys behaviour it stands for.

/** An ISO 8601 time (`2026-11-30T10:00:00.000Z`) or epoch milliseconds. */
export type Stamp = string | number

/** A fault the emulator can inject, at random (`faults` weights) or by script. */
export type FaultKind = '500' | '502' | '503' | 'reset' | 'truncated' | 'malformed' | 'slow'

/** Media types of message conversations. */
export type MediaType = 'webmessaging' | 'open' | 'whatsapp' | 'sms' | 'facebook' | 'voice'

/**
 * Emulator settings (`GET`/`PATCH /__emulator/config`). A PATCH merges the
 * keys given; unknown keys are refused.
 */
export interface EmulatorConfig {
  /** Requests per window per token on `/api/v2`; 0 = no limit. */
  rateLimitPerMinute: number
  /** Length of the rate-limit window in ms (Genesys: 60000). */
  rateWindowMs: number
  /** Shape of the window: from a token's first request, aligned to the clock, or sliding (UNCONFIRMED which Genesys uses). */
  rateLimitMode: 'fixed' | 'aligned' | 'sliding'
  /** Rounding of `inin-ratelimit-reset` (UNCONFIRMED). */
  rateResetRounding: 'up' | 'down'
  /** Token requests per window per client on `/oauth/token`; 0 = no limit. */
  tokenRateLimitPerMinute: number
  /** Added to every answer, in ms. */
  latencyMs: number
  /** Random extra latency up to this, in ms. */
  jitterMs: number
  /** Refuse user tokens that lack the OAuth scope of an endpoint. */
  enforceScopes: boolean
  /** The error code of a missing scope (UNCONFIRMED). */
  scopeErrorCode: string
  /** Lifetime of issued tokens, in seconds. */
  tokenTtlSec: number
  /** Whether `GET /api/v2/tokens/me` includes `roleDivisions` (UNCONFIRMED). */
  tokenInfoRoleDivisions: boolean
  /** What a PATCH on an ended conversation answers (UNCONFIRMED): 200 unchanged, or 409. */
  patchEndedConversation: 'ok' | 'conflict'
  /** The 403 body for a conversation outside the divisions where the permission is held (UNCONFIRMED which Genesys sends). */
  divisionDeniedBody: 'not.authorized' | 'missing.permissions' | 'missing.any.permissions' | 'empty'
  /** How long a change takes to show in the analytics query, in ms. */
  analyticsLagMs: number
  /** Every queue's inactivity timeout in ms (0 = off, Genesys's default): the displayed `inactivityTimeout` of a conversation on a queue without live message media settings; never acted on. */
  queueInactivityTimeoutMs: number
  /** Which switch makes a queue's web messaging timer run (UNCONFIRMED): the `subTypeSettings.webmessaging` one, or either that or the top-level one. Default `subtype`. */
  inactivitySwitch: 'subtype' | 'either'
  /** The queue timer also runs before an agent connects (UNCONFIRMED). Default false. */
  queueTimerBeforeAgent: boolean
  /** Which participants a timer's DISCONNECT marks `disconnectType: "inactivity"` (the others get `peer`; UNCONFIRMED). Default `all`. */
  inactivityMarks: 'all' | 'agent'
  /** The queue listing carries `mediaSettings` (UNCONFIRMED). Default true. */
  queueListingMediaSettings: boolean
  /** Test fault (no Genesys behaviour): dotted paths a queue PUT drops from what it stores. Default []. */
  queuePutDropFields: string[]
  /** `config.json` carries `sessionDurationSeconds` (UNCONFIRMED). Default false. */
  configJsonSessionDuration: boolean
  /** After a guest Clear the server closes the guest's sockets with 1000 (UNCONFIRMED). Default true. */
  guestServerCloses: boolean
  /** Which connection a 4th one on a guest session closes (UNCONFIRMED). Default `oldest`. */
  guestLimitCloses: 'oldest' | 'newest'
  /** A guest session's expiry also ends its conversation, `disconnectType: "session.expired"` (UNCONFIRMED). Default false. */
  guestExpiryEndsConversation: boolean
  /** Lifetime of a notification channel, in ms (Genesys: 24 h). */
  channelLifetimeMs: number
  /** The `channel.metadata` heartbeat interval, in ms (30 s observed, UNCONFIRMED). */
  heartbeatMs: number
  /** Delay before each conversation event is sent on a socket, in ms. */
  notificationDelayMs: number
  /**
   * Test knob (no Genesys behaviour): right after answering a read of an open message
   * conversation, its customer sends a message, so a close decided on that read meets
   * activity it did not see (`CloseResult.activityAfterRead`). Default false.
   */
  messageAfterRead: boolean
  /** Time between `v2.system.socket_closing` and the close, in ms ("one minute"). */
  socketClosingGraceMs: number
  /** The permissions (any of) a queue topic needs (UNCONFIRMED). */
  queueTopicPermissions: string[]
  /** Share of `/api/v2` requests answered with a random fault, 0 to 1. */
  faultRate: number
  /** Relative weights of the random faults. */
  faults: Partial<Record<FaultKind, number>>
  /** How long a `slow` fault stalls the body, in ms. */
  slowBodyMs: number
  /** Seed of the emulator's randomness (ids, faults, jitter); null = random. */
  rngSeed: number | null
  /** Request log entries kept. */
  logLimit: number
}

/** One participant of a conversation to create. */
export interface ParticipantSpec {
  id?: string
  purpose: 'customer' | 'agent' | 'acd' | 'workflow' | 'external' | (string & {})
  name?: string
  /** Default `connected`, or `disconnected` in an ended conversation. */
  state?: string
  startTime?: Stamp
  connectedTime?: Stamp
  endTime?: Stamp
  disconnectType?: string
  wrapupRequired?: boolean
  wrapup?: { code?: string; name?: string; notes?: string } | null
  user?: { id: string }
  queue?: { id: string }
  communicationId?: string
  messages?: Array<{ id?: string; messageTime: Stamp }>
}

/** `POST /__emulator/conversations`: every field is optional. */
export interface ConversationSpec {
  id?: string
  /** Default `webmessaging`. */
  type?: MediaType
  /** Default `active`. */
  state?: 'active' | 'ended'
  startedAt?: Stamp
  lastActivityAt?: Stamp
  /** With an agent participant (default true). */
  agent?: boolean
  agentWrapupRequired?: boolean
  /** Participants that a conversation PATCH does not end (the documented teardown does). */
  stuck?: boolean
  /** The conversation's `inactivityTimeout`: a running timer means active. */
  inactivityTimeout?: Stamp
  /** Replaces the generated participants. */
  participants?: ParticipantSpec[]
  /** The divisions it belongs to (default: its queue's, else Home). */
  divisions?: string[]
  /** The queue it was routed through (it then belongs to the queue's division). */
  queueId?: string
}

/** `POST /__emulator/seed`: many random conversations at once. */
export interface SeedSpec {
  count: number
  /** Relative weights of media types, e.g. `{ webmessaging: 3, sms: 1 }`. */
  mix?: Partial<Record<MediaType, number>>
  ageMinMs?: number
  ageMaxMs?: number
  endedFraction?: number
  agentFraction?: number
  wrapupRequiredFraction?: number
  /** Repeatable ids and shapes (times stay relative to now). */
  rngSeed?: number
  /** Each conversation lands in one of these divisions, at random (default Home). */
  divisionIds?: string[]
}

/** A participant as stored (the shape `GET /api/v2/conversations/messages/{id}` serves, plus test fields). */
export interface StoredParticipant {
  id: string
  purpose: string
  name: string | null
  state: string
  type: string
  startTime: string | null
  connectedTime: string | null
  endTime: string | null
  disconnectType: string | null
  wrapupRequired: boolean
  wrapupSkipped: boolean
  wrapup: { code?: string; name?: string; notes?: string } | null
  user: { id: string } | null
  queue: { id: string } | null
  communicationId: string
  messages: Array<{ id?: string; messageTime?: string }>
}

/** A conversation as the emulator stores it. */
export interface StoredConversation {
  id: string
  type: MediaType
  state: 'active' | 'ended'
  startedAt: string
  lastActivityAt: string
  endedAt: string | null
  inactivityTimeout: string | null
  stuck: boolean
  /** The divisions it belongs to. */
  divisionIds: string[]
  participants: StoredParticipant[]
}

/** What a scripted rule answers: a status (with an optional Genesys error body), or a fault. */
export type ScriptResponse =
  | {
      status: number
      /** The Genesys error `code` of the body (`{message, code, status, ...}`). */
      code?: string
      message?: string
      /** Seconds, sent as `Retry-After`. */
      retryAfter?: number
      headers?: Record<string, string>
      /** A whole body instead of the Genesys error body. */
      body?: unknown
    }
  | { fault: FaultKind }

/** One scripted answer rule (`POST /__emulator/script`). Rules are tried in order. */
export interface ScriptRule {
  /** Any method when absent. */
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** A path pattern: `*` is one segment, a final `**` the rest. */
  path: string
  /** How many requests it answers (default 1). */
  times?: number
  /** Only requests with this bearer token (`/api/v2`). */
  token?: string
  /** Only token requests by this OAuth client (`/oauth/token`). */
  clientId?: string
  respond: ScriptResponse
}

/** A pending rule, as `GET /__emulator/script` lists it. */
export type PendingScriptRule = ScriptRule & { times: number }

/** One entry of the request log (never a credential). */
export interface RequestLogEntry {
  seq: number
  method: string
  path: string
  query: string | null
  /** null when the connection was reset before an answer. */
  status: number | null
  /** The Authorization scheme only. */
  auth: 'Bearer' | 'Basic' | null
  tokenKind: 'clientCredentials' | 'user' | null
  at: string
  atMs: number
  fault: FaultKind | null
}

/** Request counts since start or reset. */
export interface EmulatorStats {
  requests: number
  /** Answers by status code, e.g. `{ "200": 10, "429": 2 }`. */
  byStatus: Record<string, number>
  rateLimited: number
  faultsInjected: number
  scripted: number
}

/** `POST /__emulator/roles`: a role and its permissions (same id replaces). */
export interface RoleSpec {
  id?: string
  name: string
  permissions: string[]
}

/** `POST /__emulator/clients`: an OAuth client with its roles (and scopes, for user grants). */
export interface ClientSpec {
  id?: string
  name?: string
  /** Generated for a client-credentials client when absent. */
  secret?: string
  /** Default `CLIENT-CREDENTIALS`. */
  grantType?: 'CLIENT-CREDENTIALS' | 'CODE' | 'TOKEN' | 'SAML2-BEARER' | 'PASSWORD'
  /** Roles granted in Home. */
  roleIds?: string[]
  /** Roles granted in a named division (`divisionId: '*'`: every division). */
  roleDivisions?: RoleGrant[]
  scopes?: string[]
}

/** `POST /__emulator/users`: a user with its roles. */
export interface UserSpec {
  id?: string
  name: string
  /** Roles granted in Home. */
  roleIds?: string[]
  /** Roles granted in a named division (`divisionId: '*'`: every division). */
  roleDivisions?: RoleGrant[]
}

/** A role granted in a division (`'*'`: all divisions). */
export interface RoleGrant {
  roleId: string
  divisionId: string
}

/** `POST /__emulator/divisions`. */
export interface DivisionSpec {
  id?: string
  name: string
}

/** `POST /__emulator/queues`: a queue in a division (default Home). */
export interface QueueSpec {
  id?: string
  name: string
  divisionId?: string
}

/** `POST /__emulator/tokens`: mints a token for a client (and a user). */
export interface TokenSpec {
  /** The token's text; generated when absent. */
  token?: string
  clientId: string
  /** A user token (code or implicit grant) when given. */
  userId?: string
  scopes?: string[]
  ttlSec?: number
}

/** `GET /__emulator/notifications`: the notification channels and their sockets. */
export interface NotificationsState {
  channels: Array<{
    id: string
    clientId: string
    createdAt: string
    /** When the channel ends (24 h after creation unless configured otherwise). */
    expires: string
    topics: string[]
    connected: boolean
    /** WebSocket connections made to it so far. */
    connects: number
    eventsSent: number
    eventsDropped: number
  }>
  /** Events still to drop (a `dropEvents` fault). */
  dropNext: number
}

/** `POST /__emulator/orgs`: how a new isolated org starts. */
export interface OrgSpec {
  /** Open conversations seeded at creation (and after its `reset()`). Default 0. */
  seedConversations?: number
  /** Settings merged over the defaults. */
  config?: Partial<EmulatorConfig>
  /** The organization id its `tokens/me` answers (1 to 64 of A-Z a-z 0-9 -): give each org its own. Default: the default org's. */
  organizationId?: string
}

/**
 * A running genesys-emulator and its admin API (`/__emulator/...`, see
 * docs/emulator.md for every call and the seeded clients and tokens, e.g.
 * client `cleanup-client` / `cleanup-secret`, token `cc-cleanup-token`).
 */
export declare class Emulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`: pass it as `baseUrl`. */
  readonly url: string
  /** With `startEmulator` (quiet by default): the last 2 kB of its stderr. */
  readonly stderrTail?: string
  /** Any admin call: `admin('GET', 'stats')` is `GET {url}/__emulator/stats`. Rejects on a non-2xx answer. */
  admin<T = unknown>(method: string, route: string, body?: unknown): Promise<T>
  /** Merges emulator settings (latency, rate limit, faults, ...); resolves to the whole config. */
  configure(config: Partial<EmulatorConfig>): Promise<EmulatorConfig>
  /** Back to the seeded state: data, request log, stats, scripts and config. */
  reset(): Promise<{ ok: true }>
  /** Creates a message conversation; resolves to the stored conversation, with its `id`. */
  createConversation(spec?: ConversationSpec): Promise<StoredConversation>
  /** The stored conversation, with the state of every participant. */
  conversation(id: string): Promise<StoredConversation>
  /**
   * Posts a message in an open conversation, from its customer (default) or
   * agent, now or at `at`: the conversation's newest activity. Resolves to
   * the stored conversation.
   */
  postMessage(id: string, message?: { from?: 'customer' | 'agent'; at?: Stamp }): Promise<StoredConversation>
  /**
   * Moves an open conversation onto a queue, now or at `at` (a transfer, or
   * a bot flow handing over to ACD): its participants on a queue end with
   * `disconnectType: 'transfer'` and an `acd` participant joins on `queueId`.
   * Published on the queue topics. Resolves to the stored conversation.
   */
  transfer(id: string, spec: { queueId: string; at?: Stamp }): Promise<StoredConversation>
  /** Creates many conversations at once. */
  seed(spec: SeedSpec): Promise<{ created: number; ids: string[] }>
  /**
   * Creates a division (the seeded one is Home). Put conversations in it with
   * `createConversation({ divisions: [id] })`, or through a queue in it.
   */
  createDivision(spec: DivisionSpec): Promise<Required<DivisionSpec>>
  /** Creates a queue in a division (default Home); a conversation routed through it (`queueId`) belongs to that division. */
  createQueue(spec: QueueSpec): Promise<Required<QueueSpec>>
  /** Queues scripted answers; resolves to how many rules were queued. */
  script(entries: ScriptRule | ScriptRule[]): Promise<{ queued: number }>
  /** The request log (never the tokens), oldest first; only entries after `since` when given. */
  requests(since?: number): Promise<RequestLogEntry[]>
  /** Clears the request log (not the stats). */
  clearRequests(): Promise<unknown>
  /** Request counts by status, rate-limited answers, injected faults. */
  stats(): Promise<EmulatorStats>
  /** Adds a role with permissions (`domain:entity:action`). */
  createRole(spec: RoleSpec): Promise<Required<RoleSpec>>
  /** Adds an OAuth client; resolves to it, with its secret. */
  createClient(spec: ClientSpec): Promise<Required<Omit<ClientSpec, 'secret'>> & { secret: string | null }>
  /** Adds a user. */
  createUser(spec: UserSpec): Promise<Required<UserSpec>>
  /** Issues a token for a client (and a user). */
  createToken(spec: TokenSpec): Promise<{ accessToken: string; expiresAt: string }>
  /** Revokes a token: the next request with it answers 401. */
  revokeToken(token: string): Promise<void>
  /**
   * A new isolated organisation on this emulator, on its own loopback port:
   * its own data, roles, clients, tokens, scripts, rate-limit windows, config
   * and request log (seeded like a fresh emulator: the same client ids and
   * tokens). Take one per test file to run files in parallel on one shared
   * emulator; `stop()` on it deletes the org.
   */
  org(spec?: OrgSpec): Promise<EmulatorOrg>
  /** Notification channels: their topics, socket, events sent and dropped. */
  notifications(): Promise<NotificationsState>
  /**
   * A Notifications API fault: `dropSocket` (no close frame, like a network failure),
   * `socketClosing` (`v2.system.socket_closing`, then a close after `graceMs`),
   * `dropEvents` (the next `count` events are lost) or `expire` (the channel ends now);
   * `channelId` limits it to one channel.
   */
  notificationFault(
    kind: 'dropSocket' | 'socketClosing' | 'dropEvents' | 'expire',
    body?: { channelId?: string; graceMs?: number; count?: number },
  ): Promise<unknown>
  /** Stops the process (SIGTERM, then SIGKILL after 3 s). Does nothing for a `connectEmulator` handle. */
  stop(): Promise<void>
}

/** An isolated org of a running emulator (see `Emulator#org`). */
export declare class EmulatorOrg extends Emulator {
  /** Its id on the emulator that holds it (`org-1`, ...). */
  readonly id: string
  /** Deletes the org: its port closes and its data is dropped. */
  stop(): Promise<void>
}

/** Options of `startEmulator`. */
export interface StartOptions {
  /** Extra command-line flags, e.g. `['--seed-conversations', '100']`. */
  args?: string[]
  /** Path of the binary (default: `findEmulatorBinary()`). */
  bin?: string
  /** How long to wait for the emulator to print its URL, in ms. Default 10000. */
  startTimeoutMs?: number
  /**
   * Hide the emulator's stderr (default true: test output stays clean). Its
   * last 2 kB stay in `stderrTail` and are quoted when it fails to start.
   * `false` shows it.
   */
  quiet?: boolean
}

/** Starts the emulator on a free loopback port; resolves when it is ready. */
export declare function startEmulator(options?: StartOptions): Promise<Emulator>

/**
 * A handle on an emulator that is already running, for example one started
 * by Jest's `globalSetup`, which runs in another process than the test
 * files. `url` defaults to `process.env.GENESYS_EMULATOR_URL`. Admin API
 * only: `stop()` does nothing (stop it where it was started).
 */
export declare function connectEmulator(url?: string): Emulator

/**
 * Path of the emulator binary: `$GENESYS_EMULATOR_BIN`; else the newest build
 * in a checkout's `target/`; else the one shipped in this platform's package
 * (`genesys-cleanup-<platform>`, installed as an optional dependency). Throws
 * when there is none.
 */
export declare function findEmulatorBinary(): string
