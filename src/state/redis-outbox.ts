// The outbox of the `redis://` backend: entries in per-destination sorted sets, claimed with leases
// and settled by Lua scripts (atomic on the server), plus what reconciliation needs after an outage.
import type { Redis } from "ioredis";
import type { ScriptRunner } from "./redis-scripts.ts";
import * as lua from "./redis-scripts.ts";
import type { ClaimOptions, DeadLetter, EnqueueDedupe, JsonValue, OutboxEntry } from "./store.ts";

/** How long an imported entry's key is remembered, so a repeated reconciliation adds it once. */
const IMPORT_KEY_TTL_MS = 86_400_000;

/** A claim an imported entry keeps (an entry this instance is delivering when Redis lost it). */
export interface ImportedClaim {
  readonly owner: string;
  readonly leaseUntilMs: number;
  readonly attempts: number;
}

/** Redis no longer holds the state this store knew: it restarted empty or was flushed. */
export function isResetError(error: unknown): boolean {
  return error instanceof Error && error.message.includes(lua.RESET_ERROR);
}

export class RedisOutbox {
  readonly #scripts: ScriptRunner;
  readonly #redis: Redis;
  readonly #prefix: string;
  /** The data generation of the prefix (meta `epoch`, read at init), new when Redis lost its data. */
  epoch: string | undefined;
  /** Dead letters as last counted. */
  deadLetterCount = 0;

  constructor(scripts: ScriptRunner, redis: Redis, prefix: string) {
    this.#scripts = scripts;
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #eval(script: string, args: ReadonlyArray<string | number>): Promise<unknown> {
    return this.#scripts.run(script, [], [this.#prefix, ...args]);
  }

  /** Whether an outbox id names an entry of an earlier epoch (lost when Redis lost its data). */
  isStale(id: string): boolean {
    const dash = id.indexOf("-");
    return dash > 0 && this.epoch !== undefined && id.slice(0, dash) !== this.epoch;
  }

  async enqueue(
    destination: string,
    payload: JsonValue,
    nowMs: number,
    dedupe?: EnqueueDedupe,
  ): Promise<string> {
    const result = await this.#eval(lua.OUTBOX_ENQUEUE, [
      destination,
      JSON.stringify(payload),
      String(nowMs),
      dedupe ? `key:${dedupe.key}` : "",
      // Collected by the server well after the caller's deadline (clocks may differ).
      String(Math.ceil(2 * (dedupe?.ttlMs ?? 0) + 60_000)),
      dedupe ? String(nowMs + dedupe.ttlMs) : "",
      "",
      "",
      "0",
    ]);
    return String(result);
  }

  /**
   * Enqueue an entry from local state once per `importKey` (a repeat answers the id made the first
   * time), optionally still claimed by its owner.
   */
  async importEntry(
    importKey: string,
    destination: string,
    payload: JsonValue,
    enqueuedAtMs: number,
    claim?: ImportedClaim,
  ): Promise<string> {
    const result = await this.#eval(lua.OUTBOX_ENQUEUE, [
      destination,
      JSON.stringify(payload),
      String(enqueuedAtMs),
      importKey,
      String(IMPORT_KEY_TTL_MS),
      "",
      claim?.owner ?? "",
      claim ? String(claim.leaseUntilMs) : "",
      String(claim?.attempts ?? 0),
    ]);
    return String(result);
  }

  /** Which of `ids` still exist; throws a reset error when Redis lost its data since init. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const flags = (await this.#eval(lua.OUTBOX_EXISTING, [this.epoch ?? "", ...ids])) as number[];
    return new Set(ids.filter((_, index) => flags[index] === 1));
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
    const rows = (await this.#eval(lua.OUTBOX_CLAIM, [
      destination,
      owner,
      String(leaseUntilMs),
      String(limit),
      String(nowMs),
      options?.inOrder ? "1" : "",
    ])) as Array<[string, string, string, number]>;
    return rows.map(([id, payload, enqueued, attempts]) => ({
      ...toEntry(destination, id, payload, enqueued, attempts),
      owner,
      leaseUntilMs,
    }));
  }

  async renew(id: string, owner: string, leaseMs: number, nowMs: number): Promise<boolean> {
    return (await this.#eval(lua.OUTBOX_RENEW, [id, owner, String(nowMs + leaseMs)])) === 1;
  }

  async ack(id: string): Promise<void> {
    await this.#eval(lua.OUTBOX_ACK, [id]);
  }

  /** Dead-letter the entry; whether it existed (false: already settled, by anyone). */
  async failEntry(id: string, reason: string, nowMs: number): Promise<boolean> {
    const count = Number(await this.#eval(lua.OUTBOX_FAIL, [id, reason, String(nowMs)]));
    if (count >= 0) this.deadLetterCount = count;
    return count >= 0;
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
    this.deadLetterCount = Number(await this.#eval(lua.DEAD_IMPORT, [importKey, encoded]));
  }

  async release(id: string, owner: string): Promise<void> {
    await this.#eval(lua.OUTBOX_RELEASE, [id, owner]);
  }

  async pending(destination: string): Promise<OutboxEntry[]> {
    const rows = (await this.#eval(lua.OUTBOX_PENDING, [destination])) as string[][];
    return rows.map(([id = "", payload = "null", enqueued, attempts, owner = "", lease = ""]) => {
      const entry = toEntry(destination, id, payload, enqueued, attempts);
      return owner === "" ? entry : { ...entry, owner, leaseUntilMs: Number(lease) };
    });
  }

  pendingCount(destination: string): Promise<number> {
    return this.#redis.zcard(`${this.#prefix}ob:q:${destination}`);
  }

  async listDestinations(): Promise<string[]> {
    return (await this.#redis.smembers(`${this.#prefix}ob:dests`)).sort();
  }

  async deadLetters(destination?: string): Promise<DeadLetter[]> {
    const raw = await this.#redis.lrange(`${this.#prefix}ob:dead`, 0, -1);
    this.deadLetterCount = raw.length;
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
}

function toEntry(
  destination: string,
  id: string,
  payload: string,
  enqueued: unknown,
  attempts: unknown,
): OutboxEntry {
  return {
    id,
    destination,
    payload: JSON.parse(payload) as JsonValue,
    // The enqueue sequence number: `<epoch>-<seq>`, or a bare number from before epochs.
    seq: Number(id.slice(id.indexOf("-") + 1)),
    enqueuedAtMs: Number(enqueued),
    attempts: Number(attempts),
  };
}
