// The `redis://` backend for many instances: cooldowns, the throttle window and outbox claims are
// Lua scripts (atomic on the server). Errors propagate; FallbackStore turns outages into local state.
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import * as lua from "./redis-scripts.ts";
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

/** How long an imported entry's key is remembered, so a repeated reconciliation adds it once. */
const IMPORT_KEY_TTL_MS = 86_400_000;

interface KvEnvelope {
  v: JsonValue;
  e?: number;
}

/** The URL without credentials, for status and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    // ioredis also reads credentials from the query (?password=…): keep only what is not secret.
    for (const key of [...parsed.searchParams.keys()]) {
      if (key !== "prefix" && key !== "db" && key !== "family") parsed.searchParams.set(key, "***");
    }
    return parsed.toString().replace(/%2A%2A%2A/g, "***");
  } catch {
    return "redis://(unparseable url)";
  }
}

export class RedisStateStore implements StateStore {
  readonly backend = "redis" as const;
  readonly redis: Redis;
  readonly prefix: string;
  readonly location: string;
  readonly #instanceId: string;
  readonly #sha = new Map<string, string>();
  #deadLetters = 0;

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
  }

  /** Connect (once) and check or record the schema version. */
  async connect(): Promise<void> {
    if (this.redis.status === "wait") await this.redis.connect();
    await this.init();
  }

  /** Schema check: refuses data written by a newer alertpipe; migrations go here when v2 exists. */
  async init(): Promise<void> {
    const meta = `${this.prefix}meta`;
    await this.redis.hsetnx(meta, "schema_version", String(STATE_SCHEMA_VERSION));
    const stored = Number(await this.redis.hget(meta, "schema_version"));
    if (stored > STATE_SCHEMA_VERSION) {
      throw new Error(
        `redis state at ${this.location} has schema_version ${stored}, newer than this alertpipe ` +
          `supports (${STATE_SCHEMA_VERSION})`,
      );
    }
    this.#deadLetters = await this.redis.llen(`${this.prefix}ob:dead`);
  }

  async #eval(
    script: string,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
  ): Promise<unknown> {
    let sha = this.#sha.get(script);
    if (!sha) {
      sha = createHash("sha1").update(script).digest("hex");
      this.#sha.set(script, sha);
    }
    try {
      return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).includes("NOSCRIPT")) throw error;
      return await this.redis.eval(script, keys.length, ...keys, ...args);
    }
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
    const flat = (await this.#eval(lua.KV_LIST, [this.#kvKey(namespace)], [String(nowMs)])) as string[];
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
    const acquired = await this.#eval(
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
    await this.#eval(lua.COOLDOWN_RAISE, [this.#cooldownKey(fingerprint)], [String(untilMs), String(ttl)]);
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
    const admitted = await this.#eval(
      lua.THROTTLE_ADMIT,
      [this.#throttleKey(route)],
      [String(nowMs - windowMs), String(nowMs), String(max), id, String(Math.max(1, Math.ceil(windowMs)))],
    );
    return admitted === 1;
  }

  /** Record an admission made while Redis was away (idempotent on id). */
  async importAdmission(route: string, id: string, atMs: number, windowMs: number): Promise<void> {
    await this.#eval(
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

  async enqueue(
    destination: string,
    payload: JsonValue,
    nowMs: number,
    dedupe?: EnqueueDedupe,
  ): Promise<string> {
    return String(
      await this.#eval(
        lua.OUTBOX_ENQUEUE,
        [],
        [
          this.prefix,
          destination,
          JSON.stringify(payload),
          String(nowMs),
          dedupe ? `key:${dedupe.key}` : "",
          // Collected by the server well after the caller's deadline (clocks may differ).
          String(Math.ceil(2 * (dedupe?.ttlMs ?? 0) + 60_000)),
          dedupe ? String(nowMs + dedupe.ttlMs) : "",
        ],
      ),
    );
  }

  /** Enqueue an entry from local state once per `importKey`; undefined if it was imported before. */
  async importEntry(
    importKey: string,
    destination: string,
    payload: JsonValue,
    enqueuedAtMs: number,
  ): Promise<string | undefined> {
    const id = String(
      await this.#eval(
        lua.OUTBOX_ENQUEUE,
        [],
        [
          this.prefix,
          destination,
          JSON.stringify(payload),
          String(enqueuedAtMs),
          importKey,
          String(IMPORT_KEY_TTL_MS),
          "",
        ],
      ),
    );
    return id === "" ? undefined : id;
  }

  async claim(
    destination: string,
    owner: string,
    leaseMs: number,
    limit: number,
    nowMs: number,
    options?: ClaimOptions,
  ): Promise<OutboxEntry[]> {
    if (limit <= 0) return [];
    const leaseUntilMs = nowMs + leaseMs;
    const rows = (await this.#eval(
      lua.OUTBOX_CLAIM,
      [],
      [
        this.prefix,
        destination,
        owner,
        String(leaseUntilMs),
        String(limit),
        String(nowMs),
        options?.inOrder ? "1" : "",
      ],
    )) as Array<[string, string, string, number]>;
    return rows.map(([id, payload, enqueued, attempts]) => ({
      id,
      destination,
      payload: JSON.parse(payload) as JsonValue,
      seq: Number(id),
      enqueuedAtMs: Number(enqueued),
      attempts: Number(attempts),
      owner,
      leaseUntilMs,
    }));
  }

  async renew(id: string, owner: string, leaseMs: number, nowMs: number): Promise<boolean> {
    return (
      (await this.#eval(lua.OUTBOX_RENEW, [`${this.prefix}ob:e:${id}`], [owner, String(nowMs + leaseMs)])) ===
      1
    );
  }

  async ack(id: string): Promise<void> {
    await this.#eval(lua.OUTBOX_ACK, [], [this.prefix, id]);
  }

  async fail(id: string, reason: string, nowMs: number): Promise<void> {
    const count = Number(await this.#eval(lua.OUTBOX_FAIL, [], [this.prefix, id, reason, String(nowMs)]));
    if (count >= 0) this.#deadLetters = count;
  }

  /** Push a dead letter recorded while Redis was away, once per `importKey`. */
  async importDeadLetter(importKey: string, dead: DeadLetter): Promise<void> {
    const encoded = JSON.stringify({
      id: dead.id,
      destination: dead.destination,
      payload: JSON.stringify(dead.payload),
      reason: dead.reason,
      enqueued: String(dead.enqueuedAtMs),
      failed: String(dead.failedAtMs),
      attempts: String(dead.attempts),
    });
    this.#deadLetters = Number(await this.#eval(lua.DEAD_IMPORT, [], [this.prefix, importKey, encoded]));
  }

  async release(id: string, owner: string): Promise<void> {
    await this.#eval(lua.OUTBOX_RELEASE, [`${this.prefix}ob:e:${id}`], [owner]);
  }

  async pending(destination: string): Promise<OutboxEntry[]> {
    const rows = (await this.#eval(lua.OUTBOX_PENDING, [], [this.prefix, destination])) as string[][];
    return rows.map(([id = "", payload = "null", enqueued, attempts, owner = "", lease = ""]) => {
      const entry: OutboxEntry = {
        id,
        destination,
        payload: JSON.parse(payload) as JsonValue,
        seq: Number(id),
        enqueuedAtMs: Number(enqueued),
        attempts: Number(attempts),
      };
      return owner === "" ? entry : { ...entry, owner, leaseUntilMs: Number(lease) };
    });
  }

  async listDestinations(): Promise<string[]> {
    return (await this.redis.smembers(`${this.prefix}ob:dests`)).sort();
  }

  async deadLetters(destination?: string): Promise<DeadLetter[]> {
    const raw = await this.redis.lrange(`${this.prefix}ob:dead`, 0, -1);
    this.#deadLetters = raw.length;
    return raw
      .map((line) => JSON.parse(line) as Record<string, string>)
      .filter((dead) => destination === undefined || dead.destination === destination)
      .map((dead) => ({
        id: String(dead.id),
        destination: String(dead.destination),
        payload: JSON.parse(dead.payload ?? "null") as JsonValue,
        reason: String(dead.reason),
        enqueuedAtMs: Number(dead.enqueued),
        failedAtMs: Number(dead.failed),
        attempts: Number(dead.attempts),
      }));
  }

  status(): StateStoreStatus {
    return {
      backend: "redis",
      degraded: this.redis.status !== "ready",
      schema_version: STATE_SCHEMA_VERSION,
      location: this.location,
      instance_id: this.#instanceId,
      dead_letters: this.#deadLetters,
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
