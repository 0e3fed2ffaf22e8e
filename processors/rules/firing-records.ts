// A rule's firing groups in the state store, so a restarted rule knows what is firing.
//
// Why: a rule's windows live in memory. Without these records a restart forgot every firing
// alert: nothing ever resolved it, while the escalation and cooldown processors (which persist
// their own state) still acted on it on their timers, e.g. an [ESCALATED] at once for an alert
// nobody had seen data for since the restart. With them, the restarted rule holds each firing
// group as "restored": firing, not confirmed by any data yet. It says so downstream
// (AlertLiveness `restored`), and then either fresh data judge it (a breach: `confirmed`, and the
// notice processors resume their timers; no breach: resolved as usual), or no data comes within
// the rule's stale time and it resolves once, "no data since restart".
//
// Layout: namespace `rules.firing/<component id>`, key = fingerprint, value SavedFiring; written
// when a group fires, refreshed by the check_interval tick while it fires (its last data time),
// deleted when it resolves. memory/SQLite (one process per file): every record is restored at
// start. Redis (instances share the namespace and fire the same groups): a record a live instance
// refreshed within 2 check intervals + 1 min is that instance's, and restored only once nobody
// refreshes it any more (its instances are gone).
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import type { Alert } from "../../src/signal.ts";
import {
  andThen,
  isPromise,
  type JsonValue,
  type MaybePromise,
  type StateStore,
} from "../../src/state/store.ts";
import { guarded, persist } from "../state-sequence.ts";

export const firingNamespace = (componentId: string) => `rules.firing/${componentId}`;

export interface SavedFiring {
  readonly labels: Readonly<Record<string, string>>;
  readonly firingSince: number;
  /** Arrival time (ms) of the group's last data when the record was written. */
  readonly lastDataAt: number;
  readonly savedAtMs: number;
  /** The firing alert as last built (the values it was last seen with). */
  readonly alert: Alert;
}

/** Records live a week: a collector down longer than that has nothing left to resolve. */
const RECORD_TTL_MS = 7 * 24 * 3_600_000;

export class FiringRecords {
  readonly #store: StateStore;
  readonly #ns: string;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  /** A Redis record not refreshed this long has no live instance. */
  readonly #orphanMs: number;
  #recheck: Subscription | undefined;

  constructor(
    store: StateStore,
    componentId: string,
    scheduler: SchedulerLike,
    logger: Logger,
    checkIntervalMs: number,
  ) {
    this.#store = store;
    this.#ns = firingNamespace(componentId);
    this.#scheduler = scheduler;
    this.#logger = logger;
    this.#orphanMs = 2 * checkIntervalMs + 60_000;
  }

  save(fingerprint: string, record: Omit<SavedFiring, "savedAtMs">): void {
    const nowMs = this.#scheduler.now();
    const value: SavedFiring = { ...record, savedAtMs: nowMs };
    persist(this.#logger, "rules.firing.set", () =>
      this.#store.set(this.#ns, fingerprint, value as unknown as JsonValue, {
        ttlMs: RECORD_TTL_MS,
        nowMs,
      }),
    );
  }

  forget(fingerprint: string): void {
    persist(this.#logger, "rules.firing.delete", () => this.#store.delete(this.#ns, fingerprint));
  }

  /**
   * Hand every restorable record to `restore`: at once (memory/SQLite: synchronously), or on
   * Redis once no live instance refreshes it (checked again then; `restore` skips what it has).
   */
  restore(restore: (fingerprint: string, saved: SavedFiring) => void): void {
    const nowMs = this.#scheduler.now();
    const shared = this.#store.backend === "redis";
    const listed = guarded(
      this.#logger,
      "rules.firing.list",
      () => this.#store.list(this.#ns, nowMs),
      () => [],
    );
    const done: MaybePromise<void> = andThen(listed, (entries) => {
      let recheckAt = Number.POSITIVE_INFINITY;
      for (const { key, value } of entries) {
        const saved = savedOf(value);
        if (!saved) continue;
        if (shared && nowMs - saved.savedAtMs < this.#orphanMs) {
          recheckAt = Math.min(recheckAt, saved.savedAtMs + this.#orphanMs);
          continue;
        }
        try {
          restore(key, saved);
        } catch (err) {
          this.#logger.warn({ err: String(err), fingerprint: key }, "rule: could not restore a firing alert");
        }
      }
      if (recheckAt < Number.POSITIVE_INFINITY) {
        this.#recheck?.unsubscribe();
        this.#recheck = this.#scheduler.schedule(
          () => this.restore(restore),
          Math.max(0, recheckAt - nowMs) + 1000,
        );
      }
    });
    if (isPromise(done))
      done.catch((err: unknown) =>
        this.#logger.warn({ err: String(err) }, "rule: could not restore firing alerts"),
      );
  }

  close(): void {
    this.#recheck?.unsubscribe();
    this.#recheck = undefined;
  }
}

function savedOf(value: JsonValue | undefined): SavedFiring | undefined {
  const saved = value as unknown as SavedFiring | undefined;
  return saved &&
    typeof saved.firingSince === "number" &&
    typeof saved.lastDataAt === "number" &&
    typeof saved.savedAtMs === "number" &&
    saved.alert?.kind === "alert" &&
    typeof saved.labels === "object"
    ? saved
    : undefined;
}
