/** A running genesys-emulator process and its admin API. */
export declare class Emulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`: pass it as `baseUrl`. */
  readonly url: string
  admin(method: string, route: string, body?: unknown): Promise<any>
  configure(config: Record<string, unknown>): Promise<any>
  reset(): Promise<any>
  createConversation(spec?: Record<string, unknown>): Promise<any>
  conversation(id: string): Promise<any>
  seed(spec: Record<string, unknown>): Promise<{ created: number; ids: string[] }>
  script(entries: Array<Record<string, unknown>>): Promise<any>
  requests(since?: number): Promise<Array<{ seq: number; method: string; path: string; query?: string; status: number; auth: 'Bearer' | 'Basic' | null }>>
  clearRequests(): Promise<any>
  stats(): Promise<any>
  stop(): Promise<void>
}

export interface StartOptions {
  /** Extra command-line flags, e.g. `['--seed-conversations', '100']`. */
  args?: string[]
  /** Path of the binary (default: $GENESYS_EMULATOR_BIN, then a build in target/). */
  bin?: string
  startTimeoutMs?: number
}

/** Starts the emulator on a free loopback port; resolves when it is ready. */
export declare function startEmulator(options?: StartOptions): Promise<Emulator>
export declare function findEmulatorBinary(): string
