// The StateStore: durable and shared state behind the stateful processors and the delivery queue.
//
// Synchronous-or-async contract (MaybePromise): processors run under an RxJS TestScheduler in tests,
// where promises never settle in virtual time. So every operation returns `MaybePromise<T>`:
//   - the `memory` and `sqlite` backends answer synchronously (node:sqlite's DatabaseSync is sync),
//   - the `redis` backend (always wrapped in a FallbackStore) returns promises.
// Callers that must work with every backend either `await` the result or branch with `isPromise`.
// The hot path (rules evaluating thousands of points/s) stays in memory; the store backs snapshots
// of processor state (the key-value namespaces) and the coordination primitives that must be atomic
// across instances (cooldowns, the throttle window, the outbox with leases).
//
// Time: every time-dependent operation takes `nowMs` from the caller (`scheduler.now()`), so virtual
// time works and instances agree on deadlines; the store never reads the wall clock itself.

/** A value as stored: anything JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type MaybePromise<T> = T | Promise<T>;

export type StateBackend = "memory" | "sqlite" | "redis";

export interface KeyValueEntry {
  readonly key: string;
  readonly value: JsonValue;
  /** Absolute expiry (caller's clock), when the entry was set with a TTL. */
  readonly expiresAtMs?: number;
}

export interface SetOptions {
  /** Time to live; the entry disappears once `nowMs + ttlMs` has passed (judged by readers' nowMs). */
  readonly ttlMs: number;
  readonly nowMs: number;
}

/** An alert (or digest) waiting for delivery to one destination. */
export interface OutboxEntry {
  /** Opaque, unique within the store. */
  readonly id: string;
  readonly destination: string;
  readonly payload: JsonValue;
  /** Enqueue order; entries of one destination are claimed and listed in ascending seq. */
  readonly seq: number;
  readonly enqueuedAtMs: number;
  /** How many times the entry has been claimed (1 on the first delivery attempt). */
  readonly attempts: number;
  /** Current claimer and lease deadline, when claimed. */
  readonly owner?: string;
  readonly leaseUntilMs?: number;
}

/**
 * Idempotent enqueue: a second enqueue with the same key within `ttlMs` of the first adds nothing
 * (it returns ""), so one notice enqueued by two instances, or twice by one, is delivered once.
 */
export interface EnqueueDedupe {
  readonly key: string;
  /** How long the key is remembered after the enqueue that set it (caller's clock). */
  readonly ttlMs: number;
}

export interface ClaimOptions {
  /**
   * Strict order: stop at the first entry under a live lease instead of skipping it, so a destination
   * is delivered in enqueue order by one holder at a time (a restarted instance waits for the dead
   * one's lease rather than overtaking it).
   */
  readonly inOrder?: boolean;
}

/** A permanently failed delivery, kept for status and inspection. */
export interface DeadLetter {
  readonly id: string;
  readonly destination: string;
  readonly payload: JsonValue;
  readonly reason: string;
  readonly enqueuedAtMs: number;
  readonly failedAtMs: number;
  readonly attempts: number;
}

/** What /status shows about the store: never credentials. */
export interface StateStoreStatus {
  readonly backend: StateBackend;
  /** True while a shared backend is unreachable and local state is serving. */
  readonly degraded: boolean;
  readonly schema_version: number;
  /** Where the state lives: memory, the SQLite path, or the redis URL without credentials. */
  readonly location: string;
  readonly instance_id: string;
  /** Dead letters as last counted by this instance. */
  readonly dead_letters: number;
  /** Since when (caller's clock) the store is degraded; absent when healthy. */
  readonly degraded_since_ms?: number;
  /** Why the store is degraded (what a readiness probe reports); absent when healthy. */
  readonly degraded_reason?: string;
  /** Notices and settlements kept in memory only, because the store cannot write them yet. */
  readonly unsaved?: number;
  /** Last connection problem, credentials removed. */
  readonly last_error?: string;
  /** How many times local state was pushed back to the shared backend after an outage. */
  readonly reconciliations?: number;
}

export interface StateStore {
  readonly backend: StateBackend;

  // --- Key-value namespaces: snapshots/journals of processor state (JSON values, optional TTL).
  get(namespace: string, key: string, nowMs: number): MaybePromise<JsonValue | undefined>;
  set(namespace: string, key: string, value: JsonValue, options?: SetOptions): MaybePromise<void>;
  delete(namespace: string, key: string): MaybePromise<void>;
  /** Live entries of a namespace, ordered by key. */
  list(namespace: string, nowMs: number): MaybePromise<KeyValueEntry[]>;

  // --- Cooldowns: one notice per fingerprint per cooldown, across instances.
  /** Set the fingerprint's cooldown to `untilMs` if it has none or it has expired; true if set. */
  tryAcquireCooldown(fingerprint: string, untilMs: number, nowMs: number): MaybePromise<boolean>;
  /** The cooldown deadline if one is running at `nowMs`. */
  getCooldown(fingerprint: string, nowMs: number): MaybePromise<number | undefined>;
  clearCooldown(fingerprint: string): MaybePromise<void>;

  // --- Throttle: rolling-window log per route, shared across instances.
  /**
   * Admit message `id` on `route` if fewer than `max` were admitted in (nowMs - windowMs, nowMs].
   * Idempotent: an id already admitted within the window is admitted again without counting twice,
   * its time moved to the later of the two (the delivery lane re-stamps an admission when it is sent).
   */
  throttleAdmit(
    route: string,
    nowMs: number,
    windowMs: number,
    max: number,
    id: string,
  ): MaybePromise<boolean>;
  /** Admission times within the window, ascending: lets the throttle compute when a slot frees. */
  throttleWindow(route: string, nowMs: number, windowMs: number): MaybePromise<number[]>;

  // --- Outbox: written before delivery, removed on success; ordered per destination.
  /** Append an entry; its id, or "" when `dedupe.key` was already enqueued within its ttl. */
  enqueue(
    destination: string,
    payload: JsonValue,
    nowMs: number,
    dedupe?: EnqueueDedupe,
  ): MaybePromise<string>;
  /**
   * Claim up to `limit` of the destination's oldest entries that are unclaimed or whose lease has
   * expired, for `owner` until `nowMs + leaseMs`. Each entry is held by exactly one owner at a time.
   */
  claim(
    destination: string,
    owner: string,
    leaseMs: number,
    limit: number,
    nowMs: number,
    options?: ClaimOptions,
  ): MaybePromise<OutboxEntry[]>;
  /** Extend a lease still held by `owner`; false if it was lost (expired and taken, or acked). */
  renew(id: string, owner: string, leaseMs: number, nowMs: number): MaybePromise<boolean>;
  /** Delivered: remove the entry. Unknown ids are ignored (an entry may be acked twice). */
  ack(id: string): MaybePromise<void>;
  /** Permanent failure: move the entry to the dead-letter list. */
  fail(id: string, reason: string, nowMs: number): MaybePromise<void>;
  /** Give a claim back (transient failure) if still held by `owner`; it becomes claimable at once. */
  release(id: string, owner: string): MaybePromise<void>;
  /** Entries of the destination not yet acked or failed (claimed or not), in order. */
  pending(destination: string): MaybePromise<OutboxEntry[]>;
  /** How many entries `pending` would list (for status: no payloads read). */
  pendingCount(destination: string): MaybePromise<number>;
  /** Destinations that have pending entries. */
  listDestinations(): MaybePromise<string[]>;
  /** Dead letters, oldest first; all destinations when none is given. */
  deadLetters(destination?: string): MaybePromise<DeadLetter[]>;

  status(): StateStoreStatus;
  close(): Promise<void>;
}

/** Ready to accept: the store keeps what it is given (a readiness probe answers 503 otherwise). */
export function storeReadiness(status: StateStoreStatus): { ready: true } | { ready: false; reason: string } {
  if (!status.degraded) return { ready: true };
  return { ready: false, reason: status.degraded_reason ?? `state store ${status.location} degraded` };
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === "function";
}

/** Continue with `next` synchronously when `value` is synchronous, else after it resolves. */
// Not named `then`: a module exporting `then` becomes a thenable and breaks `await import()`.
export function andThen<T, U>(
  value: MaybePromise<T>,
  next: (resolved: T) => MaybePromise<U>,
): MaybePromise<U> {
  return isPromise(value) ? value.then(next) : next(value);
}

/** Current schema version of stored state, in every backend. */
export const STATE_SCHEMA_VERSION = 1;
