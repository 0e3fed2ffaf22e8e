// Keeps alerting when Redis is away: serves from local memory state while degraded (warning once,
// `degraded: true` in status), journals what happened locally, and pushes it back idempotently when
// Redis returns. While healthy it mirrors this instance's cooldowns, admissions, KV writes and
// unsettled outbox entries locally, so an outage, or a Redis that returns empty, does not make the
// instance forget what it already did.
import type { Logger } from "pino";
import { FallbackOutbox, LOCAL_ID_PREFIX } from "./fallback-outbox.ts";
import { MemoryStateStore } from "./memory-store.ts";
import { OutageJournal } from "./outage-journal.ts";
import { isResetError } from "./redis-outbox.ts";
import type { RedisStateStore } from "./redis-store.ts";
import type {
  ClaimOptions,
  DeadLetter,
  EnqueueDedupe,
  JsonValue,
  KeyValueEntry,
  OutboxEntry,
  SetOptions,
  StateStore,
  StateStoreStatus,
} from "./store.ts";

const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|Connection is closed|Stream isn't writeable|enableOfflineQueue|MaxRetriesPerRequest|connect/i;

export interface FallbackStoreOptions {
  readonly logger: Logger;
  readonly instanceId: string;
  /** The pipeline's clock (scheduler.now), for `degraded_since_ms`. */
  readonly now?: () => number;
}

export class FallbackStore implements StateStore {
  readonly backend = "redis" as const;
  readonly remote: RedisStateStore;
  readonly #local: MemoryStateStore;
  readonly #logger: Logger;
  readonly #instanceId: string;
  #degraded = false;
  #degradedSinceMs: number | undefined;
  #lastError: string | undefined;
  #reconciliations = 0;
  #reconciling: Promise<void> | undefined;
  #closed = false;
  #lastNowMs = 0;
  /** Connected once: a later close may hide a Redis that lost its data. */
  #connected = false;
  readonly #now: () => number;
  /** What was done locally while degraded, pushed back on reconnect. */
  readonly #journal: OutageJournal;
  readonly #outbox: FallbackOutbox;

  constructor(remote: RedisStateStore, options: FallbackStoreOptions) {
    this.remote = remote;
    this.#logger = options.logger;
    this.#instanceId = options.instanceId;
    this.#now = options.now ?? Date.now;
    this.#local = new MemoryStateStore({ instanceId: options.instanceId, idPrefix: LOCAL_ID_PREFIX });
    this.#journal = new OutageJournal(this.#local, options.instanceId);
    this.#outbox = new FallbackOutbox(remote.outbox, this.#local, this.#journal, (nowMs, onRemote, onLocal) =>
      this.#route(nowMs, onRemote, onLocal),
    );
    remote.redis.on("error", (error: Error) => {
      this.#lastError = errorText(error);
    });
    // A dropped connection may come back to a Redis that lost its data: check before trusting it.
    remote.redis.on("close", () => {
      if (!this.#closed && this.#connected) this.#degrade(new Error("redis connection closed"));
    });
    remote.redis.on("ready", () => {
      if (this.#degraded) void this.reconcile();
    });
  }

  /** Connect; when Redis is unreachable the store starts degraded and reconciles once it appears. */
  async start(): Promise<void> {
    try {
      await this.remote.connect();
      this.#connected = true;
    } catch (error) {
      if (!isConnectionError(error, this.remote)) throw error;
      this.#degrade(error);
    }
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  /** Run on Redis unless degraded; on a connection error degrade and answer locally. */
  async #route<T>(nowMs: number | undefined, remote: () => Promise<T>, local: () => T): Promise<T> {
    if (nowMs !== undefined && nowMs > this.#lastNowMs) this.#lastNowMs = nowMs;
    if (!this.#degraded) {
      try {
        return await remote();
      } catch (error) {
        if (!isConnectionError(error, this.remote)) throw error;
        this.#degrade(error);
      }
    }
    return local();
  }

  #degrade(error: unknown): void {
    this.#lastError = errorText(error);
    if (this.#degraded) return;
    this.#degraded = true;
    this.#degradedSinceMs = this.#now();
    this.#logger.warn(
      { state: this.remote.location, err: this.#lastError },
      isResetError(error)
        ? "redis lost the state this instance knew: serving local state until it is restored"
        : "redis state store unreachable: serving local state until it returns",
    );
    // The error may have been transient and the client already ready again: no 'ready' will follow.
    if (this.remote.redis.status === "ready") void this.reconcile();
  }

  get(namespace: string, key: string, nowMs: number): Promise<JsonValue | undefined> {
    return this.#route(
      nowMs,
      () => this.remote.get(namespace, key, nowMs),
      () => this.#local.get(namespace, key, nowMs),
    );
  }

  set(namespace: string, key: string, value: JsonValue, options?: SetOptions): Promise<void> {
    this.#local.set(namespace, key, value, options);
    return this.#route(
      options?.nowMs,
      () => this.remote.set(namespace, key, value, options),
      () => this.#markKv(namespace, key),
    );
  }

  delete(namespace: string, key: string): Promise<void> {
    this.#local.delete(namespace, key);
    return this.#route(
      undefined,
      () => this.remote.delete(namespace, key),
      () => this.#markKv(namespace, key),
    );
  }

  #markKv(namespace: string, key: string): void {
    this.#journal.keyValue(namespace, key);
  }

  list(namespace: string, nowMs: number): Promise<KeyValueEntry[]> {
    return this.#route(
      nowMs,
      () => this.remote.list(namespace, nowMs),
      () => this.#local.list(namespace, nowMs),
    );
  }

  tryAcquireCooldown(fingerprint: string, untilMs: number, nowMs: number): Promise<boolean> {
    return this.#route(
      nowMs,
      async () => {
        const acquired = await this.remote.tryAcquireCooldown(fingerprint, untilMs, nowMs);
        if (acquired) this.#local.raiseCooldown(fingerprint, untilMs);
        return acquired;
      },
      () => {
        const acquired = this.#local.tryAcquireCooldown(fingerprint, untilMs, nowMs);
        if (acquired) this.#journal.cooldown(fingerprint, untilMs);
        return acquired;
      },
    );
  }

  getCooldown(fingerprint: string, nowMs: number): Promise<number | undefined> {
    return this.#route(
      nowMs,
      () => this.remote.getCooldown(fingerprint, nowMs),
      () => this.#local.getCooldown(fingerprint, nowMs),
    );
  }

  clearCooldown(fingerprint: string): Promise<void> {
    this.#local.clearCooldown(fingerprint);
    this.#journal.clearCooldown(fingerprint);
    // A clear made while degraded is not pushed: the shared deadline expires by itself.
    return this.#route(
      undefined,
      () => this.remote.clearCooldown(fingerprint),
      () => undefined,
    );
  }

  throttleAdmit(route: string, nowMs: number, windowMs: number, max: number, id: string): Promise<boolean> {
    return this.#route(
      nowMs,
      async () => {
        const admitted = await this.remote.throttleAdmit(route, nowMs, windowMs, max, id);
        if (admitted) this.#local.recordAdmission(route, id, nowMs, windowMs);
        return admitted;
      },
      () => {
        const admitted = this.#local.throttleAdmit(route, nowMs, windowMs, max, id);
        if (admitted) this.#journal.admission(route, id, nowMs, windowMs);
        return admitted;
      },
    );
  }

  throttleWindow(route: string, nowMs: number, windowMs: number): Promise<number[]> {
    return this.#route(
      nowMs,
      () => this.remote.throttleWindow(route, nowMs, windowMs),
      () => this.#local.throttleWindow(route, nowMs, windowMs),
    );
  }

  // --- Outbox: see FallbackOutbox.
  enqueue(destination: string, payload: JsonValue, nowMs: number, dedupe?: EnqueueDedupe): Promise<string> {
    return this.#outbox.enqueue(destination, payload, nowMs, dedupe);
  }

  claim(
    destination: string,
    owner: string,
    leaseMs: number,
    limit: number,
    nowMs: number,
    options?: ClaimOptions,
  ): Promise<OutboxEntry[]> {
    return this.#outbox.claim(destination, owner, leaseMs, limit, nowMs, options);
  }

  renew(id: string, owner: string, leaseMs: number, nowMs: number): Promise<boolean> {
    return this.#outbox.renew(id, owner, leaseMs, nowMs);
  }

  ack(id: string): Promise<void> {
    return this.#outbox.settle(id, { kind: "ack" });
  }

  fail(id: string, reason: string, nowMs: number): Promise<void> {
    return this.#outbox.settle(id, { kind: "fail", reason, nowMs });
  }

  release(id: string, owner: string): Promise<void> {
    return this.#outbox.settle(id, { kind: "release", owner });
  }

  pending(destination: string): Promise<OutboxEntry[]> {
    return this.#outbox.pending(destination);
  }

  pendingCount(destination: string): Promise<number> {
    return this.#outbox.pendingCount(destination);
  }

  listDestinations(): Promise<string[]> {
    return this.#outbox.listDestinations(this.#lastNowMs);
  }

  deadLetters(destination?: string): Promise<DeadLetter[]> {
    return this.#outbox.deadLetters(destination);
  }

  /** Push everything done locally to Redis, then leave degraded mode. Safe to call repeatedly. */
  reconcile(): Promise<void> {
    this.#reconciling ??= this.#runReconcile().finally(() => {
      this.#reconciling = undefined;
    });
    return this.#reconciling;
  }

  async #runReconcile(): Promise<void> {
    try {
      await this.remote.init();
      this.#connected = true;
      // Outbox first: entries of an earlier epoch were lost with Redis' data (a no-op otherwise).
      const reenqueued = await this.#outbox.mirror.reenqueue(this.remote.outbox, this.#lastNowMs);
      if (reenqueued > 0) {
        this.#logger.warn(
          { state: this.remote.location, reenqueued },
          "redis came back without its data: outbox entries this instance knew were enqueued again",
        );
      }
      // Repeat until a pass ends with nothing new journaled; the flip below is synchronous after it.
      do await this.#journal.push(this.remote, this.#outbox.mirror, this.#lastNowMs);
      while (this.#journal.hasWork());
      this.#degraded = false;
      this.#degradedSinceMs = undefined;
      this.#reconciliations++;
      this.#logger.info({ state: this.remote.location }, "redis state store back: local state reconciled");
    } catch (error) {
      this.#lastError = errorText(error);
      this.#logger.warn(
        { err: this.#lastError },
        "redis state reconciliation failed; staying on local state",
      );
    }
  }

  status(): StateStoreStatus {
    const remote = this.remote.status();
    const status: StateStoreStatus = {
      backend: "redis",
      degraded: this.#degraded,
      schema_version: remote.schema_version,
      location: this.remote.location,
      instance_id: this.#instanceId,
      dead_letters: remote.dead_letters + this.#local.deadLetters().length,
      reconciliations: this.#reconciliations,
    };
    return {
      ...status,
      ...(this.#degradedSinceMs !== undefined
        ? {
            degraded_since_ms: this.#degradedSinceMs,
            degraded_reason: `redis at ${this.remote.location} unavailable (${this.#lastError ?? "unknown"}): serving local state`,
          }
        : {}),
      ...(this.#lastError !== undefined ? { last_error: this.#lastError } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#reconciling;
    await this.remote.close();
    await this.#local.close();
  }
}

/** An error's message with any URL credentials removed. */
function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/[^/@\s]*@/g, "//");
}

function isConnectionError(error: unknown, remote: RedisStateStore): boolean {
  if (remote.redis.status !== "ready" || isResetError(error)) return true;
  return error instanceof Error && CONNECTION_ERROR.test(error.message);
}
