// Types of `genesys-cleanup/testing`: start the bundled Genesys Cloud emulator
// for tests (Jest `globalSetup` or `beforeAll`) and drive its admin API.

/**
 * A running genesys-emulator process and its admin API (`/__emulator/...`,
 * see the emulator's README for every call and the seeded clients and tokens,
 * e.g. client `cleanup-client` / `cleanup-secret`, token `cc-cleanup-token`).
 */
export declare class Emulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`: pass it as `baseUrl`. */
  readonly url: string
  /** With `startEmulator({ quiet: true })`: the last 2 kB of its stderr. */
  readonly stderrTail?: string
  /** Any admin call: `admin('GET', 'stats')` is `GET {url}/__emulator/stats`. Rejects on a non-2xx answer. */
  admin(method: string, route: string, body?: unknown): Promise<any>
  /** Merges emulator settings (latency, rate limit, faults, ...); resolves to the whole config. */
  configure(config: Record<string, unknown>): Promise<any>
  /** Back to the seeded state: data, request log, stats, scripts and config. */
  reset(): Promise<any>
  /**
   * Creates a message conversation, e.g. `{ type: 'webmessaging', state: 'active' }`
   * (all fields optional); resolves to the stored conversation, with its `id`.
   */
  createConversation(spec?: Record<string, unknown>): Promise<any>
  /** The stored conversation, with the state of every participant. */
  conversation(id: string): Promise<any>
  /**
   * Posts a message in an open conversation, from its customer (default) or
   * agent, now or at `at` (ISO 8601 or epoch ms): the conversation's newest
   * activity. Resolves to the stored conversation.
   */
  postMessage(id: string, message?: { from?: 'customer' | 'agent'; at?: string | number }): Promise<any>
  /** Creates many conversations at once (`{ count, mix?, endedFraction?, ... }`). */
  seed(spec: Record<string, unknown>): Promise<{ created: number; ids: string[] }>
  /** Queues scripted answers (`[{ method?, path, times?, respond }]`). */
  script(entries: Array<Record<string, unknown>>): Promise<any>
  /** The request log (never the tokens), oldest first; only entries after `since` when given. */
  requests(since?: number): Promise<Array<{ seq: number; method: string; path: string; query?: string; status: number; auth: 'Bearer' | 'Basic' | null }>>
  /** Clears the request log (not the stats). */
  clearRequests(): Promise<any>
  /** Request counts by status, rate-limited answers, injected faults. */
  stats(): Promise<any>
  /** Notification channels (`{ channels: [{ id, topics, connected, connects, eventsSent, eventsDropped, ... }], dropNext }`). */
  notifications(): Promise<any>
  /**
   * A Notifications API fault: `dropSocket` (no close frame, like a network failure),
   * `socketClosing` (`v2.system.socket_closing`, then a close after `graceMs`),
   * `dropEvents` (the next `count` events are lost) or `expire` (the channel ends now);
   * `channelId` limits it to one channel.
   */
  notificationFault(
    kind: 'dropSocket' | 'socketClosing' | 'dropEvents' | 'expire',
    body?: { channelId?: string; graceMs?: number; count?: number },
  ): Promise<any>
  /** Stops the process (SIGTERM, then SIGKILL after 3 s). Does nothing for a `connectEmulator` handle. */
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
  /** Do not show the emulator's stderr (its last 2 kB stay in `stderrTail`). */
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
