// The delivery outbox on the StateStore: a record is written before delivery and removed on success
// (a crash loses nothing), claimed with a per-instance lease before each delivery (two instances
// sharing Redis never both send one entry), and dead-lettered with its reason on permanent failure.
// A restarted instance takes back the leases its previous run held instead of waiting them out.
import type { SchedulerLike } from "rxjs";
import type { ComponentContext } from "../component.ts";
import type { SendWindow } from "../signal.ts";
import { isPreviousRun } from "../state/instance-id.ts";
import type { JsonValue, StateStore } from "../state/store.ts";
import type { OutboxRecord, SharedOutbox } from "./outbox.ts";

export interface StoreOutboxOptions {
  readonly store: StateStore;
  readonly scheduler: SchedulerLike;
  /** Destination keys of this outbox start with it (e.g. "slack:"); others in the store are not ours. */
  readonly prefix: string;
  /** Lease holder name: `<instance id>/<component id>`, unique per instance (and component). */
  readonly owner: string;
  /** Lease on a claimed record, ms; a dead holder's records are taken over after it. */
  readonly leaseMs?: number;
  /** How long an identical notice (same dedupe key) collapses into the first, ms; 0 = never. */
  readonly dedupeMs?: number;
}

/** What one stored entry holds: the rendered payload and bookkeeping, never the webhook URL. */
interface StoredDelivery {
  readonly v: 1;
  /** The queue's record id (tickets key on it). */
  readonly ref: string;
  readonly rule?: string;
  readonly payload: JsonValue;
  readonly window?: SendWindow;
}

export class StoreOutbox<P> implements SharedOutbox<P> {
  readonly shared = true as const;
  readonly pollMs: number;
  readonly renewMs: number;
  readonly #o: Required<StoreOutboxOptions>;
  /** Claimed records: queue id → store id and destination. */
  readonly #claimed = new Map<string, { storeId: string; destination: string }>();
  /** Entries in the store per destination of ours, as last counted (status). */
  readonly #counts = new Map<string, number>();

  constructor(options: StoreOutboxOptions) {
    this.#o = { leaseMs: 30_000, dedupeMs: 10_000, ...options };
    this.pollMs = Math.max(100, Math.round(this.#o.leaseMs / 2));
    this.renewMs = Math.max(50, Math.round(this.#o.leaseMs / 3));
  }

  get owner(): string {
    return this.#o.owner;
  }

  #now(): number {
    return this.#o.scheduler.now();
  }

  async onEnqueue(record: OutboxRecord<P>): Promise<boolean> {
    const stored: StoredDelivery = {
      v: 1,
      ref: record.id,
      payload: toJson(record.payload),
      ...(record.rule !== undefined ? { rule: record.rule } : {}),
      ...(record.window !== undefined ? { window: record.window } : {}),
    };
    const dedupe =
      record.dedupeKey !== undefined && this.#o.dedupeMs > 0
        ? { key: `${record.destination}|${record.dedupeKey}`, ttlMs: this.#o.dedupeMs }
        : undefined;
    const id = await this.#o.store.enqueue(
      record.destination,
      stored as unknown as JsonValue,
      record.enqueuedAt,
      dedupe,
    );
    this.#recount(record.destination);
    return id !== "";
  }

  /** How many entries the store holds for the destination (ours and other instances'), last counted. */
  storedCount(destination: string): number | undefined {
    return this.#counts.get(destination);
  }

  #recount(destination: string): void {
    void (async () => this.#counts.set(destination, await this.#o.store.pendingCount(destination)))().catch(
      () => undefined, // status only: the next settle or poll counts again
    );
  }

  /**
   * Give back the live leases our previous run (same instance name, now dead) held on our
   * destinations, so this run delivers them at once instead of after the lease. How many.
   */
  async reclaim(): Promise<number> {
    const [self, component] = splitOwner(this.#o.owner);
    const now = this.#now();
    let reclaimed = 0;
    for (const destination of await this.destinations()) {
      for (const entry of await this.#o.store.pending(destination)) {
        if (entry.owner === undefined || entry.owner === this.#o.owner) continue;
        if ((entry.leaseUntilMs ?? 0) <= now) continue;
        const [instance, theirs] = splitOwner(entry.owner);
        if (theirs !== component || !isPreviousRun(instance, self)) continue;
        await this.#o.store.release(entry.id, entry.owner);
        reclaimed++;
      }
    }
    return reclaimed;
  }

  async claimNext(destination: string): Promise<OutboxRecord<P> | undefined> {
    const [entry] = await this.#o.store.claim(destination, this.#o.owner, this.#o.leaseMs, 1, this.#now(), {
      inOrder: true,
    });
    if (!entry) return undefined;
    const record = fromStored<P>(entry.id, entry.destination, entry.payload, entry.enqueuedAtMs);
    this.#claimed.set(record.id, { storeId: entry.id, destination: entry.destination });
    return record;
  }

  async renew(id: string): Promise<boolean> {
    const claim = this.#claimed.get(id);
    if (claim === undefined) return false;
    // A lost lease keeps the mapping: a delivery already on the wire still acks the entry when it lands.
    return await this.#o.store.renew(claim.storeId, this.#o.owner, this.#o.leaseMs, this.#now());
  }

  async release(id: string): Promise<void> {
    const claim = this.#claimed.get(id);
    if (claim === undefined) return;
    this.#claimed.delete(id);
    await this.#o.store.release(claim.storeId, this.#o.owner);
  }

  async onDelivered(id: string): Promise<void> {
    const claim = this.#claimed.get(id);
    if (claim === undefined) return;
    this.#claimed.delete(id);
    await this.#o.store.ack(claim.storeId);
    this.#recount(claim.destination);
  }

  async onFailed(id: string, reason: string): Promise<void> {
    const claim = this.#claimed.get(id);
    if (claim === undefined) return;
    this.#claimed.delete(id);
    await this.#o.store.fail(claim.storeId, reason, this.#now());
    this.#recount(claim.destination);
  }

  /** Our destinations with stored entries (polled by idle lanes: counts are refreshed too). */
  async destinations(): Promise<readonly string[]> {
    const ours = (await this.#o.store.listDestinations()).filter((d) => d.startsWith(this.#o.prefix));
    for (const destination of new Set([...this.#counts.keys(), ...ours])) this.#recount(destination);
    return ours;
  }

  async pending(): Promise<readonly OutboxRecord<P>[]> {
    const out: OutboxRecord<P>[] = [];
    for (const destination of await this.destinations()) {
      for (const entry of await this.#o.store.pending(destination)) {
        out.push(fromStored<P>(entry.id, destination, entry.payload, entry.enqueuedAtMs));
      }
    }
    return out;
  }
}

/** `<instance id>/<component id>` split at the first slash (component ids may hold one). */
function splitOwner(owner: string): [string, string] {
  const slash = owner.indexOf("/");
  return slash < 0 ? [owner, ""] : [owner.slice(0, slash), owner.slice(slash + 1)];
}

/** JSON copy of a payload (drops undefined fields, as the store would). */
function toJson(payload: unknown): JsonValue {
  return JSON.parse(JSON.stringify(payload ?? null)) as JsonValue;
}

function fromStored<P>(
  storeId: string,
  destination: string,
  value: JsonValue,
  enqueuedAt: number,
): OutboxRecord<P> {
  const stored = value as Partial<StoredDelivery> | null;
  // Anything not written by this class is delivered as it is, under a store-derived id.
  if (!stored || typeof stored !== "object" || stored.v !== 1 || typeof stored.ref !== "string") {
    return { id: `store:${storeId}`, destination, payload: value as P, enqueuedAt };
  }
  return {
    id: stored.ref,
    destination,
    payload: stored.payload as P,
    enqueuedAt,
    ...(stored.rule !== undefined ? { rule: stored.rule } : {}),
    ...(stored.window !== undefined ? { window: stored.window } : {}),
  };
}

export interface StoreOutboxConfig {
  /** Lease, seconds. */
  readonly lease: number;
  /** Dedupe window, seconds. */
  readonly dedupe_window: number;
}

/**
 * The outbox an exporter should use: on a durable or shared store (SQLite, Redis) a StoreOutbox for
 * the component's destinations; undefined on the memory store (the queue's in-memory outbox is the same).
 */
export function storeOutboxFor<P>(
  context: ComponentContext,
  config: StoreOutboxConfig,
): StoreOutbox<P> | undefined {
  const store = context.state;
  if (!store || store.backend === "memory") return undefined;
  return new StoreOutbox<P>({
    store,
    scheduler: context.scheduler,
    prefix: `${context.id}:`,
    owner: `${store.status().instance_id}/${context.id}`,
    leaseMs: config.lease * 1000,
    dedupeMs: config.dedupe_window * 1000,
  });
}
