// The outbox half of a FallbackStore: shared entries live on Redis (mirrored locally until settled,
// so a Redis that returns empty gets them back); while Redis is away new entries are kept locally
// (ids "local:…", delivered first and moved to Redis on reconcile) and operations on shared entries
// are journaled.
import type { MemoryStateStore } from "./memory-store.ts";
import { applyRemoteOp, type OutageJournal, type RemoteOp } from "./outage-journal.ts";
import { OutboxMirror } from "./outbox-mirror.ts";
import type { RedisOutbox } from "./redis-outbox.ts";
import type { ClaimOptions, DeadLetter, EnqueueDedupe, JsonValue, OutboxEntry } from "./store.ts";

export const LOCAL_ID_PREFIX = "local:";
/** How often (caller's clock) the mirror forgets entries other instances settled. */
const MIRROR_PRUNE_MS = 60_000;

/** Run on Redis unless degraded; on a connection error degrade and answer locally. */
export type Route = <T>(nowMs: number | undefined, remote: () => Promise<T>, local: () => T) => Promise<T>;

export class FallbackOutbox {
  readonly mirror = new OutboxMirror();
  readonly #remote: RedisOutbox;
  readonly #local: MemoryStateStore;
  readonly #journal: OutageJournal;
  readonly #route: Route;
  #lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(remote: RedisOutbox, local: MemoryStateStore, journal: OutageJournal, route: Route) {
    this.#remote = remote;
    this.#local = local;
    this.#journal = journal;
    this.#route = route;
  }

  enqueue(destination: string, payload: JsonValue, nowMs: number, dedupe?: EnqueueDedupe): Promise<string> {
    // While degraded, keys dedupe only this instance's enqueues (the shared key space is away).
    return this.#route(
      nowMs,
      async () => {
        const id = await this.#remote.enqueue(destination, payload, nowMs, dedupe);
        if (id !== "") this.mirror.enqueued(id, destination, payload, nowMs);
        return id;
      },
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
      async () => {
        const claimed = await this.#remote.claim(destination, owner, leaseMs, rest, nowMs, options);
        this.mirror.claimed(claimed);
        return claimed;
      },
      () => [],
    );
    return [...local, ...remote];
  }

  renew(id: string, owner: string, leaseMs: number, nowMs: number): Promise<boolean> {
    if (isLocal(id)) return Promise.resolve(this.#local.renew(id, owner, leaseMs, nowMs));
    const current = this.mirror.resolve(id);
    this.mirror.renewed(current, owner, nowMs + leaseMs);
    // While degraded the shared lease cannot be extended; delivery goes on (at-least-once).
    return this.#route(
      nowMs,
      () => this.#remote.renew(current, owner, leaseMs, nowMs),
      () => true,
    );
  }

  /** Ack, fail or release: local ids locally; shared ids on Redis, or journaled until it returns. */
  settle(id: string, op: RemoteOp): Promise<void> {
    if (isLocal(id)) {
      if (op.kind === "ack") this.#local.ack(id);
      else if (op.kind === "fail") this.#local.fail(id, op.reason, op.nowMs);
      else this.#local.release(id, op.owner);
      return Promise.resolve();
    }
    const current = this.mirror.resolve(id);
    let journaled = op;
    if (op.kind === "release") this.mirror.released(current, op.owner);
    else {
      const dead = this.mirror.settled(current, op.kind === "fail" ? op : undefined);
      if (op.kind === "fail" && dead) journaled = { ...op, dead };
    }
    return this.#route(
      op.kind === "fail" ? op.nowMs : undefined,
      () => applyRemoteOp(this.#remote, current, op),
      () => this.#journal.remoteOp(current, journaled),
    );
  }

  async pending(destination: string): Promise<OutboxEntry[]> {
    const remote = await this.#route(
      undefined,
      () => this.#remote.pending(destination),
      () => [],
    );
    return [...this.#local.pending(destination), ...remote];
  }

  async pendingCount(destination: string): Promise<number> {
    const remote = await this.#route(
      undefined,
      () => this.#remote.pendingCount(destination),
      () => 0,
    );
    return this.#local.pendingCount(destination) + remote;
  }

  /** Polled by every idle delivery lane: also the beat at which the mirror forgets settled entries. */
  async listDestinations(nowMs: number): Promise<string[]> {
    const remote = await this.#route(
      undefined,
      async () => {
        if (this.mirror.size > 0 && nowMs - this.#lastPruneMs >= MIRROR_PRUNE_MS) {
          this.#lastPruneMs = nowMs;
          await this.mirror.prune(this.#remote, nowMs);
        }
        return this.#remote.listDestinations();
      },
      () => [],
    );
    return [...new Set([...this.#local.listDestinations(), ...remote])].sort();
  }

  async deadLetters(destination?: string): Promise<DeadLetter[]> {
    const remote = await this.#route(
      undefined,
      () => this.#remote.deadLetters(destination),
      () => [],
    );
    return [...remote, ...this.#local.deadLetters(destination)];
  }
}

function isLocal(id: string): boolean {
  return id.startsWith(LOCAL_ID_PREFIX);
}
