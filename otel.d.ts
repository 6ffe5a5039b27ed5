// Types of genesys-cleanup/otel (otel.js).
import type { TracerProvider, MeterProvider } from '@opentelemetry/api'
import type { ClientEvent } from './index.js'

/** Where spans and metrics go. Default: the global providers of `@opentelemetry/api`. */
export interface TelemetryOptions {
  tracerProvider?: TracerProvider
  meterProvider?: MeterProvider
  /**
   * Events with an `org` (those a `CleanupFleet` passes on) put it as `genesys_cleanup.org` on
   * spans and metrics; `false` keeps it off the metrics (one series for all orgs). Default true.
   */
  orgOnMetrics?: boolean
}

/** An event listener that turns the client's events into spans and metrics. */
export interface Telemetry {
  /**
   * Pass as the `onEvent` option of `CleanupClient`, `closeConversation` or `checkScopes`.
   * Spans: `genesys-cleanup <call>` per call (attributes `genesys_cleanup.outcome`, `.retries`,
   * `.count.*`, `error.type`), a child `<METHOD> <url.template>` (kind CLIENT) per HTTP answer
   * with `http.request.method`, `url.template`, `http.response.status_code`,
   * `http.request.resend_count`, `genesys.correlation_id`. Metrics: `genesys_cleanup.requests`,
   * `.retries`, `.rate_limited` (429s), `.rate_limit_waits`, `.rate_limit_wait.duration`,
   * `.give_ups`, `.outcomes`, `.operation.duration`, and `http.client.request.duration`.
   */
  onEvent(event: ClientEvent): void
}

/** Creates the listener. Throws if `@opentelemetry/api` is not installed. */
export declare function createTelemetry(options?: TelemetryOptions): Telemetry
