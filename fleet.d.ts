// Types of `genesys-cleanup/fleet`: one cleanup service for many Genesys
// orgs, run as several replicas over one Redis (see docs/replicas.md#fleet).

import type { CleanupError, ClientEvent, ConnectionOptions, ErrorCode, Logger, SweepOptions, SweepReport, WatchEvent, WatchOptions, WatchReport } from './index'

/** An org's credentials: an OAuth client (Client Credentials grant) or a bearer token. */
export type OrgCredentials = { clientId: string; clientSecret: string } | { accessToken: string }

/** One org of the fleet: where it is, its credentials, and its job. */
export interface FleetOrg extends Omit<ConnectionOptions, 'accessToken' | 'clientId' | 'clientSecret'> {
  /** 1 to 64 characters of `A-Z a-z 0-9 . _ -`, unique in the fleet: it names the org's lease (the Genesys org id is a good choice). */
  id: string
  /**
   * The credentials, or a function returning them, called at each term start and each
   * retry after a failure (files or a vault read again: rotation without a restart).
   */
  credentials: OrgCredentials | (() => OrgCredentials | Promise<OrgCredentials>)
  /** `watch` with its options, or a `sweep` every `everyMs` (1000 to 86400000). */
  job: { watch: Omit<WatchOptions, 'signal' | 'onEvent'> } | { sweep: Omit<SweepOptions, 'signal' | 'onProgress'> & { everyMs: number } }
}

/** Options of `new CleanupFleet(...)`. */
export interface FleetOptions {
  /** An ioredis client (`new Redis(...)`) or a connected node-redis client (`createClient(...)`). */
  redis: object
  /** 1 to 64 characters of `A-Z a-z 0-9 . _ -`: the fleet's name in the Redis keys. Default `'default'`. */
  fleet?: string
  /** This replica's id, unique among live processes: 1 to 128 characters of `A-Z a-z 0-9 . _ : -`. Default `${hostname}-${pid}`. */
  replicaId?: string
  /** Lease and presence time to live, in ms (1000 to 3600000); a pass every third of it. Default 30000. */
  ttlMs?: number
  /** Fleet-wide cap on sweep concurrency (units of each sweep's `concurrency`; watches not counted), 1 to 4096. Default 64. */
  concurrency?: number
  /** The orgs; more with `addOrg`. */
  orgs?: FleetOrg[]
  /** Every job a dry run: nothing is written. */
  dryRun?: boolean
  /** The fleet's events. A throw or a rejection is caught and warned about once. */
  onEvent?: (event: FleetEvent) => void
  /** Given to each org's client (see `ClientOptions.logger`). */
  logger?: Logger
  /** `createTelemetry()` of `genesys-cleanup/otel`: gets every org client's events, each with `org`. */
  telemetry?: { onEvent(event: ClientEvent): void }
}

/** One thing the fleet did or saw, on this replica. */
export type FleetEvent =
  | { kind: 'replicas'; at: number; live: string[]; quota: number; cap: number }
  | { kind: 'acquired'; org: string; at: number }
  | { kind: 'released'; org: string; at: number; reason: 'rebalance' | 'removed' | 'stopping' }
  | { kind: 'lost'; org: string; at: number; reason: string }
  | { kind: 'jobStarted'; org: string; job: 'watch' | 'sweep' }
  | { kind: 'sweep'; org: string; report: SweepReport }
  | { kind: 'jobFailed'; org: string; error: CleanupError; retryInMs: number }
  | { kind: 'watch'; org: string; event: WatchEvent }
  | { kind: 'client'; org: string; event: ClientEvent & { org: string } }
  | { kind: 'storeError'; reason: string }

/** This replica's account of one org. */
export interface OrgReport {
  id: string
  job: 'watch' | 'sweep'
  /** `unheld`: another replica (or none) holds it; `backoff`: its job failed and waits to retry. */
  state: 'unheld' | 'starting' | 'running' | 'waiting' | 'backoff' | 'stopping'
  /** When this replica took its lease (Redis server time, ms), or null. */
  heldSince: number | null
  /** Terms held on this replica. */
  terms: number
  /** Terms lost (another holder, or the lease ran out unrenewed). */
  lost: number
  lastLostReason?: string
  /** The last failure of its job (cleared by a success). */
  lastError?: { code: ErrorCode; message: string; at: number; status?: number }
  /** When a job in backoff tries again. */
  retryAt?: number
  sweeps: number
  lastSweepAt?: number
  nextSweepAt?: number
  /** Over every term on this replica. */
  totals: { closed: number; alreadyClosed: number; sparedActive: number; failed: number; requests: number; retries: number; rateLimited: number }
  /** The last watch term's report. */
  watch: WatchReport | null
}

/** What `stop()` resolves with. */
export interface FleetReport {
  replicaId: string
  orgs: OrgReport[]
}

/** Who holds which org, and since when, from one read of Redis. */
export interface FleetStatus {
  fleet: string
  /** Redis server time of the read, ms. */
  at: number
  /** This replica's id (null from `CleanupFleet.status`). */
  self: string | null
  /** Live replicas and how many of the listed orgs each holds. */
  replicas: Array<{ id: string; self: boolean; expiresInMs: number; holds: number }>
  /** `fair`: every org held by a live replica, each holding `floor` to `cap`. */
  share: { orgs: number; replicas: number; cap: number; floor: number; fair: boolean }
  orgs: Array<{
    id: string
    holder: string | null
    since: number | null
    expiresInMs: number | null
    /** This replica's view (from `fleet.status()`). */
    local?: { state: OrgReport['state']; lastError?: OrgReport['lastError']; retryAt?: number }
  }>
}

/**
 * One replica of a cleanup service for many orgs. Each org's job runs on
 * exactly one live replica, under a lease in Redis that fences its writes;
 * with N replicas and M orgs each holds at most ceil(M/N) (more only until
 * its next pass after a replica joined). A replica that dies is replaced
 * within the TTL plus one pass; one that joins gets its share within one TTL.
 */
export declare class CleanupFleet {
  /** Validates everything at once (`ERR_INVALID_ARGUMENT`); nothing is sent until `start()`. */
  constructor(options: FleetOptions)
  readonly replicaId: string
  /** Joins the fleet; resolves after the first heartbeat, rejects when Redis does not answer it. */
  start(): Promise<void>
  /** Leaves: every org's writes stop, its job ends, its lease is released, the presence removed. */
  stop(): Promise<FleetReport>
  /** Adds an org (its id must be new); taken here or elsewhere from the next pass. */
  addOrg(org: FleetOrg): void
  /** Removes an org; resolves with its report once this replica no longer writes for it (null: unknown id). */
  removeOrg(id: string): Promise<OrgReport | null>
  /** Holders, replicas and share, from Redis, with this replica's view of its orgs. */
  status(): Promise<FleetStatus>
  /** This replica's report of one org. */
  report(id: string): OrgReport | undefined
  /** This replica's reports of every configured org. */
  reports(): OrgReport[]
  /** The status of a fleet from any process (the CLI's `fleet status`); without `orgs`, replicas only. */
  static status(redis: object, options?: { fleet?: string; orgs?: string[] }): Promise<FleetStatus>
}
