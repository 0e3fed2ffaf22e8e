// The anomaly rule's models in the state store, so a restart does not forget weeks of learning.
// Write-behind, like the OTLP receiver's delta baselines (src/receivers/otlp/baseline-store.ts):
// never per reading. A model is written when one of its slots completes or it settles (at most
// `maxWritesPerFlush` per flush, oldest first; the rest stay dirty for the next one), and every
// model that learned anything is written at shutdown. A crash loses at most the slot in progress.
//
// Layout: namespace `rules.anomaly/<component id>`, key = the series' fingerprint, value = the
// encoded model (model.ts) with the TTL of its whole history (seasons × season length): a series
// unseen that long has nothing left to remember.
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import { andThen, isPromise, type JsonValue, type StateStore } from "../../src/state/store.ts";
import { guarded } from "../state-sequence.ts";

export const anomalyNamespace = (componentId: string) => `rules.anomaly/${componentId}`;

export interface ModelStoreCounts {
  restored: number;
  written: number;
  writeFailures: number;
}

export class ModelStore {
  readonly #store: StateStore;
  readonly #ns: string;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  readonly #ttlMs: number;
  readonly counts: ModelStoreCounts = { restored: 0, written: 0, writeFailures: 0 };

  constructor(
    store: StateStore,
    componentId: string,
    scheduler: SchedulerLike,
    logger: Logger,
    ttlMs: number,
  ) {
    this.#store = store;
    this.#ns = anomalyNamespace(componentId);
    this.#scheduler = scheduler;
    this.#logger = logger;
    this.#ttlMs = ttlMs;
  }

  /** Every stored model to `take` (synchronously on memory/SQLite, later on Redis). */
  restore(take: (fingerprint: string, value: JsonValue) => boolean): void {
    const nowMs = this.#scheduler.now();
    const listed = guarded(
      this.#logger,
      "rules.anomaly.list",
      () => this.#store.list(this.#ns, nowMs),
      () => [],
    );
    const done = andThen(listed, (entries) => {
      for (const { key, value } of entries) if (take(key, value)) this.counts.restored++;
      if (this.counts.restored > 0)
        this.#logger.info({ ns: this.#ns, models: this.counts.restored }, "anomaly models restored");
    });
    if (isPromise(done))
      done.catch((err: unknown) =>
        this.#logger.warn({ err: String(err) }, "anomaly: could not restore models; learning afresh"),
      );
  }

  /** Write one model; `retry` marks it for the next flush when the write fails. */
  write(fingerprint: string, value: JsonValue, retry: () => void): void {
    const nowMs = this.#scheduler.now();
    try {
      const result = this.#store.set(this.#ns, fingerprint, value, { ttlMs: this.#ttlMs, nowMs });
      if (isPromise(result)) {
        result.then(
          () => this.counts.written++,
          (err: unknown) => this.#failed(err, retry),
        );
      } else this.counts.written++;
    } catch (err) {
      this.#failed(err, retry);
    }
  }

  #failed(err: unknown, retry: () => void): void {
    retry();
    this.counts.writeFailures++;
    // The first of a run, then every 1000th: a store outage must not log once per series.
    if (this.counts.writeFailures % 1000 === 1)
      this.#logger.warn(
        { err: String(err), failures: this.counts.writeFailures },
        "anomaly model write failed (the model stays in memory)",
      );
  }
}
