// In-process state: the `memory` backend, and the local side of a FallbackStore while Redis is away.
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

interface StoredValue {
  value: JsonValue;
  expiresAtMs?: number;
}

interface MutableOutboxEntry {
  id: string;
  destination: string;
  payload: JsonValue;
  seq: number;
  enqueuedAtMs: number;
  attempts: number;
  owner?: string;
  leaseUntilMs?: number;
}

export interface MemoryStateStoreOptions {
  readonly instanceId?: string;
  /** Prefix of outbox ids, so a FallbackStore can tell local entries from shared ones. */
  readonly idPrefix?: string;
}

export class MemoryStateStore implements StateStore {
  readonly backend = "memory" as const;
  readonly #instanceId: string;
  readonly #idPrefix: string;
  readonly #kv = new Map<string, Map<string, StoredValue>>();
  readonly #cooldowns = new Map<string, number>();
  readonly #throttle = new Map<string, Array<{ id: string; atMs: number }>>();
  /** Last window length used per route, so reconciliation can give Redis a matching expiry. */
  readonly #windows = new Map<string, number>();
  readonly #outbox = new Map<string, Map<string, MutableOutboxEntry>>();
  readonly #entries = new Map<string, MutableOutboxEntry>();
  /** Dedupe keys of enqueues and when each is forgotten. */
  readonly #enqueueKeys = new Map<string, number>();
  #dead: DeadLetter[] = [];
  #seq = 0;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.#instanceId = options.instanceId ?? "local";
    this.#idPrefix = options.idPrefix ?? "";
  }

  get(namespace: string, key: string, nowMs: number): JsonValue | undefined {
    const stored = this.#live(namespace, key, nowMs);
    return stored === undefined ? undefined : structuredClone(stored.value);
  }

  set(namespace: string, key: string, value: JsonValue, options?: SetOptions): void {
    let space = this.#kv.get(namespace);
    if (!space) {
      space = new Map();
      this.#kv.set(namespace, space);
    }
    const stored: StoredValue = { value: structuredClone(value) };
    if (options) stored.expiresAtMs = options.nowMs + options.ttlMs;
    space.set(key, stored);
  }

  delete(namespace: string, key: string): void {
    this.#kv.get(namespace)?.delete(key);
  }

  list(namespace: string, nowMs: number): KeyValueEntry[] {
    const space = this.#kv.get(namespace);
    if (!space) return [];
    const out: KeyValueEntry[] = [];
    for (const key of [...space.keys()].sort()) {
      const stored = this.#live(namespace, key, nowMs);
      if (stored) out.push(toEntry(key, stored));
    }
    return out;
  }

  /** The raw entry (with its absolute expiry), for reconciliation. */
  rawEntry(namespace: string, key: string, nowMs: number): KeyValueEntry | undefined {
    const stored = this.#live(namespace, key, nowMs);
    return stored && toEntry(key, stored);
  }

  #live(namespace: string, key: string, nowMs: number): StoredValue | undefined {
    const space = this.#kv.get(namespace);
    const stored = space?.get(key);
    if (stored?.expiresAtMs !== undefined && stored.expiresAtMs <= nowMs) {
      space?.delete(key);
      return undefined;
    }
    return stored;
  }

  /** Cooldowns still running at `nowMs` (reconciliation pushes them back to a shared store). */
  cooldowns(nowMs: number): Array<{ fingerprint: string; untilMs: number }> {
    return [...this.#cooldowns]
      .filter(([, untilMs]) => untilMs > nowMs)
      .map(([fingerprint, untilMs]) => ({ fingerprint, untilMs }));
  }

  tryAcquireCooldown(fingerprint: string, untilMs: number, nowMs: number): boolean {
    const current = this.#cooldowns.get(fingerprint);
    if (current !== undefined && current > nowMs) return false;
    this.#cooldowns.set(fingerprint, untilMs);
    return true;
  }

  getCooldown(fingerprint: string, nowMs: number): number | undefined {
    const current = this.#cooldowns.get(fingerprint);
    if (current === undefined) return undefined;
    if (current > nowMs) return current;
    this.#cooldowns.delete(fingerprint);
    return undefined;
  }

  clearCooldown(fingerprint: string): void {
    this.#cooldowns.delete(fingerprint);
  }

  /** Raise a cooldown to `untilMs` unless a later one is set (reconciliation: idempotent). */
  raiseCooldown(fingerprint: string, untilMs: number): void {
    const current = this.#cooldowns.get(fingerprint);
    if (current === undefined || current < untilMs) this.#cooldowns.set(fingerprint, untilMs);
  }

  throttleAdmit(route: string, nowMs: number, windowMs: number, max: number, id: string): boolean {
    const log = this.#prunedLog(route, nowMs, windowMs);
    if (log.some((admitted) => admitted.id === id)) {
      this.recordAdmission(route, id, nowMs, windowMs);
      return true;
    }
    if (log.length >= max) return false;
    this.recordAdmission(route, id, nowMs, windowMs);
    return true;
  }

  /** Admissions still inside their window (reconciliation pushes them back to a shared store). */
  throttleLogs(nowMs: number): Array<{ route: string; id: string; atMs: number; windowMs: number }> {
    return [...this.#throttle].flatMap(([route, log]) => {
      const windowMs = this.#windows.get(route) ?? 0;
      return log
        .filter((admitted) => admitted.atMs > nowMs - windowMs)
        .map((admitted) => ({ route, ...admitted, windowMs }));
    });
  }

  throttleWindow(route: string, nowMs: number, windowMs: number): number[] {
    return this.#prunedLog(route, nowMs, windowMs).map((admitted) => admitted.atMs);
  }

  /** Record an admission made elsewhere (mirroring a shared window): idempotent on id, latest time kept. */
  recordAdmission(route: string, id: string, atMs: number, windowMs: number): void {
    let log = this.#throttle.get(route);
    if (!log) {
      log = [];
      this.#throttle.set(route, log);
    }
    this.#prunedLog(route, atMs, windowMs);
    const known = log.findIndex((admitted) => admitted.id === id);
    if (known >= 0) {
      if ((log[known]?.atMs ?? 0) >= atMs) return;
      log.splice(known, 1);
    }
    let at = log.length;
    while (at > 0 && (log[at - 1]?.atMs ?? 0) > atMs) at--;
    log.splice(at, 0, { id, atMs });
  }

  #prunedLog(route: string, nowMs: number, windowMs: number): Array<{ id: string; atMs: number }> {
    this.#windows.set(route, windowMs);
    const log = this.#throttle.get(route);
    if (!log) return [];
    const horizon = nowMs - windowMs;
    let expired = 0;
    while (expired < log.length && (log[expired]?.atMs ?? 0) <= horizon) expired++;
    if (expired > 0) log.splice(0, expired);
    return log;
  }

  enqueue(destination: string, payload: JsonValue, nowMs: number, dedupe?: EnqueueDedupe): string {
    if (dedupe) {
      if ((this.#enqueueKeys.get(dedupe.key) ?? Number.NEGATIVE_INFINITY) > nowMs) return "";
      if (this.#enqueueKeys.size >= 1000) {
        for (const [key, until] of this.#enqueueKeys) if (until <= nowMs) this.#enqueueKeys.delete(key);
      }
      this.#enqueueKeys.set(dedupe.key, nowMs + dedupe.ttlMs);
    }
    const seq = ++this.#seq;
    const id = `${this.#idPrefix}${seq}`;
    const entry: MutableOutboxEntry = {
      id,
      destination,
      payload: structuredClone(payload),
      seq,
      enqueuedAtMs: nowMs,
      attempts: 0,
    };
    let queue = this.#outbox.get(destination);
    if (!queue) {
      queue = new Map();
      this.#outbox.set(destination, queue);
    }
    queue.set(id, entry);
    this.#entries.set(id, entry);
    return id;
  }

  claim(
    destination: string,
    owner: string,
    leaseMs: number,
    limit: number,
    nowMs: number,
    options?: ClaimOptions,
  ): OutboxEntry[] {
    const claimed: OutboxEntry[] = [];
    const queue = this.#outbox.get(destination);
    if (!queue) return claimed;
    for (const entry of queue.values()) {
      if (claimed.length >= limit) break;
      if (entry.owner !== undefined && (entry.leaseUntilMs ?? 0) > nowMs) {
        if (options?.inOrder) break;
        continue;
      }
      entry.owner = owner;
      entry.leaseUntilMs = nowMs + leaseMs;
      entry.attempts++;
      claimed.push(snapshot(entry));
    }
    return claimed;
  }

  renew(id: string, owner: string, leaseMs: number, nowMs: number): boolean {
    const entry = this.#entries.get(id);
    if (!entry || entry.owner !== owner) return false;
    entry.leaseUntilMs = nowMs + leaseMs;
    return true;
  }

  ack(id: string): void {
    this.#remove(id);
  }

  fail(id: string, reason: string, nowMs: number): void {
    const entry = this.#remove(id);
    if (!entry) return;
    this.#dead.push({
      id: entry.id,
      destination: entry.destination,
      payload: entry.payload,
      reason,
      enqueuedAtMs: entry.enqueuedAtMs,
      failedAtMs: nowMs,
      attempts: entry.attempts,
    });
  }

  release(id: string, owner: string): void {
    const entry = this.#entries.get(id);
    if (!entry || entry.owner !== owner) return;
    delete entry.owner;
    delete entry.leaseUntilMs;
  }

  pending(destination: string): OutboxEntry[] {
    return [...(this.#outbox.get(destination)?.values() ?? [])].map(snapshot);
  }

  pendingCount(destination: string): number {
    return this.#outbox.get(destination)?.size ?? 0;
  }

  listDestinations(): string[] {
    return [...this.#outbox.entries()]
      .filter(([, queue]) => queue.size > 0)
      .map(([destination]) => destination)
      .sort();
  }

  deadLetters(destination?: string): DeadLetter[] {
    return this.#dead.filter((dead) => destination === undefined || dead.destination === destination);
  }

  /** Remove and return the dead letters (reconciliation moves them to the shared store). */
  takeDeadLetters(): DeadLetter[] {
    const taken = this.#dead;
    this.#dead = [];
    return taken;
  }

  /** Claim one given entry if it is free (reconciliation reserves an entry while moving it). */
  reserve(id: string, owner: string, leaseMs: number, nowMs: number): OutboxEntry | undefined {
    const entry = this.#entries.get(id);
    if (!entry || (entry.owner !== undefined && (entry.leaseUntilMs ?? 0) > nowMs)) return undefined;
    entry.owner = owner;
    entry.leaseUntilMs = nowMs + leaseMs;
    return snapshot(entry);
  }

  /** Put dead letters back (a reconciliation that failed half-way). */
  restoreDeadLetters(dead: readonly DeadLetter[]): void {
    this.#dead = [...dead, ...this.#dead];
  }

  #remove(id: string): MutableOutboxEntry | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    const queue = this.#outbox.get(entry.destination);
    queue?.delete(id);
    if (queue?.size === 0) this.#outbox.delete(entry.destination);
    return entry;
  }

  status(): StateStoreStatus {
    return {
      backend: "memory",
      degraded: false,
      schema_version: STATE_SCHEMA_VERSION,
      location: "memory",
      instance_id: this.#instanceId,
      dead_letters: this.#dead.length,
    };
  }

  async close(): Promise<void> {}
}

function toEntry(key: string, stored: StoredValue): KeyValueEntry {
  const value = structuredClone(stored.value);
  return stored.expiresAtMs === undefined ? { key, value } : { key, value, expiresAtMs: stored.expiresAtMs };
}

function snapshot(entry: MutableOutboxEntry): OutboxEntry {
  return { ...entry, payload: structuredClone(entry.payload) };
}
