// A small service that ends idle Genesys Cloud web messaging conversations:
// it sweeps every few minutes, logs each report as one JSON line on stdout,
// never runs two sweeps at once, and on SIGTERM/SIGINT aborts the sweep in
// flight, waits for it to report, and exits.
//
// Configuration (environment):
//   GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET  OAuth client (Client Credentials grant)
//   GENESYS_ACCESS_TOKEN                      or a bearer token (never refreshed)
//   GENESYS_REGION / GENESYS_BASE_URL         where (default us_east_1)
//   SWEEP_INTERVAL_MINUTES                    default 5
//   SWEEP_IDLE_MINUTES                        default 30
//   SWEEP_CONCURRENCY                         default 8
//   SWEEP_DRY_RUN=1                           report only, write nothing
//
// Plain TypeScript: run it with your usual runner (ts-node, tsx) or compile it
// with tsc. In your own project, import from 'genesys-cleanup' instead of '../index'.

import { CleanupClient, isCleanupError } from '../index'
import type { SweepReport, ClientOptions } from '../index'

type Level = 'info' | 'warn' | 'error'

/** One structured JSON line per event: easy to ship to any log pipeline. */
function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`)
}

function numberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`)
  return n
}

/** Time spent waiting to stay under the rate limit, per sweep (from `onEvent`). */
const pacing = { waits: 0, waitedMs: 0 }

function connectionFromEnv(): ClientOptions {
  const env = process.env
  const options: ClientOptions = {}
  if (env.GENESYS_REGION) options.region = env.GENESYS_REGION
  if (env.GENESYS_BASE_URL) options.baseUrl = env.GENESYS_BASE_URL
  if (env.GENESYS_ACCESS_TOKEN) options.accessToken = env.GENESYS_ACCESS_TOKEN
  else {
    options.clientId = env.GENESYS_CLIENT_ID
    options.clientSecret = env.GENESYS_CLIENT_SECRET
  }
  // Events never carry ids, tokens or secrets. Waits happen on every paced
  // request, so they are summed into the sweep's log line, not logged one by one.
  options.onEvent = (event) => {
    if (event.kind === 'rateLimitWait') {
      pacing.waits += 1
      pacing.waitedMs += event.waitMs ?? 0
    }
  }
  return options
}

/** The part of a report worth a log line (the full one lists every id). */
function summarize(report: SweepReport, elapsedMs: number): Record<string, unknown> {
  const c = report.close
  const failures = c.results.flatMap((r) => (r.outcome === 'failed' ? [{ conversationId: r.conversationId, code: r.error.code }] : []))
  return {
    dryRun: report.dryRun,
    scanned: report.scanned,
    candidates: report.candidates,
    found: report.found.length,
    sparedActive: report.sparedActive,
    closed: c.closed,
    alreadyClosed: c.alreadyClosed,
    notFound: c.notFound,
    skipped: c.skipped,
    wouldClose: c.wouldClose,
    failed: c.failed,
    aborted: c.aborted,
    requests: report.requests,
    retries: c.retries,
    rateLimited: c.rateLimited,
    elapsedMs: Math.round(elapsedMs),
    rateLimitWaits: pacing.waits,
    rateLimitWaitedMs: Math.round(pacing.waitedMs),
    failures: failures.slice(0, 20),
  }
}

async function main(): Promise<void> {
  const intervalMs = numberFromEnv('SWEEP_INTERVAL_MINUTES', 5, 0.1) * 60_000
  const idleForMs = numberFromEnv('SWEEP_IDLE_MINUTES', 30, 1) * 60_000
  const concurrency = numberFromEnv('SWEEP_CONCURRENCY', 8, 1)
  const dryRun = process.env.SWEEP_DRY_RUN === '1'

  // Throws a CleanupError (ERR_INVALID_ARGUMENT, ERR_INSECURE_URL) for bad settings.
  const client = new CleanupClient(connectionFromEnv())

  // Fail at start, with the reason, rather than on every sweep.
  const access = await client.checkScopes()
  if (!access.canClose) {
    log('error', 'these credentials cannot end conversations', { missingPermissions: access.missingPermissions, missingScopes: access.missingScopes, advice: access.advice })
    process.exitCode = 1
    return
  }
  log('info', 'started', { intervalMs, idleForMs, concurrency, dryRun, organization: access.organization?.name })

  let stopping = false
  let inFlight: { controller: AbortController; done: Promise<void> } | undefined
  let timer: NodeJS.Timeout | undefined

  async function sweepOnce(controller: AbortController): Promise<void> {
    const started = performance.now()
    pacing.waits = 0
    pacing.waitedMs = 0
    try {
      const report = await client.sweep({ idleForMs, concurrency, dryRun, signal: controller.signal })
      const level: Level = report.close.failed > 0 ? 'warn' : 'info'
      log(level, report.close.aborted > 0 ? 'sweep aborted' : 'sweep done', summarize(report, performance.now() - started))
    } catch (e) {
      // The whole sweep failed (discovery, credentials, abort before any close...).
      if (isCleanupError(e)) log(e.code === 'ERR_ABORTED' ? 'info' : 'error', 'sweep failed', { code: e.code, message: e.message, correlationId: e.correlationId })
      else log('error', 'sweep failed', { message: String(e) })
    }
  }

  // The next sweep is scheduled only once the previous one has finished:
  // two sweeps never overlap, however long one takes.
  function runAndReschedule(): void {
    timer = undefined
    if (stopping) return
    const controller = new AbortController()
    const started = Date.now()
    const done = sweepOnce(controller).finally(() => {
      inFlight = undefined
      if (!stopping) timer = setTimeout(runAndReschedule, Math.max(0, intervalMs - (Date.now() - started)))
    })
    inFlight = { controller, done }
  }

  async function shutdown(signal: string): Promise<void> {
    if (stopping) return
    stopping = true
    log('info', 'stopping', { signal, sweepInFlight: inFlight !== undefined })
    if (timer) clearTimeout(timer)
    // Requests already sent finish; the rest of the sweep is reported as aborted.
    const current = inFlight
    if (current) {
      current.controller.abort()
      await current.done
    }
    log('info', 'stopped')
  }

  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
  runAndReschedule()
}

main().catch((e: unknown) => {
  log('error', 'could not start', isCleanupError(e) ? { code: e.code, message: e.message } : { message: String(e) })
  process.exitCode = 1
})
