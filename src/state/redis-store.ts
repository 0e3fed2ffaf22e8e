// The `redis://` backend for many instances: cooldowns, the throttle window and outbox claims are
// Lua scripts (atomic on the server). Errors propagate; FallbackStore turns outages into local state.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { RedisOutbox } from "./redis-outbox.ts";
import * as lua from "./redis-scripts.ts";
import { ScriptRunner } from "./redis-scripts.ts";
import {
  type ClaimOptions,
  type DeadLetter,
  type EnqueueDedupe,
  type JsonValue,
  type KeyValueEntry,
  type OutboxEntry,
  type SetOptions,
  STATE_SCHEMA_VERSION,
  type StateStore,
  type StateStoreStatus,
} from "./store.ts";

export interface RedisStateStoreOptions {
  /** redis://[user:password@]host:port/db[?prefix=name] */
  readonly url: string;
  readonly instanceId?: string;
  /** Prefix of every key; overrides `?prefix=` of the URL. Default "alertpipe:". */
  readonly keyPrefix?: string;
  readonly connectTimeoutMs?: number;
}

interface KvEnvelope {
  v: JsonValue;
  e?: number;
}

import { redactRedisUrl } from "./redis-url.ts";

export { redactRedisUrl };

export class RedisStateStore implements StateStore {
  readonly backend = "redis" as const;
  readonly redis: Redis;
  readonly prefix: string;
  readonly location: string;
  readonly #instanceId: string;
  readonly outbox: RedisOutbox;
  readonly #scripts: ScriptRunner;

  constructor(options: RedisStateStoreOptions) {
    const url = new URL(options.url);
    this.prefix = options.keyPrefix ?? url.searchParams.get("prefix") ?? "alertpipe:";
    url.searchParams.delete("prefix");
    this.location = redactRedisUrl(url.toString());
    this.#instanceId = options.instanceId ?? "local";
    // Fail fast instead of queueing: while Redis is away the FallbackStore serves local state.
    this.redis = new Redis(url.toString(), {
      lazyConnect: true,
      enableOfflineQueue: false,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * times, 2000),
    });
    this.#scripts = new ScriptRunner(this.redis);
    this.outbox = new RedisOutbox(this.#scripts, this.redis, this.prefix);
  }

  /** Connect (once) and check or record the schema version. */
  async connect(): Promise<void> {
    if (this.redis.status === "wait") await this.redis.connect();
    await this.init();
  }

  /**
   * Schema check: refuses data written by a newer alertpipe; migrations go here when v2 exists.
   * Reads the epoch, which is new when Redis lost its data (ids of earlier ones are then stale).
   */
  async init(): Promise<void> {
    const meta = `${this.prefix}meta`;
    await this.redis.hsetnx(meta, "schema_version", String(STATE_SCHEMA_VERSION));
    await this.redis.hsetnx(meta, "epoch", randomBytes(4).toString("hex"));
    const [stored, epoch] = await this.redis.hmget(meta, "schema_version", "epoch");
    if (Number(stored) > STATE_SCHEMA_VERSION) {
      throw new Error(
        `redis state at ${this.location} has schema_version ${stored}, newer than this alertpipe ` +
          `supports (${STATE_SCHEMA_VERSION})`,
      );
    }
    this.outbox.epoch = epoch ?? undefined;
    this.outbox.deadLetterCount = await this.redis.llen(`${this.prefix}ob:dead`);
  }

  #kvKey(namespace: string): string {
    return `${this.prefix}kv:${namespace}`;
  }

  async get(namespace: string, key: string, nowMs: number): Promise<JsonValue | undefined> {
    const raw = await this.redis.hget(this.#kvKey(namespace), key);
    if (raw === null) return undefined;
    const envelope = JSON.parse(raw) as KvEnvelope;
    return envelope.e !== undefined && envelope.e <= nowMs ? undefined : envelope.v;
  }

  async set(namespace: string, key: string, value: JsonValue, options?: SetOptions): Promise<void> {
    await this.setEntry(
      namespace,
      options ? { key, value, expiresAtMs: options.nowMs + options.ttlMs } : { key, value },
    );
  }

  /** Write an entry with its absolute expiry (reconciliation). */
  async setEntry(namespace: string, entry: KeyValueEntry): Promise<void> {
    const envelope: KvEnvelope = { v: entry.value };
    if (entry.expiresAtMs !== undefined) envelope.e = entry.expiresAtMs;
    await this.redis.hset(this.#kvKey(namespace), entry.key, JSON.stringify(envelope));
  }

  async delete(namespace: string, key: string): Promise<void> {
    await this.redis.hdel(this.#kvKey(namespace), key);
  }

  async list(namespace: string, nowMs: number): Promise<KeyValueEntry[]> {
    const flat = (await this.#scripts.run(
      lua.KV_LIST,
      [this.#kvKey(namespace)],
      [String(nowMs)],
    )) as string[];
    const out: KeyValueEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const envelope = JSON.parse(flat[i + 1] as string) as KvEnvelope;
      const key = flat[i] as string;
      out.push(
        envelope.e === undefined
          ? { key, value: envelope.v }
          : { key, value: envelope.v, expiresAtMs: envelope.e },
      );
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  #cooldownKey(fingerprint: string): string {
    return `${this.prefix}cd:${fingerprint}`;
  }

  async tryAcquireCooldown(fingerprint: string, untilMs: number, nowMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(untilMs - nowMs));
    const acquired = await this.#scripts.run(
      lua.COOLDOWN_ACQUIRE,
      [this.#cooldownKey(fingerprint)],
      [String(untilMs), String(nowMs), String(ttl)],
    );
    return acquired === 1;
  }

  /** Raise a cooldown to `untilMs` unless a later one is set (reconciliation: idempotent). */
  async raiseCooldown(fingerprint: string, untilMs: number, nowMs: number): Promise<void> {
    if (untilMs <= nowMs) return;
    const ttl = Math.max(1, Math.ceil(untilMs - nowMs));
    await this.#scripts.run(
      lua.COOLDOWN_RAISE,
      [this.#cooldownKey(fingerprint)],
      [String(untilMs), String(ttl)],
    );
  }

  async getCooldown(fingerprint: string, nowMs: number): Promise<number | undefined> {
    const raw = await this.redis.get(this.#cooldownKey(fingerprint));
    const until = raw === null ? undefined : Number(raw);
    return until !== undefined && until > nowMs ? until : undefined;
  }

  async clearCooldown(fingerprint: string): Promise<void> {
    await this.redis.del(this.#cooldownKey(fingerprint));
  }

  #throttleKey(route: string): string {
    return `${this.prefix}thr:${route}`;
  }

  async throttleAdmit(
    route: string,
    nowMs: number,
    windowMs: number,
    max: number,
    id: string,
  ): Promise<boolean> {
    const admitted = await this.#scripts.run(
      lua.THROTTLE_ADMIT,
      [this.#throttleKey(route)],
      [String(nowMs - windowMs), String(nowMs), String(max), id, String(Math.max(1, Math.ceil(windowMs)))],
    );
    return admitted === 1;
  }

  /** Record an admission made while Redis was away (idempotent on id). */
  async importAdmission(route: string, id: string, atMs: number, windowMs: number): Promise<void> {
    await this.#scripts.run(
      lua.THROTTLE_IMPORT,
      [this.#throttleKey(route)],
      [String(atMs), id, String(Math.max(1, Math.ceil(windowMs)))],
    );
  }

  async throttleWindow(route: string, nowMs: number, windowMs: number): Promise<number[]> {
    const scores = await this.redis.zrangebyscore(
      this.#throttleKey(route),
      `(${nowMs - windowMs}`,
      "+inf",
      "WITHSCORES",
    );
    return scores.filter((_, index) => index % 2 === 1).map(Number);
  }

  // --- Outbox: see RedisOutbox.
  enqueue(destination: string, payload: JsonValue, nowMs: number, dedupe?: EnqueueDedupe): Promise<string> {
    return this.outbox.enqueue(destination, payload, nowMs, dedupe);
  }

  claim(
    destination: string,
    owner: string,
    leaseMs: number,
    limit: number,
    nowMs: number,
    options?: ClaimOptions,
  ): Promise<OutboxEntry[]> {
    return this.outbox.claim(destination, owner, leaseMs, limit, nowMs, options);
  }

  renew(id: string, owner: string, leaseMs: number, nowMs: number): Promise<boolean> {
    return this.outbox.renew(id, owner, leaseMs, nowMs);
  }

  ack(id: string): Promise<void> {
    return this.outbox.ack(id);
  }

  async fail(id: string, reason: string, nowMs: number): Promise<void> {
    await this.outbox.failEntry(id, reason, nowMs);
  }

  release(id: string, owner: string): Promise<void> {
    return this.outbox.release(id, owner);
  }

  pending(destination: string): Promise<OutboxEntry[]> {
    return this.outbox.pending(destination);
  }

  pendingCount(destination: string): Promise<number> {
    return this.outbox.pendingCount(destination);
  }

  listDestinations(): Promise<string[]> {
    return this.outbox.listDestinations();
  }

  deadLetters(destination?: string): Promise<DeadLetter[]> {
    return this.outbox.deadLetters(destination);
  }

  status(): StateStoreStatus {
    return {
      backend: "redis",
      degraded: this.redis.status !== "ready",
      schema_version: STATE_SCHEMA_VERSION,
      location: this.location,
      instance_id: this.#instanceId,
      dead_letters: this.outbox.deadLetterCount,
    };
  }

  async close(): Promise<void> {
    if (this.redis.status === "ready") {
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      this.redis.disconnect();
    }
  }
}
