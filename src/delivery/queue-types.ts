// Public types of the delivery queue: destinations, options, tickets, results and status.
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { SendWindow } from "../signal.ts";
import type { Outbox } from "./outbox.ts";
import type { DeliveryOutcome } from "./outcome.ts";
import type { SendLog } from "./send-window.ts";

export interface DeliveryDestination<P> {
  /** Stable, non-secret key; the outbox stores it. */
  readonly key: string;
  /** Redacted name for logs and status, e.g. `hooks.slack.com/services/T***`. */
  readonly label: string;
  send(payload: P, attempt: number): Promise<DeliveryOutcome>;
}

export interface DeliveryQueueOptions<P> {
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  /** Sustained messages per second per destination (Slack: 1). */
  readonly ratePerSecond?: number;
  /** Short burst allowance per destination. */
  readonly burst?: number;
  /** Attempts before giving up (0 = no limit). */
  readonly maxAttempts?: number;
  /**
   * Time an entry may wait on a failing destination before it is given up, ms (0 = no limit): counted
   * from its enqueue or the first failure of the current outage, whichever is later, waits included.
   */
  readonly maxRetryTimeMs?: number;
  /** Longest Retry-After honoured, ms: a longer one is cut to this (a day-long ask must not stall the lane). */
  readonly maxRetryAfterMs?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Log every attempt (ALERT_LOG_ATTEMPTS), not only failures. */
  readonly logAttempts?: boolean;
  /** Entries waiting per destination before new ones are refused (recorded as failed). */
  readonly maxPending?: number;
  /** How many recent failures status() keeps per destination. */
  readonly lastFailures?: number;
  readonly outbox?: Outbox<P>;
  /** Jitter source, injectable for tests. */
  readonly random?: () => number;
  /** Secret strings stripped from any reason text before it is logged or stored. */
  readonly secrets?: readonly string[];
  /** Where stamped messages (DeliveryMeta.window) learn when their throttle window allows them. */
  readonly sendLog?: SendLog;
}

export interface DeliveryMeta {
  /** Rule name (or item kind) shown in failure records. */
  readonly rule?: string;
  /** Identity of the notice: a shared outbox delivers one of several records with the same key. */
  readonly key?: string;
  /** The throttle window the message counts in, kept at send time. */
  readonly window?: SendWindow;
}

export interface DeliveryResult {
  readonly id: string;
  readonly destination: string;
  /**
   * `handed_off`: a shared outbox holds it and another record or instance is responsible for it
   * (an identical notice enqueued earlier, or another instance claimed it first).
   */
  readonly state: "delivered" | "failed" | "pending" | "handed_off";
  readonly attempts: number;
  readonly status?: number;
  readonly reason?: string;
}

export interface DeliveryTicket {
  readonly id: string;
  /** Resolves once the outbox has recorded the entry. */
  readonly accepted: Promise<void>;
  /** Resolves when delivered, permanently failed, or left pending at shutdown. */
  readonly done: Promise<DeliveryResult>;
}

export interface FailureRecord {
  readonly rule?: string;
  readonly reason: string;
  readonly status?: number;
  readonly attempts: number;
  readonly time: string;
}

export interface DestinationStatus {
  readonly destination: string;
  /** The destination's stable, non-secret key (e.g. `slack:default`). */
  readonly key: string;
  readonly pending: number;
  /** Enqueue time of the oldest notice this instance still has to settle (absent when none). */
  readonly oldest_pending_since?: string;
  readonly in_flight: number;
  readonly delivered: number;
  readonly retried: number;
  readonly rate_limited: number;
  readonly failed: number;
  /** Since when every attempt has failed (absent while the destination works). */
  readonly failing_since?: string;
  /** Shared outbox only: notices this instance enqueued that another record or instance delivered. */
  readonly handed_off?: number;
  readonly last_failures: readonly FailureRecord[];
}

export interface DeliveryStatus {
  readonly pending: number;
  readonly delivered: number;
  readonly retried: number;
  readonly failed: number;
  readonly destinations: readonly DestinationStatus[];
  /** Entries waiting per destination before new ones are refused. */
  readonly max_pending: number;
  /** How long a failing destination is retried before entries are given up, s (0 = no limit). */
  readonly max_retry_time_seconds: number;
  /** "state" when the outbox is the state store (claims with leases), absent for the in-memory one. */
  readonly outbox?: "state";
}

export interface ShutdownReport {
  /** Entries not delivered by the deadline; they stay in the outbox. */
  readonly pending: number;
  readonly left: ReadonlyArray<{ destination: string; pending: number }>;
}
