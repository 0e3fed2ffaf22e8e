// The streaming rule engine shared by `threshold`, `spike` and `anomaly` (they differ only in their
// judge, judge.ts: how a reading becomes a verdict): arriving signals update their
// group's window and can fire at once (same `next` call; ratio rules at the same instant, once
// their batch is in); a check_interval tick drives the time-based transitions (pending → firing
// after `for`, resolve, stale series). With a state store its firing groups survive a restart as
// restored, awaiting fresh data (firing-records.ts says why, restored-firings.ts how).
import type { Logger } from "pino";
import type { OperatorFunction, SchedulerLike, Subscription } from "rxjs";
import type { ComponentContext, ComponentStatus, Processor } from "../../src/component.ts";
import { type Emit as ItemEmit, operatorFromStages, type ProcessorStage } from "../../src/fuse.ts";
import type { Alert, AlertLiveness, Attributes, Item, MetricPoint } from "../../src/signal.ts";
import { buildAlert } from "./alerts.ts";
import { every } from "./every.ts";
import { FiringRecords } from "./firing-records.ts";
import { readGroup, readLast, SeriesGroup } from "./group.ts";
import { GroupIndex } from "./group-index.ts";
import { fingerprintOf } from "./matchers.ts";
import { RestoredFirings } from "./restored-firings.ts";
import { isNegativeDelta } from "./selection.ts";
import { type Reading, type RuleSpec, specStatus } from "./spec.ts";

/** Where a rule's alerts go (and its word on restored ones). */
export type Emit = (item: Alert | AlertLiveness) => void;

/** What threshold/spike/anomaly factories return: a Processor that can also list its current breaches. */
export interface RuleProcessor extends Processor {
  readonly spec: RuleSpec;
  /** Groups breaching right now (whether or not their alert has fired yet), as firing alerts. */
  breaches(): Alert[];
  /** Groups whose alert fires now, with their latest values (what the API lists). */
  firingAlerts(): Alert[];
  status(): ComponentStatus;
  shutdown(): Promise<void>;
}

export class RuleEngine {
  readonly spec: RuleSpec;
  private readonly groups: GroupIndex<SeriesGroup>;
  private readonly scheduler: SchedulerLike;
  private readonly logger: Logger;
  private matched = 0;
  private negativeDeltas = 0;
  private fired = 0;
  private resolved = 0;
  private staleDropped = 0;
  /** Points of new series not tracked because the rule already tracks `max_series`. */
  private seriesOverLimit = 0;
  /** The (at most two) metric names the selection reads; "" never matches a real name. */
  private readonly nameA: string;
  private readonly nameB: string;
  /** `last` aggregation: the value is the latest point's, whatever the time (readLast). */
  private readonly lastOnly: boolean;
  /** A verdict that cannot change without new data (a `last` threshold): quiet groups skip the tick. */
  private readonly timeInvariant: boolean;
  /**
   * Ratio groups touched by the current burst of points. Numerator and denominator are separate
   * series that arrive one after the other in the same export, so a ratio is judged once the
   * burst is in (a zero-delay action on the scheduler: same instant, after the batch).
   */
  private readonly dirtyRatios: SeriesGroup[] = [];
  private ratioCheck: Subscription | undefined;
  private ratioEmit: Emit | undefined;
  private readonly restart: RestoredFirings;

  constructor(spec: RuleSpec, scheduler: SchedulerLike, logger: Logger, records?: FiringRecords) {
    this.spec = spec;
    this.groups = new GroupIndex(spec.groupBy);
    this.nameA = spec.selection.metrics[0] ?? "\u0000";
    this.nameB = spec.selection.metrics[1] ?? this.nameA;
    this.lastOnly = spec.aggregation === "last";
    this.timeInvariant = this.lastOnly && spec.type === "threshold";
    this.scheduler = scheduler;
    this.logger = logger;
    this.restart = new RestoredFirings(spec, this.groups, scheduler, logger, records);
  }

  /** The point's group, created on first sight; undefined past max_series (counted, logged). */
  private groupFor(attributes: Attributes, resource: Attributes): SeriesGroup | undefined {
    let g = this.groups.get(attributes, resource);
    if (!g) {
      if (this.groups.size >= this.spec.maxSeries) return this.overLimit();
      const labels = this.spec.keyer.labels(attributes, resource);
      const path = this.groups.pathOf(attributes, resource);
      g = new SeriesGroup(this.spec, path, labels, fingerprintOf(this.spec.rule, labels));
      this.groups.add(g);
    }
    return g;
  }

  private overLimit(): undefined {
    // The first and then every 1000th: a flood of new series must not flood the log too.
    if (this.seriesOverLimit++ % 1000 === 0)
      this.logger.warn(
        { rule: this.spec.rule, max_series: this.spec.maxSeries, series_over_limit: this.seriesOverLimit },
        "rule tracks max_series series: points of new series are not evaluated",
      );
    return undefined;
  }

  /** Feed one item; alerts it causes are emitted synchronously. Non-selected items are ignored. */
  handle(item: Item, emit: Emit): void {
    if (item.kind === "metric") {
      // Every rule sees every point: reject by name before any other work (the clock included).
      if (item.name !== this.nameA && item.name !== this.nameB) return;
      if (this.spec.selection.shape === "ratio") this.ratioPoint(item, emit);
      else this.metricPoint(item, emit);
    } else if (item.kind === "span") {
      const sel = this.spec.selection;
      if (!sel.matchSpan(item)) return;
      const now = this.scheduler.now();
      const g = this.groupFor(item.attributes, item.resource);
      if (!g) return;
      g.addValue(now, sel.spanValue(item));
      this.matched++;
      const reading = readGroup(this.spec, g, now);
      if (reading.breach) this.stepUp(g, reading, now, emit);
    }
  }

  /**
   * A point of a metric rule, judged at once. Ratio and metric points have their own methods so
   * each keeps the type feedback of its own rules (one shared body sees every rule's shapes).
   */
  private metricPoint(item: MetricPoint, emit: Emit): void {
    if (this.spec.selection.matchMetric(item) === 0) return;
    if (isNegativeDelta(item)) {
      this.negativeDeltas++;
      return;
    }
    const now = this.scheduler.now();
    const g = this.groupFor(item.attributes, item.resource);
    if (!g) return;
    if (item.type === "histogram") g.addHistogram(now, item);
    else g.addValue(now, item.value);
    this.matched++;
    const reading = this.lastOnly ? readLast(this.spec, g, now) : readGroup(this.spec, g, now);
    if (reading.breach) this.stepUp(g, reading, now, emit);
  }

  /** A point of a ratio rule: judged once the burst it came in is in (checkRatios). */
  private ratioPoint(item: MetricPoint, emit: Emit): void {
    const bits = this.spec.selection.matchMetric(item);
    if (bits === 0) return;
    if (isNegativeDelta(item)) {
      this.negativeDeltas++;
      return;
    }
    const now = this.scheduler.now();
    const g = this.groupFor(item.attributes, item.resource);
    if (!g) return;
    g.addRatio(now, bits, item.type === "histogram" ? item.count : item.value);
    this.matched++;
    // A flag on the group instead of a Set: no hashing, and the list keeps its capacity.
    if (!g.ratioQueued) {
      g.ratioQueued = true;
      this.dirtyRatios.push(g);
    }
    if (this.ratioCheck === undefined) this.scheduleRatioCheck(emit);
  }

  /** Apart from ratioPoint: a closure over `emit` there would cost a context per point. */
  private scheduleRatioCheck(emit: Emit): void {
    this.ratioEmit = emit;
    this.ratioCheck = this.scheduler.schedule(() => this.checkRatios(emit));
  }

  /** Judge a batch still waiting for its check now: at completion and shutdown it would be lost. */
  flushRatios(): void {
    if (this.ratioCheck === undefined || this.ratioEmit === undefined) return;
    this.ratioCheck.unsubscribe();
    this.checkRatios(this.ratioEmit);
  }

  private checkRatios(emit: Emit): void {
    this.ratioCheck = undefined;
    const now = this.scheduler.now();
    const dirty = this.dirtyRatios;
    for (let i = 0; i < dirty.length; i++) {
      const g = dirty[i] as SeriesGroup;
      g.ratioQueued = false;
      const reading = readGroup(this.spec, g, now);
      if (reading.breach) this.stepUp(g, reading, now, emit);
    }
    dirty.length = 0;
  }

  private stepUp(g: SeriesGroup, reading: Reading, now: number, emit: Emit): void {
    g.lastBreachAt = now;
    if (g.phase === "firing") {
      if (g.restoredFrom !== undefined) this.restart.confirm(g, reading, now, emit);
      return;
    }
    if (g.phase === "inactive") {
      g.phase = "pending";
      g.pendingSince = now;
    }
    if (now - g.pendingSince < this.spec.forMs) return;
    g.phase = "firing";
    g.firingSince = now;
    this.fired++;
    this.logger.debug(
      { rule: this.spec.rule, fingerprint: g.fingerprint, value: reading.value },
      "rule firing",
    );
    const alert = buildAlert(this.spec, g, "firing", now, reading);
    this.restart.fired(g, alert, now);
    emit(alert);
  }

  private resolve(
    g: SeriesGroup,
    now: number,
    reading: Reading | undefined,
    stale: boolean,
    emit: Emit,
  ): void {
    g.phase = "inactive";
    this.resolved++;
    this.logger.debug({ rule: this.spec.rule, fingerprint: g.fingerprint, stale }, "rule resolved");
    const alert = buildAlert(this.spec, g, "resolved", now, reading, stale);
    this.restart.resolved(g);
    if (this.spec.resolve) emit(alert);
  }

  /** Time-driven evaluation of every group. */
  tick(emit: Emit): void {
    const now = this.scheduler.now();
    const timeInvariant = this.timeInvariant;
    for (const g of this.groups.values()) {
      if (now - g.lastAt > this.spec.staleAfterMs) {
        // Stale: never fire from old data; resolve what fired, forget the series.
        if (g.phase === "firing") this.resolve(g, now, undefined, true, emit);
        this.groups.delete(g);
        this.staleDropped++;
        continue;
      }
      // `last` does not change with time: a quiet group already judged on its last value stays so.
      if (timeInvariant && g.phase === "inactive" && g.evaluated && !g.reading.breach) continue;
      const reading = readGroup(this.spec, g, now);
      if (reading.breach) {
        this.stepUp(g, reading, now, emit);
      } else if (g.phase === "pending") {
        g.phase = "inactive";
      } else if (g.phase === "firing" && now - g.lastBreachAt >= this.spec.keepFiringForMs) {
        // No verdict (no fresh data, a window or baseline not covered) leaves a restored alert be.
        if (g.restoredFrom === undefined || !Number.isNaN(reading.value))
          this.resolve(g, now, reading, false, emit);
      }
      if (g.phase === "firing") this.restart.refresh(g, now);
    }
    this.spec.judge.tick?.(now);
  }

  /** Shutdown: judge a batch still waiting, write the firing groups' records (and the judge's state). */
  shutdown(): void {
    this.flushRatios();
    this.restart.shutdown(this.groups.values());
    this.spec.judge.shutdown?.();
  }

  breaches(): Alert[] {
    const now = this.scheduler.now();
    const out: Alert[] = [];
    for (const g of this.groups.values()) {
      if (now - g.lastAt > this.spec.staleAfterMs) continue;
      const reading = readGroup(this.spec, g, now, false);
      if (!reading.breach) continue;
      const alert = buildAlert(this.spec, g, "firing", now, reading);
      out.push(g.phase === "firing" ? alert : { ...alert, startsAt: now });
    }
    return out;
  }

  firing(): Alert[] {
    const now = this.scheduler.now();
    const out: Alert[] = [];
    for (const g of this.groups.values())
      if (g.phase === "firing") out.push(buildAlert(this.spec, g, "firing", now, g.reading));
    return out;
  }

  status(): ComponentStatus {
    let firing = 0;
    let pending = 0;
    let awaiting = 0;
    let bytes = 0;
    for (const g of this.groups.values()) {
      if (g.phase === "firing") firing++;
      else if (g.phase === "pending") pending++;
      if (g.restoredFrom !== undefined) awaiting++;
      bytes += g.bytes();
    }
    const s = this.spec;
    bytes += s.judge.bytes?.() ?? 0;
    return {
      ...specStatus(s),
      series: this.groups.size,
      max_series: s.maxSeries,
      series_over_limit: this.seriesOverLimit,
      firing,
      pending,
      firing_awaiting_data: awaiting,
      alerts_restored: this.restart.restored,
      alerts_confirmed: this.restart.confirmed,
      alerts_fired: this.fired,
      alerts_resolved: this.resolved,
      signals_matched: this.matched,
      negative_deltas_ignored: this.negativeDeltas,
      stale_series_dropped: this.staleDropped,
      state_bytes_estimate: bytes,
      ...s.judge.status?.(),
    };
  }

  /**
   * The synchronous stage: every item passes through, followed by the alerts it causes; the
   * check_interval tick (on the injected scheduler) emits into the same `emit` until closed.
   */
  stage(emit: ItemEmit): ProcessorStage {
    this.restart.wire(emit);
    const ticks = every(this.scheduler, this.spec.checkIntervalMs, () => {
      try {
        this.tick(emit);
      } catch (err) {
        this.logger.error({ err, rule: this.spec.rule }, "rule tick failed");
      }
    });
    const { nameA, nameB } = this;
    const spans = this.spec.selection.shape === "spans";
    const failed = (err: unknown) =>
      this.logger.error({ err, rule: this.spec.rule }, "rule evaluation failed");
    // One push per shape: each call site then sees one target (see metricPoint).
    const push: (item: Item) => void = spans
      ? (item) => {
          emit(item);
          if (item.kind !== "span") return;
          try {
            this.handle(item, emit);
          } catch (err) {
            failed(err);
          }
        }
      : this.spec.selection.shape === "ratio"
        ? (item) => {
            emit(item);
            // The common case, a point of another rule, is rejected here without a call.
            if (item.kind !== "metric" || (item.name !== nameA && item.name !== nameB)) return;
            try {
              this.ratioPoint(item, emit);
            } catch (err) {
              failed(err);
            }
          }
        : (item) => {
            emit(item);
            if (item.kind !== "metric" || (item.name !== nameA && item.name !== nameB)) return;
            try {
              this.metricPoint(item, emit);
            } catch (err) {
              failed(err);
            }
          };
    return {
      push,
      complete: () => this.flushRatios(),
      close: () => {
        this.restart.wire(undefined);
        ticks.unsubscribe();
        this.ratioCheck?.unsubscribe();
        this.ratioCheck = undefined;
      },
      interest: spans
        ? { kinds: ["span"] }
        : { kinds: ["metric"], metricNames: new Set(this.spec.selection.metrics) },
    };
  }

  /** The stage as an RxJS operator. */
  operator(): OperatorFunction<Item, Item> {
    return operatorFromStages([(emit) => this.stage(emit)]);
  }
}

/** A rule processor on `spec`; with a state store its firing groups survive restarts. */
export function createRuleProcessor(spec: RuleSpec, context: ComponentContext): RuleProcessor {
  const { scheduler, logger, state } = context;
  const records = state && new FiringRecords(state, context.id, scheduler, logger, spec.checkIntervalMs);
  const engine = new RuleEngine(spec, scheduler, logger, records);
  return {
    spec,
    stage: (emit) => engine.stage(emit),
    operator: engine.operator(),
    breaches: () => engine.breaches(),
    firingAlerts: () => engine.firing(),
    status: () => engine.status(),
    shutdown: async () => engine.shutdown(),
  };
}
