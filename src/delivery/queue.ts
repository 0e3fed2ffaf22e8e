// The delivery queue in front of every exporter: per destination FIFO, token-bucket rate limit,
// Retry-After on 429, exponential backoff on transient errors, permanent failures recorded once.
// A message stamped with its throttle window also waits until that window allows it (send-window.ts).
// With a shared outbox (the state store) each lane pulls instead: it claims the destination's oldest
// stored entry with a lease, renews the lease while the delivery retries, then acks or dead-letters it.
import { randomUUID } from "node:crypto";
import { stripSecrets } from "../secrets.ts";
import {
  deferred,
  deliveryTotals,
  type Entry,
  finishEntry,
  type Lane,
  lanePending,
  laneStatus,
  newLane,
} from "./lane.ts";
import { isSharedOutbox, MemoryOutbox, type Outbox, type OutboxRecord } from "./outbox.ts";
import type { DeliveryOutcome } from "./outcome.ts";
import type {
  DeliveryDestination,
  DeliveryMeta,
  DeliveryQueueOptions,
  DeliveryResult,
  DeliveryStatus,
  DeliveryTicket,
  FailureRecord,
  ShutdownReport,
} from "./queue-types.ts";
import { decideRetry, expiredUntried, retryDeadline } from "./retry.ts";
import { WindowGate } from "./send-window.ts";
import { SharedLanes } from "./shared-lanes.ts";
import { schedulerSleep, TokenBucket } from "./timing.ts";

export type * from "./queue-types.ts";

export class DeliveryQueue<P = unknown> {
  readonly #o: Required<Omit<DeliveryQueueOptions<P>, "outbox" | "sendLog">> & { outbox: Outbox<P> };
  /** Holds stamped messages until their throttle window allows them. */
  readonly #gate: WindowGate | undefined;
  /** Pull mode, when the outbox is shared (the state store). */
  readonly #shared: SharedLanes<P> | undefined;
  readonly #lanes = new Map<string, Lane<P>>();
  readonly #abort = new AbortController();
  #idleWaiters: Array<() => void> = [];

  constructor(options: DeliveryQueueOptions<P>) {
    this.#o = {
      ratePerSecond: 1,
      burst: 3,
      maxAttempts: 0,
      maxRetryTimeMs: 3_600_000,
      maxRetryAfterMs: 300_000,
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
      logAttempts: false,
      maxPending: 10_000,
      lastFailures: 10,
      random: Math.random,
      secrets: [],
      ...options,
      outbox: options.outbox ?? new MemoryOutbox<P>(),
    };
    const outbox = this.#o.outbox;
    this.#gate = options.sendLog && new WindowGate(options.sendLog, this.#o.scheduler, this.#o.logger);
    this.#shared = isSharedOutbox(outbox)
      ? new SharedLanes(outbox, {
          scheduler: this.#o.scheduler,
          logger: this.#o.logger,
          signal: this.#abort.signal,
          lane: (destination) => this.#lane(destination),
          lanes: () => this.#lanes.values(),
          kick: (lane) => this.#kick(lane),
          outboxError: (error) => this.#logOutboxError(error),
        })
      : undefined;
  }

  /** Queue one payload for a destination; delivery happens in the background, in order. */
  enqueue(destination: DeliveryDestination<P>, payload: P, meta: DeliveryMeta = {}): DeliveryTicket {
    const record: OutboxRecord<P> = {
      id: randomUUID(),
      destination: destination.key,
      payload,
      rule: meta.rule,
      enqueuedAt: this.#o.scheduler.now(),
      ...(meta.key !== undefined ? { dedupeKey: meta.key } : {}),
      ...(meta.window !== undefined ? { window: meta.window } : {}),
    };
    if (this.#shared) return this.#shared.enqueue(destination, record);
    return this.#add(destination, record, true);
  }

  /** Re-queue what a durable outbox still holds from a previous run. */
  async restore(resolve: (key: string) => DeliveryDestination<P> | undefined): Promise<number> {
    if (this.#shared) return this.#shared.restore(resolve);
    const records = await this.#o.outbox.pending();
    let restored = 0;
    for (const record of records) {
      const destination = resolve(record.destination);
      if (!destination) {
        await this.#o.outbox.onFailed(record.id, "destination no longer configured");
        continue;
      }
      this.#add(destination, record, false);
      restored++;
    }
    return restored;
  }

  #add(destination: DeliveryDestination<P>, record: OutboxRecord<P>, persist: boolean): DeliveryTicket {
    const lane = this.#lane(destination);
    const { promise: done, resolve } = deferred<DeliveryResult>();
    if (lane.entries.length >= this.#o.maxPending) {
      const reason = `queue full (${this.#o.maxPending} pending)`;
      this.#recordFailure(lane, record, reason, undefined, 0);
      resolve({ id: record.id, destination: destination.label, state: "failed", attempts: 0, reason });
      return { id: record.id, accepted: Promise.resolve(), done };
    }
    const accepted = persist ? this.#safeOutbox(() => this.#o.outbox.onEnqueue(record)) : Promise.resolve();
    lane.entries.push({ record, destination, accepted, attempts: 0, resolve });
    void this.#pump(lane);
    return { id: record.id, accepted, done };
  }

  #lane(destination: DeliveryDestination<P>): Lane<P> {
    let lane = this.#lanes.get(destination.key);
    if (!lane) {
      lane = newLane(
        destination,
        new TokenBucket(this.#o.ratePerSecond, this.#o.burst, this.#o.scheduler.now()),
      );
      this.#lanes.set(destination.key, lane);
    }
    return lane;
  }

  #kick(lane: Lane<P>): void {
    lane.wake = true;
    void this.#pump(lane);
  }

  async #pump(lane: Lane<P>): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      while (!this.#abort.signal.aborted) {
        if (lane.entries.length === 0 && !(await this.#shared?.claimInto(lane))) break;
        const entry = lane.entries[0] as Entry<P>;
        await entry.accepted;
        if (entry.lost) {
          this.#shared?.dropLost(lane, entry);
          continue;
        }
        if (entry.attempts === 0 && this.#expiredUntried(lane, entry)) continue;
        if (await this.#gate?.hold(lane.destination, entry.record, !!this.#shared && this.#abort.signal))
          continue;
        const wait = lane.bucket.tryTake(this.#o.scheduler.now());
        if (wait > 0) {
          await schedulerSleep(this.#o.scheduler, wait, this.#abort.signal);
          continue;
        }
        const startedAt = this.#o.scheduler.now();
        const outcome = await this.#attempt(lane, entry);
        if (outcome.ok) {
          await this.#gate?.sent(lane.destination, entry.record);
          finishEntry(lane, entry);
          lane.delivered++;
          lane.failingSince = undefined;
          await this.#safeOutbox(() => this.#o.outbox.onDelivered(entry.record.id));
          entry.resolve(this.#result(entry, "delivered", outcome.status));
          continue;
        }
        const reason = this.#clean(outcome.reason);
        if (outcome.kind === "permanent") {
          this.#fail(lane, entry, reason, outcome.status);
          continue;
        }
        lane.failingSince ??= startedAt;
        lane.lastError = reason;
        const now = this.#o.scheduler.now();
        const deadline = retryDeadline(this.#o, entry.record.enqueuedAt, lane.failingSince);
        const decision = decideRetry(this.#o, outcome, reason, entry.attempts, deadline, now);
        if (!decision.retry) {
          this.#fail(lane, entry, decision.reason, outcome.status);
          continue;
        }
        lane.retried++;
        if (decision.cappedRetryAfterMs !== undefined)
          this.#o.logger.warn(
            {
              destination: lane.destination.label,
              retry_after_s: decision.cappedRetryAfterMs / 1000,
              max_retry_after_s: this.#o.maxRetryAfterMs / 1000,
            },
            "Retry-After longer than max_retry_after: waiting max_retry_after",
          );
        if (outcome.kind === "rate_limited") {
          lane.rateLimited++;
          lane.bucket.restartAt(now + decision.delayMs);
        }
        await schedulerSleep(this.#o.scheduler, decision.delayMs, this.#abort.signal);
      }
    } finally {
      lane.running = false;
      this.#notifyIfIdle();
    }
  }

  async #attempt(lane: Lane<P>, entry: Entry<P>): Promise<DeliveryOutcome> {
    const startedAt = this.#o.scheduler.now();
    entry.attempts++;
    lane.inFlight++;
    entry.sending = true;
    let outcome: DeliveryOutcome;
    try {
      outcome = await lane.destination.send(entry.record.payload, entry.attempts);
    } catch (error) {
      outcome = {
        ok: false,
        kind: "transient",
        reason: error instanceof Error ? error.message : String(error),
      };
    } finally {
      lane.inFlight--;
      entry.sending = false;
    }
    const line = {
      destination: lane.destination.label,
      rule: entry.record.rule,
      attempt: entry.attempts,
      status: outcome.status ?? (outcome.ok ? "ok" : "error"),
      outcome: outcome.ok ? "delivered" : outcome.kind,
      reason: outcome.ok ? undefined : this.#clean(outcome.reason),
      latency_ms: this.#o.scheduler.now() - startedAt,
    };
    if (this.#o.logAttempts) this.#o.logger.info(line, "delivery attempt");
    else this.#o.logger.debug(line, "delivery attempt");
    return outcome;
  }

  /** An untried entry whose retry time ran out while it waited behind others: failed now, unsent. */
  #expiredUntried(lane: Lane<P>, entry: Entry<P>): boolean {
    const since = lane.failingSince;
    if (since === undefined) return false;
    const now = this.#o.scheduler.now();
    const deadline = retryDeadline(this.#o, entry.record.enqueuedAt, since);
    const reason = expiredUntried(this.#o, deadline, now, since, lane.lastError ?? "unknown");
    if (reason === undefined) return false;
    this.#fail(lane, entry, reason, undefined);
    return true;
  }

  #fail(lane: Lane<P>, entry: Entry<P>, reason: string, status: number | undefined): void {
    finishEntry(lane, entry);
    this.#recordFailure(lane, entry.record, reason, status, entry.attempts);
    void this.#safeOutbox(() => this.#o.outbox.onFailed(entry.record.id, reason));
    entry.resolve(this.#result(entry, "failed", status, reason));
  }

  #recordFailure(
    lane: Lane<P>,
    record: OutboxRecord<P>,
    reason: string,
    status: number | undefined,
    attempts: number,
  ): void {
    lane.failed++;
    const failure: FailureRecord = {
      rule: record.rule,
      reason,
      status,
      attempts,
      time: new Date(this.#o.scheduler.now()).toISOString(),
    };
    lane.lastFailures.push(failure);
    if (lane.lastFailures.length > this.#o.lastFailures) lane.lastFailures.shift();
    this.#o.logger.error({ destination: lane.destination.label, ...failure }, "delivery failed permanently");
  }

  #result(entry: Entry<P>, state: DeliveryResult["state"], status?: number, reason?: string): DeliveryResult {
    return {
      id: entry.record.id,
      destination: entry.destination.label,
      state,
      attempts: entry.attempts,
      status,
      reason,
    };
  }

  #clean(reason: string): string {
    return stripSecrets(reason, this.#o.secrets);
  }

  async #safeOutbox(call: () => unknown): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.#logOutboxError(error);
    }
  }

  #logOutboxError(error: unknown): void {
    const reason = this.#clean(error instanceof Error ? error.message : String(error));
    this.#o.logger.error({ reason }, "delivery outbox error");
  }

  /** Entries this queue still has to settle (shared outbox: held or awaiting the store's answer). */
  get pending(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lanePending(lane);
    return n;
  }

  /** Requests currently on the wire (tests drive virtual time only while this is 0). */
  get inFlight(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.inFlight;
    return n;
  }

  /** Resolves when nothing is pending. */
  whenIdle(): Promise<void> {
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #idle(): boolean {
    return this.pending === 0 && [...this.#lanes.values()].every((lane) => !lane.running);
  }

  #notifyIfIdle(): void {
    if (!this.#idle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  status(): DeliveryStatus {
    const shared = this.#shared !== undefined;
    const destinations = [...this.#lanes.values()].map((lane) =>
      laneStatus(lane, shared, this.#shared?.pending(lane)),
    );
    return {
      ...deliveryTotals(destinations),
      destinations,
      max_pending: this.#o.maxPending,
      max_retry_time_seconds: this.#o.maxRetryTimeMs / 1000,
      ...(shared ? { outbox: "state" as const } : {}),
    };
  }

  /** Drain for up to `deadlineMs` (scheduler time), then stop; what is left stays in the outbox. */
  async shutdown(deadlineMs: number): Promise<ShutdownReport> {
    if (!this.#shared) this.#gate?.lift();
    if (!this.#idle()) {
      const timeout = new AbortController();
      await Promise.race([this.whenIdle(), schedulerSleep(this.#o.scheduler, deadlineMs, timeout.signal)]);
      timeout.abort();
    }
    this.#abort.abort();
    const left: Array<{ destination: string; pending: number }> = [];
    for (const lane of this.#lanes.values()) {
      const count = lanePending(lane);
      if (count === 0) continue;
      left.push({ destination: lane.destination.label, pending: count });
      for (const entry of lane.entries) {
        entry.finished = true;
        entry.renewal?.unsubscribe();
        // Given back so a restart or another instance sends it at once; one on the wire keeps its
        // lease until it runs out (it may be sent twice: at-least-once).
        if (!entry.sending) this.#shared?.release(entry);
        entry.resolve(this.#result(entry, "pending"));
      }
      for (const [id, ticket] of lane.tickets) {
        ticket.resolve({ id, destination: lane.destination.label, state: "pending", attempts: 0 });
      }
      lane.tickets.clear();
      // Kept in the store they are resent on restart; without one, this line is their only record.
      this.#o.logger.warn(
        {
          destination: lane.destination.label,
          pending: count,
          kept: this.#shared !== undefined,
          rules: lane.entries.map((e) => e.record.rule ?? "?"),
        },
        this.#shared
          ? "deliveries still pending at shutdown: kept in the state store for the next start"
          : "deliveries still pending at shutdown are lost (memory state): use a durable ALERTPIPE_STATE",
      );
    }
    return { pending: left.reduce((n, l) => n + l.pending, 0), left };
  }
}
