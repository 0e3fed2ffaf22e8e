// The restart side of a rule engine: its firing groups' records (firing-records.ts says why),
// restored at start as groups firing but awaiting fresh data, announced downstream (AlertLiveness
// `restored`, once the stage is wired) and confirmed by the first fresh breach (`confirmed`).
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import type { Emit } from "../../src/fuse.ts";
import type { Alert, AlertLiveness } from "../../src/signal.ts";
import { buildAlert } from "./alerts.ts";
import type { FiringRecords, SavedFiring } from "./firing-records.ts";
import { SeriesGroup } from "./group.ts";
import { type GroupIndex, pathOfLabels } from "./group-index.ts";
import { fingerprintOf } from "./matchers.ts";
import type { Reading, RuleSpec } from "./spec.ts";

/** How often a firing group's record is rewritten at most (its last data time; liveness on Redis). */
const RECORD_REFRESH_MS = 15_000;

export class RestoredFirings {
  readonly #spec: RuleSpec;
  readonly #groups: GroupIndex<SeriesGroup>;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  readonly #records: FiringRecords | undefined;
  /** `restored` notices waiting for the stage to be wired (sent by a zero-delay action). */
  readonly #notices: AlertLiveness[] = [];
  #send: Subscription | undefined;
  #out: Emit | undefined;
  restored = 0;
  confirmed = 0;

  constructor(
    spec: RuleSpec,
    groups: GroupIndex<SeriesGroup>,
    scheduler: SchedulerLike,
    logger: Logger,
    records: FiringRecords | undefined,
  ) {
    this.#spec = spec;
    this.#groups = groups;
    this.#scheduler = scheduler;
    this.#logger = logger;
    this.#records = records;
    records?.restore((fingerprint, saved) => this.#restore(fingerprint, saved));
  }

  /** A group that fired before the restart: firing again, awaiting fresh data. */
  #restore(fingerprint: string, saved: SavedFiring): void {
    const { labels } = saved;
    if (fingerprintOf(this.#spec.rule, labels) !== fingerprint) return; // another rule's (renamed)
    const path = pathOfLabels(this.#spec.groupBy, labels);
    const now = this.#scheduler.now();
    let g = this.#groups.at(path);
    if (g?.phase === "firing") return; // fired here since the start: live already
    if (!g) {
      g = new SeriesGroup(this.#spec, path, labels, fingerprint);
      g.lastAt = now; // the stale time runs from the restart
      this.#groups.add(g);
    }
    g.phase = "firing";
    g.firingSince = saved.firingSince;
    g.lastBreachAt = now;
    g.restoredFrom = saved.lastDataAt;
    g.firingAlert = saved.alert;
    g.savedAt = now;
    this.restored++;
    this.#logger.info(
      { rule: this.#spec.rule, fingerprint, last_data: new Date(saved.lastDataAt).toISOString() },
      "firing alert restored; waiting for fresh data",
    );
    this.#notices.push({ kind: "liveness", state: "restored", alert: saved.alert, at: now });
    this.#sendLater();
  }

  /** The stage's emit: queued `restored` notices go there once the pipeline is wired. */
  wire(out: Emit | undefined): void {
    this.#out = out;
    this.#sendLater();
  }

  #sendLater(): void {
    if (this.#send || this.#notices.length === 0) return;
    this.#send = this.#scheduler.schedule(() => {
      this.#send = undefined;
      const out = this.#out;
      if (out) for (const notice of this.#notices.splice(0)) out(notice);
    });
  }

  /** A group fired (`alert`): its record is written. */
  fired(g: SeriesGroup, alert: Alert, now: number): void {
    g.firingAlert = alert;
    this.#save(g, now);
  }

  /** Fresh data breach for a restored group: live again; downstream timers may resume. */
  confirm(g: SeriesGroup, reading: Reading, now: number, emit: (item: AlertLiveness) => void): void {
    g.restoredFrom = undefined;
    this.confirmed++;
    const alert = buildAlert(this.#spec, g, "firing", now, reading);
    this.#logger.info({ rule: this.#spec.rule, fingerprint: g.fingerprint }, "restored alert confirmed");
    this.fired(g, alert, now);
    emit({ kind: "liveness", state: "confirmed", alert, at: now });
  }

  /** A group resolved: its record goes. */
  resolved(g: SeriesGroup): void {
    g.restoredFrom = undefined;
    g.firingAlert = undefined;
    this.#records?.forget(g.fingerprint);
  }

  /** Tick: keep a firing group's record current, at most every RECORD_REFRESH_MS. */
  refresh(g: SeriesGroup, now: number): void {
    if (now - g.savedAt >= RECORD_REFRESH_MS) this.#save(g, now);
  }

  /** Shutdown: every firing group's record with its last data time. */
  shutdown(groups: Iterable<SeriesGroup>): void {
    const now = this.#scheduler.now();
    for (const g of groups) if (g.phase === "firing") this.#save(g, now);
    this.#records?.close();
    this.#send?.unsubscribe();
  }

  #save(g: SeriesGroup, now: number): void {
    if (!this.#records || !g.firingAlert) return;
    g.savedAt = now;
    this.#records.save(g.fingerprint, {
      labels: g.labels,
      firingSince: g.firingSince,
      lastDataAt: g.restoredFrom ?? g.lastAt,
      alert: g.firingAlert,
    });
  }
}
