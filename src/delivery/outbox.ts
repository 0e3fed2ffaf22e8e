// The outbox hook: every queued delivery is reported here, so a durable store can persist what is
// pending and hand it back after a restart. The in-memory default keeps the same contract.
import type { SendWindow } from "../signal.ts";

export interface OutboxRecord<P = unknown> {
  readonly id: string;
  /** Stable, non-secret destination key (e.g. "slack:default"), never the webhook URL. */
  readonly destination: string;
  readonly payload: P;
  readonly rule?: string;
  /** Enqueue time, ms (scheduler clock). */
  readonly enqueuedAt: number;
  /** Identity of the notice (not secret): a shared outbox collapses records with the same key. */
  readonly dedupeKey?: string;
  /** The throttle window the message counts in: the lane sends it only while the window allows. */
  readonly window?: SendWindow;
}

export interface Outbox<P = unknown> {
  /** A shared outbox answers whether the record was stored (false: it collapsed into an earlier one). */
  onEnqueue(record: OutboxRecord<P>): void | Promise<void> | Promise<boolean>;
  onDelivered(id: string): void | Promise<void>;
  onFailed(id: string, reason: string): void | Promise<void>;
  /** Records still pending (enqueued, neither delivered nor failed): re-sent on start. */
  pending(): readonly OutboxRecord<P>[] | Promise<readonly OutboxRecord<P>[]>;
}

/** Default outbox: tracks pending records in memory (lost on restart, like any memory state). */
export class MemoryOutbox<P = unknown> implements Outbox<P> {
  readonly #pending = new Map<string, OutboxRecord<P>>();

  onEnqueue(record: OutboxRecord<P>): void {
    this.#pending.set(record.id, record);
  }

  onDelivered(id: string): void {
    this.#pending.delete(id);
  }

  onFailed(id: string): void {
    this.#pending.delete(id);
  }

  pending(): readonly OutboxRecord<P>[] {
    return [...this.#pending.values()];
  }
}

/**
 * An outbox shared through the state store (possibly by several instances): the queue pulls from it.
 * Each record is claimed with a lease before delivery, the lease is renewed while the delivery
 * retries, and a record whose holder died is claimed by another instance once its lease expires.
 */
export interface SharedOutbox<P = unknown> extends Outbox<P> {
  readonly shared: true;
  /** Persist a record; false when it collapsed into an identical earlier one (same dedupeKey). */
  onEnqueue(record: OutboxRecord<P>): Promise<boolean>;
  /** The oldest record of the destination nobody holds (or whose lease ran out), now leased to us. */
  claimNext(destination: string): Promise<OutboxRecord<P> | undefined>;
  /** Extend our lease on a claimed record; false when it was lost to another instance. */
  renew(id: string): Promise<boolean>;
  /** Give a claimed record back (shutdown), so another instance or the next start takes it at once. */
  release(id: string): Promise<void>;
  /** Destination keys with stored records (restore starts a lane for each it can resolve). */
  destinations(): Promise<readonly string[]>;
  /** Release leases this instance's previous (dead) run held, so they are delivered now; how many. */
  reclaim(): Promise<number>;
  /** Records stored for the destination by any instance, as last counted (status), if known. */
  storedCount(destination: string): number | undefined;
  /** How often idle lanes look for claimable records, ms (restored ones, a dead instance's ones). */
  readonly pollMs: number;
  /** How often a held lease is renewed, ms. */
  readonly renewMs: number;
}

export function isSharedOutbox<P>(outbox: Outbox<P>): outbox is SharedOutbox<P> {
  return (outbox as { readonly shared?: unknown }).shared === true;
}
