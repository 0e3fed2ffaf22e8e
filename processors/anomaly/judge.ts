// The anomaly rule's judge: a reading is compared with what its series' model expects at this
// local time (the seasonal profile × a slowly learned level factor, ± sensitivity robust
// deviations), and the readings of arriving data (one a minute) teach the model. No verdict
// before `min_history`.
//
// Settling: a deviation lasting `settle_after` is taken as the new normal (a holiday, a level
// shift): from then on a reading near the recent level (its quarter-hour EWMA, or the profile
// times the recent ratio) is no breach, so the alert resolves once, saying so; a further change
// (an outage on the holiday) still fires. It ends once the profile holds again for `settle_after`.
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { ComponentStatus } from "../../src/component.ts";
import type { JsonValue } from "../../src/state/store.ts";
import { type SeriesGroup, windowCovered } from "../rules/group.ts";
import type { Judge } from "../rules/judge.ts";
import { type Reading, type ResolvedAggregation, type RuleSpec, scalesWithWindow } from "../rules/spec.ts";
import { LocalClock, MONDAY_SHIFT_MS } from "./local-time.ts";
import { modelBytes, SeriesModel } from "./model.ts";
import type { ModelStore } from "./model-store.ts";
import type { Expectation, ProfileShape } from "./profile.ts";

export type Direction = "above" | "below" | "both";

export interface AnomalyOptions {
  readonly shape: ProfileShape;
  readonly weekly: boolean;
  readonly minHistoryMs: number;
  readonly sensitivity: number;
  readonly direction: Direction;
  readonly settleAfterMs: number;
  /** Least robust deviation, in the rule's unit (a floor for near-constant series). */
  readonly minDeviation: number;
  readonly timeZone: string;
  readonly aggregation: ResolvedAggregation;
  /** What the readings are: a stored model of other readings (metric, window, slots…) is not used. */
  readonly signature: string;
  /** Most models kept in memory (the rule's max_series). */
  readonly maxModels: number;
}

/** One reading a minute teaches the model (more would weigh busy series' slots more). */
export const SAMPLE_MS = 60_000;
/** Time constant of the recent level (fast factor and reading EWMA). */
const FAST_MS = 15 * 60_000;
/** Time constant of the slow level factor (drift between the profile's medians and today). */
const LEVEL_MS = 86_400_000;
/** A deviation is never taken smaller than 1 % of the expected value. */
const RELATIVE_FLOOR = 0.01;
const EPS = 1e-9;
const FLUSH_MS = 60_000;
const MAX_WRITES_PER_FLUSH = 1000;
const SWEEP_MS = 3_600_000;

export class AnomalyJudge implements Judge {
  readonly #o: AnomalyOptions;
  readonly #clock: LocalClock;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  readonly #store: ModelStore | undefined;
  /** fingerprint → model, least recently taught first. */
  readonly #models = new Map<string, SeriesModel>();
  /** Seasons both neighbouring slots need before they are trusted. */
  readonly #need: number;
  readonly #samplesPerSlot: number;
  readonly #shift: number;
  readonly #needsCoverage: boolean;
  readonly #nonNegative: boolean;
  readonly #expect: Expectation = { center: Number.NaN, scale: Number.NaN };
  #minute = Number.NaN;
  #minuteText = "";
  #lastFlush = Number.NEGATIVE_INFINITY;
  #lastSweep = Number.NEGATIVE_INFINITY;
  #discarded = 0;
  #evicted = 0;

  constructor(options: AnomalyOptions, scheduler: SchedulerLike, logger: Logger, store?: ModelStore) {
    this.#o = options;
    this.#clock = new LocalClock(options.timeZone);
    this.#scheduler = scheduler;
    this.#logger = logger;
    this.#store = store;
    const { shape } = options;
    this.#need = Math.min(shape.seasons, Math.max(1, Math.floor(options.minHistoryMs / shape.periodMs)));
    this.#samplesPerSlot = Math.max(1, Math.round(shape.slotMs / SAMPLE_MS));
    this.#shift = options.weekly ? MONDAY_SHIFT_MS : 0;
    this.#needsCoverage = scalesWithWindow(options.aggregation);
    this.#nonNegative = ["rate", "count", "ratio"].includes(options.aggregation);
    this.#lastFlush = scheduler.now();
    store?.restore((fingerprint, value) => this.#adopt(fingerprint, value));
  }

  judge(spec: RuleSpec, g: SeriesGroup, r: Reading, _raw: number, now: number, observe: boolean): void {
    let m = g.model as SeriesModel | undefined;
    if (m === undefined || m.retired) {
      m = this.#modelFor(g.fingerprint);
      g.model = m;
    }
    // The value is read as data arrives; between arrivals (ticks) the last arrival's value stands:
    // a window edge passing an export (4 exports in the window instead of 5) is not a drop.
    const arrival = now === g.lastAt;
    if (arrival) {
      // A window not yet (or no longer) full of data reads low: neither judged nor learned.
      if (this.#needsCoverage && !windowCovered(g)) return;
      m.arrivalValue = r.value;
      m.arrivalAt = now;
    } else {
      if (!(now - m.arrivalAt <= spec.staleAfterMs)) return;
      r.value = m.arrivalValue;
    }
    const x = r.value;
    const local = this.#clock.local(now);
    const e = this.#expect;
    const profiled = m.profile.expect(local + this.#shift, this.#need, e);
    const known = profiled && now - m.firstAt >= this.#o.minHistoryMs;
    let outside = false;
    if (known) {
      const o = this.#o;
      const center = e.center * m.level;
      const scale = Math.max(e.scale * m.level, o.minDeviation, RELATIVE_FLOOR * Math.abs(center), EPS);
      const z = (x - center) / scale;
      outside =
        o.direction === "both"
          ? Math.abs(z) > o.sensitivity
          : o.direction === "above"
            ? z > o.sensitivity
            : z < -o.sensitivity;
      let breach = outside;
      if (outside && m.settled) {
        const usual = Math.abs(e.center);
        const relative = e.scale / Math.max(usual, EPS);
        if (this.#near(x, m.recent, relative, usual) || this.#near(x, e.center * m.fast, relative, usual))
          breach = false;
      }
      const band = m.band;
      band.center = center;
      // Rates, counts and ratios of counters are never negative: neither is what is expected of them.
      band.low = this.#nonNegative
        ? Math.max(0, center - o.sensitivity * scale)
        : center - o.sensitivity * scale;
      band.high = center + o.sensitivity * scale;
      band.deviations = z;
      band.timeOfDay = this.#timeOfDay(local);
      band.settled = outside && !breach; // off the band, but at the level taken as the new normal
      band.deviatingForMs = Number.isNaN(m.deviatingSince) ? 0 : now - m.deviatingSince;
      r.expected = band;
      r.breach = breach;
    }
    if (observe && arrival && now - m.lastSampleAt >= SAMPLE_MS) {
      this.#learn(
        g.fingerprint,
        m,
        x,
        local + this.#shift,
        now,
        profiled ? e.center : Number.NaN,
        known,
        outside,
      );
    }
  }

  /**
   * Within sensitivity × the relative scale of a reference level (the recent past). A level under
   * 1 % of the usual one (a collapse to nothing, an outage) is never taken as the new normal.
   */
  #near(x: number, reference: number, relative: number, usual: number): boolean {
    const o = this.#o;
    const abs = Math.abs(reference);
    if (!(abs >= RELATIVE_FLOOR * usual) || abs <= EPS) return false;
    const tolerance = o.sensitivity * Math.max(relative * abs, o.minDeviation, RELATIVE_FLOOR * abs, EPS);
    return Math.abs(x - reference) <= tolerance;
  }

  #learn(
    fingerprint: string,
    m: SeriesModel,
    x: number,
    seasonal: number,
    now: number,
    profileCenter: number,
    known: boolean,
    outside: boolean,
  ): void {
    const dt = now - m.lastSampleAt;
    m.lastSampleAt = now;
    if (Number.isNaN(m.firstAt)) m.firstAt = now;
    // An anomaly does not teach the profile (it would expect it tomorrow) until it has settled as
    // the new normal; before any verdict is possible everything does.
    if ((!known || !outside || m.settled) && m.profile.add(x, seasonal)) m.dirty = true;
    m.changed = true;
    // Least recently taught first: re-inserting moves the model to the end.
    this.#models.delete(fingerprint);
    this.#models.set(fingerprint, m);
    const fast = 1 - Math.exp(-dt / FAST_MS);
    m.recent = Number.isNaN(m.recent) ? x : m.recent + fast * (x - m.recent);
    const ratio = Math.abs(profileCenter) > EPS ? x / profileCenter : Number.NaN;
    if (!Number.isNaN(ratio)) m.fast = Number.isNaN(m.fast) ? ratio : m.fast + fast * (ratio - m.fast);
    if (!known) return;
    if (!outside) {
      // Only readings inside the band teach the slow level: an anomaly must not become the baseline.
      if (!Number.isNaN(ratio)) m.level += (1 - Math.exp(-dt / LEVEL_MS)) * (ratio - m.level);
      m.deviatingSince = Number.NaN;
      if (!m.settled) return;
      if (Number.isNaN(m.insideSince)) m.insideSince = now;
      if (now - m.insideSince >= this.#o.settleAfterMs) {
        m.settled = false;
        m.insideSince = Number.NaN;
        m.dirty = true;
      }
      return;
    }
    m.insideSince = Number.NaN;
    if (Number.isNaN(m.deviatingSince)) m.deviatingSince = now;
    if (!m.settled && now - m.deviatingSince >= this.#o.settleAfterMs) {
      m.settled = true;
      m.dirty = true;
      this.#logger.info(
        { fingerprint, deviating_since: new Date(m.deviatingSince).toISOString() },
        "anomaly: a long deviation is taken as the new normal (settled)",
      );
    }
  }

  /** "14:05 UTC" for the current minute (one string a minute, not one a reading). */
  #timeOfDay(local: number): string {
    const minute = Math.floor(local / 60_000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#minuteText = this.#clock.timeOfDay(local, this.#o.weekly);
    }
    return this.#minuteText;
  }

  #modelFor(fingerprint: string): SeriesModel {
    const known = this.#models.get(fingerprint);
    if (known) return known;
    if (this.#models.size >= this.#o.maxModels) this.#evictOldest();
    const m = new SeriesModel(this.#o.shape, this.#samplesPerSlot);
    this.#models.set(fingerprint, m);
    return m;
  }

  #evictOldest(): void {
    const oldest = this.#models.keys().next();
    if (oldest.done) return;
    const m = this.#models.get(oldest.value);
    if (m) m.retired = true;
    this.#models.delete(oldest.value);
    this.#evicted++;
  }

  /** A stored model: taken unless a live one has learned longer (Redis answers after points came). */
  #adopt(fingerprint: string, value: JsonValue): boolean {
    const o = this.#o;
    const stored = SeriesModel.decode(value, o.signature, o.shape, this.#samplesPerSlot);
    if (!stored) {
      if (this.#discarded++ === 0)
        this.#logger.info(
          { fingerprint },
          "anomaly: a stored model does not match the rule (metric, aggregation, window, scale, slot, seasons or time zone changed): learning afresh",
        );
      return false;
    }
    const live = this.#models.get(fingerprint);
    if (live && !(live.firstAt > stored.firstAt)) return false;
    if (!live && this.#models.size >= o.maxModels) return false;
    if (live) live.retired = true;
    this.#models.set(fingerprint, stored);
    return true;
  }

  tick(now: number): void {
    if (now - this.#lastSweep >= SWEEP_MS) {
      this.#lastSweep = now;
      // A model untaught for its whole history has nothing left to remember.
      const ttl = this.#o.shape.periodMs * this.#o.shape.seasons;
      for (const [fingerprint, m] of this.#models) {
        if (now - m.lastSampleAt <= ttl) continue;
        m.retired = true;
        this.#models.delete(fingerprint);
      }
    }
    if (!this.#store || now - this.#lastFlush < FLUSH_MS) return;
    this.#lastFlush = now;
    this.#write((m) => m.dirty, MAX_WRITES_PER_FLUSH);
  }

  /** Write models `due` says should go, at most `budget`, least recently taught first. */
  #write(due: (m: SeriesModel) => boolean, budget: number): void {
    const store = this.#store;
    if (!store) return;
    let left = budget;
    for (const [fingerprint, m] of this.#models) {
      if (left <= 0) break;
      if (!due(m)) continue;
      m.dirty = m.changed = false;
      left--;
      store.write(fingerprint, m.encode(this.#o.signature), () => {
        m.dirty = m.changed = true;
      });
    }
  }

  shutdown(): void {
    this.#write((m) => m.changed, Number.POSITIVE_INFINITY);
  }

  bytes(): number {
    return this.#models.size * modelBytes(this.#o.shape);
  }

  status(): ComponentStatus {
    const now = this.#scheduler.now();
    let learning = 0;
    let settled = 0;
    for (const m of this.#models.values()) {
      if (!(now - m.firstAt >= this.#o.minHistoryMs)) learning++;
      if (m.settled) settled++;
    }
    const o = this.#o;
    const counts = this.#store?.counts;
    return {
      seasonality: o.weekly ? "1w" : "1d",
      slot_seconds: o.shape.slotMs / 1000,
      seasons: o.shape.seasons,
      timezone: o.timeZone,
      sensitivity: o.sensitivity,
      direction: o.direction,
      min_history_seconds: o.minHistoryMs / 1000,
      settle_after_seconds: o.settleAfterMs / 1000,
      models: this.#models.size,
      models_learning: learning,
      models_settled: settled,
      model_bytes_per_series: modelBytes(o.shape),
      model_bytes: this.bytes(),
      models_evicted: this.#evicted,
      models_restored: counts?.restored ?? 0,
      models_discarded: this.#discarded,
      models_written: counts?.written ?? 0,
      model_write_failures: counts?.writeFailures ?? 0,
    };
  }
}
