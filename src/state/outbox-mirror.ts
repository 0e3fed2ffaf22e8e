// What a FallbackStore remembers of the shared (Redis) outbox entries this instance enqueued or
// claimed and has not settled: when Redis comes back without its data, they are enqueued again (the
// claimed ones still claimed) instead of vanishing, and their old ids keep working through aliases.
import type { ImportedClaim, RedisOutbox } from "./redis-outbox.ts";
import type { DeadLetter, JsonValue, OutboxEntry } from "./store.ts";

interface MirroredEntry {
  readonly destination: string;
  readonly payload: JsonValue;
  readonly enqueuedAtMs: number;
  attempts: number;
  owner?: string;
  leaseUntilMs?: number;
}

export class OutboxMirror {
  /** By current shared id, in the order this instance learnt of them. */
  readonly #entries = new Map<string, MirroredEntry>();
  /** Id before a reset → id of the same entry enqueued again. */
  readonly #aliases = new Map<string, string>();

  get size(): number {
    return this.#entries.size;
  }

  /** The id the entry has now (an id from before a reset maps to its re-enqueued entry). */
  resolve(id: string): string {
    return this.#aliases.get(id) ?? id;
  }

  enqueued(id: string, destination: string, payload: JsonValue, nowMs: number): void {
    this.#entries.set(id, { destination, payload, enqueuedAtMs: nowMs, attempts: 0 });
  }

  claimed(entries: readonly OutboxEntry[]): void {
    for (const e of entries) {
      const mirrored: MirroredEntry = {
        destination: e.destination,
        payload: e.payload,
        enqueuedAtMs: e.enqueuedAtMs,
        attempts: e.attempts,
      };
      if (e.owner !== undefined) mirrored.owner = e.owner;
      if (e.leaseUntilMs !== undefined) mirrored.leaseUntilMs = e.leaseUntilMs;
      this.#entries.set(e.id, mirrored);
    }
  }

  renewed(id: string, owner: string, leaseUntilMs: number): void {
    const entry = this.#entries.get(id);
    if (entry?.owner === owner) entry.leaseUntilMs = leaseUntilMs;
  }

  released(id: string, owner: string): void {
    const entry = this.#entries.get(id);
    if (entry?.owner !== owner) return;
    delete entry.owner;
    delete entry.leaseUntilMs;
  }

  /** Acked or failed: forget it; the dead letter it becomes, should Redis have lost it meanwhile. */
  settled(id: string, failure?: { reason: string; nowMs: number }): DeadLetter | undefined {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    for (const [old, current] of this.#aliases) if (current === id) this.#aliases.delete(old);
    if (!entry || !failure) return undefined;
    return {
      id,
      destination: entry.destination,
      payload: entry.payload,
      reason: failure.reason,
      enqueuedAtMs: entry.enqueuedAtMs,
      failedAtMs: failure.nowMs,
      attempts: entry.attempts,
    };
  }

  /**
   * Redis lost its data: enqueue every entry of an earlier epoch again, oldest first (claimed ones
   * stay claimed by their owner), once per entry however often this is repeated. Returns how many.
   */
  async reenqueue(remote: RedisOutbox, nowMs: number): Promise<number> {
    const lost = [...this.#entries]
      .filter(([id]) => remote.isStale(id))
      .sort(([, a], [, b]) => a.enqueuedAtMs - b.enqueuedAtMs);
    for (const [id, entry] of lost) {
      const claim: ImportedClaim | undefined =
        entry.owner !== undefined && (entry.leaseUntilMs ?? 0) > nowMs
          ? { owner: entry.owner, leaseUntilMs: entry.leaseUntilMs ?? nowMs, attempts: entry.attempts }
          : undefined;
      // Keyed by the old id (unique across epochs): instances that knew the same entry add it once.
      const current = await remote.importEntry(
        `reset:${id}`,
        entry.destination,
        entry.payload,
        entry.enqueuedAtMs,
        claim,
      );
      this.#entries.delete(id);
      if (!claim) {
        delete entry.owner;
        delete entry.leaseUntilMs;
      }
      this.#entries.set(current, entry);
      for (const [old, target] of this.#aliases) if (target === id) this.#aliases.set(old, current);
      this.#aliases.set(id, current);
    }
    return lost.length;
  }

  /** Forget entries settled elsewhere (another instance delivered them): not ours to bring back. */
  async prune(remote: RedisOutbox, nowMs: number): Promise<void> {
    const unheld = [...this.#entries]
      .filter(([, entry]) => entry.owner === undefined || (entry.leaseUntilMs ?? 0) <= nowMs)
      .map(([id]) => id);
    const existing = await remote.existing(unheld);
    for (const id of unheld) if (!existing.has(id)) this.settled(id);
  }
}
