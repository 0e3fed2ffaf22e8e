// One destination's lane inside the delivery queue: the entries being delivered, the rate limit and
// the counters status shows. Shared by the queue and its shared-outbox (state store) mode.
import type { Subscription } from "rxjs";
import type { OutboxRecord } from "./outbox.ts";
import type { DeliveryDestination, DeliveryResult, DestinationStatus, FailureRecord } from "./queue-types.ts";
import type { TokenBucket } from "./timing.ts";

export interface Entry<P> {
  readonly record: OutboxRecord<P>;
  readonly destination: DeliveryDestination<P>;
  readonly accepted: Promise<void>;
  attempts: number;
  resolve(result: DeliveryResult): void;
  /** Shared outbox: claimed from the store, its lease renewed by `renewal` until `finished`. */
  claimed?: boolean;
  renewal?: Subscription;
  /** The lease was lost (another instance took the entry over). */
  lost?: boolean;
  sending?: boolean;
  finished?: boolean;
}

/** A record this instance put into a shared outbox and has not settled yet. */
export interface Ticket {
  resolve(result: DeliveryResult): void;
  /** The store has answered the enqueue. */
  stored: boolean;
  /** When it was enqueued (the pipeline's clock). */
  readonly enqueuedAt: number;
}

export interface Lane<P> {
  readonly destination: DeliveryDestination<P>;
  /** Entries this instance delivers, head first (shared outbox: the claimed one, or store-less ones). */
  readonly entries: Entry<P>[];
  readonly bucket: TokenBucket;
  running: boolean;
  /** Set by every wake-up, so a pump about to go idle looks once more. */
  wake: boolean;
  inFlight: number;
  delivered: number;
  retried: number;
  rateLimited: number;
  failed: number;
  handedOff: number;
  /** Start of the current run of failed attempts (undefined once one succeeds): retry time counts from it. */
  failingSince?: number;
  /** The last failed attempt's reason (redacted), quoted when untried entries are given up. */
  lastError?: string;
  /** Shared outbox: records this instance enqueued and has not settled. */
  readonly tickets: Map<string, Ticket>;
  readonly lastFailures: FailureRecord[];
}

export function newLane<P>(destination: DeliveryDestination<P>, bucket: TokenBucket): Lane<P> {
  return {
    destination,
    entries: [],
    bucket,
    running: false,
    wake: false,
    inFlight: 0,
    delivered: 0,
    retried: 0,
    rateLimited: 0,
    failed: 0,
    handedOff: 0,
    tickets: new Map(),
    lastFailures: [],
  };
}

/** What the lane still has to settle. */
export function lanePending(lane: Lane<unknown>): number {
  return lane.entries.length + lane.tickets.size;
}

/** Remove a settled entry and stop renewing its lease. */
export function finishEntry<P>(lane: Lane<P>, entry: Entry<P>): void {
  const at = lane.entries.indexOf(entry);
  if (at >= 0) lane.entries.splice(at, 1);
  entry.finished = true;
  entry.renewal?.unsubscribe();
}

/** Enqueue time of the oldest entry this instance still has to settle on the lane. */
function oldestPending(lane: Lane<unknown>): number | undefined {
  let oldest: number | undefined;
  for (const e of lane.entries)
    if (oldest === undefined || e.record.enqueuedAt < oldest) oldest = e.record.enqueuedAt;
  for (const t of lane.tickets.values())
    if (oldest === undefined || t.enqueuedAt < oldest) oldest = t.enqueuedAt;
  return oldest;
}

/** `pending`: what the shared outbox counts for the lane, when it is shared. */
export function laneStatus(lane: Lane<unknown>, shared: boolean, pending?: number): DestinationStatus {
  const oldest = oldestPending(lane);
  return {
    destination: lane.destination.label,
    key: lane.destination.key,
    pending: pending ?? lanePending(lane),
    ...(oldest !== undefined ? { oldest_pending_since: new Date(oldest).toISOString() } : {}),
    in_flight: lane.inFlight,
    delivered: lane.delivered,
    retried: lane.retried,
    rate_limited: lane.rateLimited,
    failed: lane.failed,
    ...(lane.failingSince !== undefined ? { failing_since: new Date(lane.failingSince).toISOString() } : {}),
    ...(shared ? { handed_off: lane.handedOff } : {}),
    last_failures: [...lane.lastFailures],
  };
}

/** A queue's totals over its destinations. */
export function deliveryTotals(destinations: readonly DestinationStatus[]) {
  const sum = (key: "pending" | "delivered" | "retried" | "failed") =>
    destinations.reduce((n, d) => n + d[key], 0);
  return {
    pending: sum("pending"),
    delivered: sum("delivered"),
    retried: sum("retried"),
    failed: sum("failed"),
  };
}

export function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
