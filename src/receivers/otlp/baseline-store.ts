// Write-behind persistence of cumulative→delta baselines in a StateStore key-value namespace, so a
// restarted collector computes the right delta for a series' first point after the restart instead
// of treating it as first sight (which loses one interval).
//
// Layout in namespace `otlp.delta/<receiver id>`:
//  - memory/SQLite: 32 partition keys `\u001fpNN`, each {series key: [seen, compact draft]} for the
//    series hashing there; a flush rewrites only partitions with changed series (few writes even
//    with 100 000 series; SQLite commits each write).
//  - Redis: one key per series (the series key), value [seen, compact draft]: instances sharing the
//    namespace never overwrite each other's series, and the newest point of a series wins.
// Written every `flushMs` (default 5 s) and at shutdown, never per point; every write carries the
// series TTL, and restore skips series not seen within it.
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { isPromise, type JsonValue, type MaybePromise, type StateStore } from "../../state/store.ts";
import type { CumulativeDraft, CumulativeToDelta, StoredBaseline } from "./cumulative.ts";

export const baselineNamespace = (componentId: string) => `otlp.delta/${componentId}`;

const PARTITIONS = 32;
const PARTITION_PREFIX = "\u001fp";

type SavedSeries = [seen: number, draft: CumulativeDraft];

export interface BaselinePersistenceOptions {
  readonly store: StateStore;
  readonly namespace: string;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  /** Write-behind interval (ms, default 5000). */
  readonly flushMs?: number;
}

export class BaselinePersistence {
  readonly #deltas: CumulativeToDelta;
  readonly #options: BaselinePersistenceOptions;
  readonly #partitioned: boolean;
  #timer: Subscription | undefined;
  #flushing: Promise<void> | undefined;
  restored = 0;
  written = 0;
  failures = 0;

  constructor(deltas: CumulativeToDelta, options: BaselinePersistenceOptions) {
    this.#deltas = deltas;
    this.#options = options;
    this.#partitioned = options.store.backend !== "redis";
    deltas.trackChanges();
  }

  /** Load saved baselines (before the receiver accepts points). */
  async restore(): Promise<number> {
    const { store, namespace, scheduler } = this.#options;
    const now = scheduler.now();
    const cutoff = now - this.#deltas.ttlMs;
    const found: Array<[string, StoredBaseline]> = [];
    const take = (key: string, saved: unknown) => {
      if (!Array.isArray(saved) || typeof saved[0] !== "number" || typeof saved[1] !== "object") return;
      const [seen, draft] = saved as SavedSeries;
      if (seen >= cutoff && draft !== null) found.push([key, { draft, seen }]);
    };
    try {
      for (const { key, value } of await store.list(namespace, now)) {
        if (!key.startsWith(PARTITION_PREFIX)) take(key, value);
        else if (value && typeof value === "object" && !Array.isArray(value)) {
          for (const [series, saved] of Object.entries(value)) take(series, saved);
        }
      }
    } catch (err) {
      this.failures++;
      this.#options.logger.warn(
        { err: String(err) },
        "could not restore cumulative baselines; starting fresh",
      );
      return 0;
    }
    found.sort((a, b) => a[1].seen - b[1].seen);
    this.restored = this.#deltas.restore(found);
    if (this.restored > 0)
      this.#options.logger.info({ series: this.restored }, "cumulative baselines restored");
    return this.restored;
  }

  /** Flush every `flushMs` until stop(). */
  start(): void {
    if (this.#timer) return;
    const every = this.#options.flushMs ?? 5000;
    const { scheduler } = this.#options;
    const tick = () => {
      void this.flush();
      this.#timer = scheduler.schedule(tick, every);
    };
    this.#timer = scheduler.schedule(tick, every);
  }

  /**
   * Write changed baselines now: synchronously on memory/SQLite, else one flush at a time (a call
   * during a flush runs after it).
   */
  flush(): Promise<void> {
    const previous = this.#flushing;
    const result = previous
      ? previous.then(() => this.#write(this.#deltas.takeChanges()))
      : this.#write(this.#deltas.takeChanges());
    if (!isPromise(result)) return Promise.resolve();
    const flushing = result.finally(() => {
      if (this.#flushing === flushing) this.#flushing = undefined;
    });
    this.#flushing = flushing;
    return flushing;
  }

  /** Stop the timer and write what changed since the last flush. */
  async stop(): Promise<void> {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    await this.flush();
  }

  #write(changed: readonly string[]): MaybePromise<void> {
    if (changed.length === 0) return;
    const { store, namespace, scheduler } = this.#options;
    const nowMs = scheduler.now();
    const ttl = { ttlMs: this.#deltas.ttlMs, nowMs };
    const writes: Array<() => MaybePromise<void>> = [];
    if (this.#partitioned) {
      const dirty = new Set(changed.map(partitionOf));
      const contents = new Map<number, Record<string, JsonValue>>();
      for (const p of dirty) contents.set(p, {});
      for (const [key, baseline] of this.#deltas.baselines()) {
        const content = contents.get(partitionOf(key));
        if (content) content[key] = [baseline.seen, baseline.draft as unknown as JsonValue];
      }
      for (const [p, content] of contents) {
        const key = `${PARTITION_PREFIX}${String(p).padStart(2, "0")}`;
        writes.push(() =>
          Object.keys(content).length === 0
            ? store.delete(namespace, key)
            : store.set(namespace, key, content, ttl),
        );
      }
    } else {
      for (const key of changed) {
        const baseline = this.#deltas.baseline(key);
        writes.push(() =>
          baseline
            ? store.set(namespace, key, [baseline.seen, baseline.draft as unknown as JsonValue], ttl)
            : store.delete(namespace, key),
        );
      }
    }
    const pending: Promise<void>[] = [];
    let failed = false;
    for (const write of writes) {
      try {
        const result = write();
        if (isPromise(result)) pending.push(result);
      } catch (err) {
        failed = this.#failed(err);
      }
    }
    const settle = () => {
      if (failed)
        this.#deltas.markChanged(changed); // retried at the next flush
      else this.written += changed.length;
    };
    if (pending.length === 0) return settle();
    return Promise.allSettled(pending).then((outcomes) => {
      for (const outcome of outcomes)
        if (outcome.status === "rejected") failed = this.#failed(outcome.reason);
      settle();
    });
  }

  #failed(err: unknown): true {
    this.failures++;
    // Only the first of a run is logged: a store outage would otherwise log once per series.
    if (this.failures === 1 || this.failures % 1000 === 0) {
      this.#options.logger.warn(
        { err: String(err), failures: this.failures },
        "cumulative baseline write failed",
      );
    }
    return true;
  }
}

/** FNV-1a of the series key, into one of the partitions. */
function partitionOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % PARTITIONS;
}
