// Types of `genesys-cleanup/redis`: a lease in Redis so that of several
// replicas exactly one sweeps or watches an org at a time.

import type { Lease } from './index'

export type { Lease }

/** Options of `redisLease`. */
export interface RedisLeaseOptions {
  /**
   * The Redis key. Default: the name the job gives, `genesys-cleanup:{orgId}:sweep`
   * (or `:watch`), so one Redis serves many orgs and jobs.
   */
  key?: string
  /** How long the lease lasts without renewal, in ms (1000 to 3600000). Default 30000. */
  ttlMs?: number
  /** The longest a Redis call may take, in ms; a slower one counts as a failure. Default min(2000, ttlMs / 3). */
  timeoutMs?: number
}

/** A lease returned by `redisLease`: a `Lease` and its holder token. */
export interface RedisLease extends Lease {
  /** This holder's random token (the value stored in the key while it holds the lease). */
  readonly holder: string
}

/**
 * A lease in a single Redis (`SET key token NX PX ttl`; renew and release
 * only while the key holds this holder's token, each by one Lua script), for
 * `sweep({ lease })`. `client` is an ioredis client (`new Redis(...)`) or a
 * connected node-redis client (`createClient(...)`); both are optional peer
 * dependencies. On a Redis failover the new primary may lack the key: two
 * replicas can then both hold the lease for up to one TTL.
 */
export declare function redisLease(client: object, options?: RedisLeaseOptions): RedisLease
