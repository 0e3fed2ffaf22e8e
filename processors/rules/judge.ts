// How a reading becomes a verdict: the one thing threshold, spike and anomaly rules differ in. The
// engine (rule-engine.ts) selects, groups, windows and aggregates; a judge only decides.
import type { ComponentStatus } from "../../src/component.ts";
import { baselineRaw, type SeriesGroup } from "./group.ts";
import type { Reading, RuleSpec } from "./spec.ts";

export interface Judge {
  /**
   * Decide `r.breach` (and the judge's own fields of `r`) for group `g` at `now`: `raw` is the
   * unscaled current value (a number), `r.value` the scaled one. `observe`: the reading is one of
   * the stream's own (a point, a batch, a tick), so a learning judge may learn from it; false for
   * queries (breaches()), which must not change what the rule knows.
   */
  judge(spec: RuleSpec, g: SeriesGroup, r: Reading, raw: number, now: number, observe: boolean): void;
  /** Called by the engine's check_interval tick (write-behind persistence, housekeeping). */
  tick?(now: number): void;
  /** The judge's own status fields, merged into the rule's. */
  status?(): ComponentStatus;
  /** Bytes the judge keeps, beyond the groups' windows. */
  bytes?(): number;
  shutdown?(): void;
}

/** A fixed bound: above or below `threshold`. */
export const thresholdJudge: Judge = {
  judge(spec, _g, r) {
    r.breach = spec.comparison === "below" ? r.value < spec.threshold : r.value > spec.threshold;
  },
};

/** The window against the baseline window before it: a percent increase over `threshold`. */
export const spikeJudge: Judge = {
  judge(spec, g, r, raw) {
    const base = baselineRaw(spec, g);
    if (!(base > 0)) return;
    r.baseline = base * spec.scale;
    r.increase = ((raw - base) / base) * 100;
    r.breach = r.increase > spec.threshold;
  },
};
