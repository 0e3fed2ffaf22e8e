// The delivery queue in front of every exporter: per destination FIFO, token-bucket rate limit,
// Retry-After on 429, exponential backoff on transient errors, permanent failures recorded once.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import { MemoryOutbox, type Outbox, type OutboxRecord } from "./outbox.ts";
import type { DeliveryOutcome } from "./outcome.ts";
import { stripSecrets } from "./redact.ts";
import { backoffDelay, schedulerSleep, TokenBucket } from "./timing.ts";

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
  /** Time since the first attempt before giving up, ms (0 = no limit). */
  readonly maxRetryTimeMs?: number;
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
}

export interface DeliveryMeta {
  /** Rule name (or item kind) shown in failure records. */
  readonly rule?: string;
}

export interface DeliveryResult {
  readonly id: string;
  readonly destination: string;
  readonly state: "delivered" | "failed" | "pending";
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
  readonly pending: number;
  readonly in_flight: number;
  readonly delivered: number;
  readonly retried: number;
  readonly rate_limited: number;
  readonly failed: number;
  readonly last_failures: readonly FailureRecord[];
}

export interface DeliveryStatus {
  readonly pending: number;
  readonly delivered: number;
  readonly retried: number;
  readonly failed: number;
  readonly destinations: readonly DestinationStatus[];
}

export interface ShutdownReport {
  /** Entries not delivered by the deadline; they stay in the outbox. */
  readonly pending: number;
  readonly left: ReadonlyArray<{ destination: string; pending: number }>;
}

interface Entry<P> {
  readonly record: OutboxRecord<P>;
  readonly destination: DeliveryDestination<P>;
  readonly accepted: Promise<void>;
  attempts: number;
  firstAttemptAt?: number;
  resolve(result: DeliveryResult): void;
}

interface Lane<P> {
  readonly destination: DeliveryDestination<P>;
  readonly entries: Entry<P>[];
  readonly bucket: TokenBucket;
  running: boolean;
  inFlight: number;
  delivered: number;
  retried: number;
  rateLimited: number;
  failed: number;
  readonly lastFailures: FailureRecord[];
}

export class DeliveryQueue<P = unknown> {
  readonly #o: Required<Omit<DeliveryQueueOptions<P>, "outbox">> & { outbox: Outbox<P> };
  readonly #lanes = new Map<string, Lane<P>>();
  readonly #abort = new AbortController();
  #idleWaiters: Array<() => void> = [];

  constructor(options: DeliveryQueueOptions<P>) {
    this.#o = {
      ratePerSecond: 1,
      burst: 3,
      maxAttempts: 0,
      maxRetryTimeMs: 3_600_000,
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
  }

  /** Queue one payload for a destination; delivery happens in the background, in order. */
  enqueue(destination: DeliveryDestination<P>, payload: P, meta: DeliveryMeta = {}): DeliveryTicket {
    const record: OutboxRecord<P> = {
      id: randomUUID(),
      destination: destination.key,
      payload,
      rule: meta.rule,
      enqueuedAt: this.#o.scheduler.now(),
    };
    return this.#add(destination, record, true);
  }

  /** Re-queue what a durable outbox still holds from a previous run. */
  async restore(resolve: (key: string) => DeliveryDestination<P> | undefined): Promise<number> {
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
    let resolve!: (r: DeliveryResult) => void;
    const done = new Promise<DeliveryResult>((r) => {
      resolve = r;
    });
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
      lane = {
        destination,
        entries: [],
        bucket: new TokenBucket(this.#o.ratePerSecond, this.#o.burst, this.#o.scheduler.now()),
        running: false,
        inFlight: 0,
        delivered: 0,
        retried: 0,
        rateLimited: 0,
        failed: 0,
        lastFailures: [],
      };
      this.#lanes.set(destination.key, lane);
    }
    return lane;
  }

  async #pump(lane: Lane<P>): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      while (lane.entries.length > 0 && !this.#abort.signal.aborted) {
        const entry = lane.entries[0] as Entry<P>;
        await entry.accepted;
        const wait = lane.bucket.tryTake(this.#o.scheduler.now());
        if (wait > 0) {
          await schedulerSleep(this.#o.scheduler, wait, this.#abort.signal);
          continue;
        }
        const outcome = await this.#attempt(lane, entry);
        if (outcome.ok) {
          lane.entries.shift();
          lane.delivered++;
          await this.#safeOutbox(() => this.#o.outbox.onDelivered(entry.record.id));
          entry.resolve(this.#result(entry, "delivered", outcome.status));
          continue;
        }
        const reason = this.#clean(outcome.reason);
        if (outcome.kind === "permanent") {
          this.#fail(lane, entry, reason, outcome.status);
          continue;
        }
        const now = this.#o.scheduler.now();
        const outOfAttempts = this.#o.maxAttempts > 0 && entry.attempts >= this.#o.maxAttempts;
        const outOfTime =
          this.#o.maxRetryTimeMs > 0 && now - (entry.firstAttemptAt ?? now) >= this.#o.maxRetryTimeMs;
        if (outOfAttempts || outOfTime) {
          this.#fail(lane, entry, `gave up after ${entry.attempts} attempts: ${reason}`, outcome.status);
          continue;
        }
        lane.retried++;
        let delay = backoffDelay(entry.attempts, {
          initialMs: this.#o.initialBackoffMs,
          maxMs: this.#o.maxBackoffMs,
          random: this.#o.random,
        });
        if (outcome.kind === "rate_limited") {
          lane.rateLimited++;
          lane.bucket.drain(now);
          if (outcome.retryAfterMs !== undefined) delay = outcome.retryAfterMs;
        }
        await schedulerSleep(this.#o.scheduler, delay, this.#abort.signal);
      }
    } finally {
      lane.running = false;
      this.#notifyIfIdle();
    }
  }

  async #attempt(lane: Lane<P>, entry: Entry<P>): Promise<DeliveryOutcome> {
    const startedAt = this.#o.scheduler.now();
    entry.attempts++;
    entry.firstAttemptAt ??= startedAt;
    lane.inFlight++;
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

  #fail(lane: Lane<P>, entry: Entry<P>, reason: string, status: number | undefined): void {
    lane.entries.shift();
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

  async #safeOutbox(call: () => void | Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      const reason = this.#clean(error instanceof Error ? error.message : String(error));
      this.#o.logger.error({ reason }, "delivery outbox error");
    }
  }

  get pending(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.entries.length;
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
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #notifyIfIdle(): void {
    if (this.pending > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  status(): DeliveryStatus {
    const destinations: DestinationStatus[] = [...this.#lanes.values()].map((lane) => ({
      destination: lane.destination.label,
      pending: lane.entries.length,
      in_flight: lane.inFlight,
      delivered: lane.delivered,
      retried: lane.retried,
      rate_limited: lane.rateLimited,
      failed: lane.failed,
      last_failures: [...lane.lastFailures],
    }));
    const sum = (key: "pending" | "delivered" | "retried" | "failed") =>
      destinations.reduce((n, d) => n + d[key], 0);
    return {
      pending: sum("pending"),
      delivered: sum("delivered"),
      retried: sum("retried"),
      failed: sum("failed"),
      destinations,
    };
  }

  /** Drain for up to `deadlineMs` (scheduler time), then stop; what is left stays in the outbox. */
  async shutdown(deadlineMs: number): Promise<ShutdownReport> {
    if (this.pending > 0) {
      const timeout = new AbortController();
      await Promise.race([this.whenIdle(), schedulerSleep(this.#o.scheduler, deadlineMs, timeout.signal)]);
      timeout.abort();
    }
    this.#abort.abort();
    const left: Array<{ destination: string; pending: number }> = [];
    for (const lane of this.#lanes.values()) {
      if (lane.entries.length === 0) continue;
      left.push({ destination: lane.destination.label, pending: lane.entries.length });
      for (const entry of lane.entries) entry.resolve(this.#result(entry, "pending"));
      this.#o.logger.warn(
        { destination: lane.destination.label, pending: lane.entries.length },
        "deliveries still pending at shutdown",
      );
    }
    return { pending: left.reduce((n, l) => n + l.pending, 0), left };
  }
}
