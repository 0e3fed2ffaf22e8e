// Keeps alerting when Redis is away: serves from local memory state while degraded (warning once,
// `degraded: true` in status), journals what happened locally, and pushes it back idempotently when
// Redis returns. While healthy it mirrors this instance's cooldowns, admissions and KV writes locally,
// so an outage does not make the instance forget what it already did.
import type { Logger } from "pino";
import { MemoryStateStore } from "./memory-store.ts";
import { applyRemoteOp, OutageJournal, type RemoteOp } from "./outage-journal.ts";
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

const LOCAL_ID_PREFIX = "local:";
const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|Connection is closed|Stream isn't writeable|enableOfflineQueue|MaxRetriesPerRequest|connect/i;

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
  /** What was done locally while degraded, pushed back on reconnect. */
  readonly #journal: OutageJournal;

  constructor(remote: RedisStateStore, options: { logger: Logger; instanceId: string }) {
    this.remote = remote;
    this.#logger = options.logger;
    this.#instanceId = options.instanceId;
    this.#local = new MemoryStateStore({ instanceId: options.instanceId, idPrefix: LOCAL_ID_PREFIX });
    this.#journal = new OutageJournal(this.#local, options.instanceId);
    remote.redis.on("error", (error: Error) => {
      this.#lastError = errorText(error);
    });
    remote.redis.on("ready", () => {
      if (this.#degraded) void this.reconcile();
    });
  }

  /** Connect; when Redis is unreachable the store starts degraded and reconciles once it appears. */
  async start(): Promise<void> {
    try {
      await this.remote.connect();
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
    this.#degradedSinceMs = this.#lastNowMs;
    this.#logger.warn(
      { state: this.remote.location, err: this.#lastError },
      "redis state store unreachable: serving local state until it returns",
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

  enqueue(destination: string, payload: JsonValue, nowMs: number, dedupe?: EnqueueDedupe): Promise<string> {
    // While degraded, keys dedupe only this instance's enqueues (the shared key space is away).
    return this.#route(
      nowMs,
      () => this.remote.enqueue(destination, payload, nowMs, dedupe),
      () => this.#local.enqueue(destination, payload, nowMs, dedupe),
    );
  }

  async claim(
    destination: string,
    owner: string,
    leaseMs: number,
    limit: number,
    nowMs: number,
    options?: ClaimOptions,
  ): Promise<OutboxEntry[]> {
    // Local entries (left from an outage) go first: they are the oldest this instance knows of.
    const local = this.#local.claim(destination, owner, leaseMs, limit, nowMs, options);
    const rest = limit - local.length;
    if (rest <= 0) return local;
    // In order, a local entry still held blocks the shared ones behind it.
    if (options?.inOrder && this.#local.pending(destination).some((e) => (e.leaseUntilMs ?? 0) > nowMs))
      return local;
    const remote = await this.#route(
      nowMs,
      () => this.remote.claim(destination, owner, leaseMs, rest, nowMs, options),
      () => [],
    );
    return [...local, ...remote];
  }

  renew(id: string, owner: string, leaseMs: number, nowMs: number): Promise<boolean> {
    if (isLocal(id)) return Promise.resolve(this.#local.renew(id, owner, leaseMs, nowMs));
    // While degraded the shared lease cannot be extended; delivery goes on (at-least-once).
    return this.#route(
      nowMs,
      () => this.remote.renew(id, owner, leaseMs, nowMs),
      () => true,
    );
  }

  ack(id: string): Promise<void> {
    return this.#outboxOp(id, { kind: "ack" });
  }

  fail(id: string, reason: string, nowMs: number): Promise<void> {
    return this.#outboxOp(id, { kind: "fail", reason, nowMs });
  }

  release(id: string, owner: string): Promise<void> {
    return this.#outboxOp(id, { kind: "release", owner });
  }

  /** Local ids are settled locally; shared ids on Redis, or journaled until it returns. */
  #outboxOp(id: string, op: RemoteOp): Promise<void> {
    if (isLocal(id)) {
      applyOp(this.#local, id, op);
      return Promise.resolve();
    }
    return this.#route(
      op.kind === "fail" ? op.nowMs : undefined,
      () => applyRemoteOp(this.remote, id, op),
      () => {
        this.#journal.remoteOp(id, op);
      },
    );
  }

  async pending(destination: string): Promise<OutboxEntry[]> {
    const remote = await this.#route(
      undefined,
      () => this.remote.pending(destination),
      () => [],
    );
    return [...this.#local.pending(destination), ...remote];
  }

  async listDestinations(): Promise<string[]> {
    const remote = await this.#route(
      undefined,
      () => this.remote.listDestinations(),
      () => [],
    );
    return [...new Set([...this.#local.listDestinations(), ...remote])].sort();
  }

  async deadLetters(destination?: string): Promise<DeadLetter[]> {
    const remote = await this.#route(
      undefined,
      () => this.remote.deadLetters(destination),
      () => [],
    );
    return [...remote, ...this.#local.deadLetters(destination)];
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
      // Repeat until a pass ends with nothing new journaled; the flip below is synchronous after it.
      do await this.#journal.push(this.remote, this.#lastNowMs);
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
      ...(this.#degradedSinceMs !== undefined ? { degraded_since_ms: this.#degradedSinceMs } : {}),
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

function isLocal(id: string): boolean {
  return id.startsWith(LOCAL_ID_PREFIX);
}

function isConnectionError(error: unknown, remote: RedisStateStore): boolean {
  if (remote.redis.status !== "ready") return true;
  return error instanceof Error && CONNECTION_ERROR.test(error.message);
}

function applyOp(store: MemoryStateStore, id: string, op: RemoteOp): void {
  if (op.kind === "ack") store.ack(id);
  else if (op.kind === "fail") store.fail(id, op.reason, op.nowMs);
  else store.release(id, op.owner);
}
