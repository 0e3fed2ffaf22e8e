// `anomaly` processor: a rule that learns, per series, what its value usually is at this time of
// day (or week) and fires when it deviates by more than `sensitivity` robust deviations for `for`
// (processors/anomaly/: the profile, the model, the judge, their persistence). Selection, groups,
// windows, `for`, resolve and stale data are the rule engine's, as for `threshold`.
import { z } from "zod";
import { defineFactory } from "../src/component.ts";
import { duration } from "../src/config/duration.ts";
import { AnomalyJudge } from "./anomaly/judge.ts";
import { isTimeZone } from "./anomaly/local-time.ts";
import { ModelStore } from "./anomaly/model-store.ts";
import { buildSpec, validateAggregation } from "./rules/build-spec.ts";
import { createRuleProcessor, type RuleProcessor } from "./rules/rule-engine.ts";
import {
  commonRuleShape,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
  validateSelection,
} from "./rules/schema.ts";
import { AGGREGATIONS } from "./rules/spec.ts";

const DAY_S = 86_400;
const SEASONS = { "1d": DAY_S, "1w": 7 * DAY_S } as const;
/** Defaults per seasonality: slot, seasons kept, history before the first verdict (seconds). */
const DEFAULTS = {
  "1d": { slot: 900, seasons: 14, minHistory: 3 * DAY_S },
  "1w": { slot: 3600, seasons: 4, minHistory: 14 * DAY_S },
} as const;
/** Most values one series' profile may keep (slots × seasons): 160 KB of float32 pairs. */
const MAX_PROFILE_VALUES = 20_160;
const MAX_SEASONS = 60;
const MIN_SLOT_S = 300;

export const anomalyConfigSchema = z
  .strictObject({
    ...commonRuleShape,
    aggregation: z.enum(AGGREGATIONS).default("auto").meta({
      description:
        "How the window's points become the value the rule learns: last avg min max sum count rate (per second; what a counter's throughput needs) ratio p50 p75 p90 p95 p99; auto = ratio for `ratio`, rate for `spans`, last for `metric`.",
    }),
    max_series: positiveInteger().default(1000).meta({
      description:
        "Most series the rule tracks and keeps a model for (model_bytes_per_series each, in memory and in the state store); past it a new series is not evaluated, but counted and logged.",
    }),
    for: duration("s", { zero: true })
      .prefault(300)
      .meta({ description: "How long a deviation must persist before the alert fires (seconds or 5m…)." }),
    seasonality: z.enum(["1d", "1w"]).default("1d").meta({
      description:
        "The cycle the series repeats: 1d (time of day) or 1w (time of week, weekdays apart from weekends).",
    }),
    slot: duration("s").nullable().prefault(null).meta({
      description:
        "Length of one time-of-day slot the profile keeps (seconds or 15m, 1h); divides the season. Default: 15 min for 1d, 1 h for 1w.",
    }),
    seasons: positiveInteger()
      .max(MAX_SEASONS, { error: `expected at most ${MAX_SEASONS} seasons` })
      .nullable()
      .default(null)
      .meta({
        description:
          "Seasons (days or weeks) of history kept per slot; the expectation is their median. Default: 14 for 1d, 4 for 1w.",
      }),
    min_history: duration("s").nullable().prefault(null).meta({
      description:
        "History a series needs before the rule gives any verdict on it (seconds or 3d, 2w); at least one season. Default: 3d for 1d, 2w for 1w.",
    }),
    sensitivity: positiveNumber().default(5).meta({
      description:
        "Robust deviations (≈ standard deviations of normal readings at that time of day) from the expected value that count as a breach.",
    }),
    direction: z.enum(["above", "below", "both"]).default("both").meta({
      description: "Which deviations fire: above (surges), below (collapses) or both.",
    }),
    settle_after: duration("s").prefault(7200).meta({
      description:
        "A deviation lasting this long is taken as the new normal (a holiday, a level shift): the alert resolves, saying so, and the rule follows the recent level until the usual profile holds again for as long.",
    }),
    min_deviation: nonNegativeNumber().default(0).meta({
      description:
        "Smallest robust deviation, in the rule's unit (after scale): keeps a near-constant series from firing on tiny changes. The deviation is never taken below 1 % of the expected value either.",
    }),
    timezone: z
      .string()
      .refine(isTimeZone, { error: "expected an IANA time zone such as UTC or Europe/Berlin" })
      .default("UTC")
      .meta({ description: "Time zone whose local days (and DST) the slots follow, e.g. Europe/Berlin." }),
  })
  .meta({
    description:
      "A rule that learns each series' usual value per time of day (or week) and fires when it deviates by more than `sensitivity` robust deviations for `for`; no verdict before `min_history`.",
  });
export type AnomalyConfig = z.output<typeof anomalyConfigSchema>;

/** Slot, seasons and history with the seasonality's defaults filled in (seconds). */
function resolved(config: AnomalyConfig) {
  const d = DEFAULTS[config.seasonality];
  return {
    periodS: SEASONS[config.seasonality],
    slotS: config.slot ?? d.slot,
    seasons: config.seasons ?? d.seasons,
    minHistoryS: config.min_history ?? d.minHistory,
  };
}

type Issue = { path: (string | number)[]; message: string; related?: (string | number)[][] };

function validateModel(config: AnomalyConfig): Issue[] {
  const { periodS, slotS, seasons, minHistoryS } = resolved(config);
  const issues: Issue[] = [];
  if (slotS < MIN_SLOT_S || slotS > periodS / 4 || (periodS / slotS) % 1 !== 0) {
    issues.push({
      path: ["slot"],
      message: `expected a slot of at least ${MIN_SLOT_S} s that divides the ${config.seasonality} season (${periodS} s) into 4 or more, got ${slotS} s`,
      related: [["seasonality"]],
    });
    return issues;
  }
  const values = (periodS / slotS) * seasons;
  if (values > MAX_PROFILE_VALUES) {
    issues.push({
      path: ["seasons"],
      message: `${periodS / slotS} slots × ${seasons} seasons = ${values} values per series, more than ${MAX_PROFILE_VALUES} (${(MAX_PROFILE_VALUES * 8) / 1024} KB): widen slot or keep fewer seasons`,
      related: [["slot"]],
    });
  }
  if (minHistoryS < periodS || minHistoryS > periodS * seasons) {
    issues.push({
      path: ["min_history"],
      message: `expected between one season (${periodS} s) and the history kept (${seasons} seasons = ${periodS * seasons} s), got ${minHistoryS} s`,
      related: [["seasons"], ["seasonality"]],
    });
  }
  if (config.settle_after <= config.for) {
    issues.push({
      path: ["settle_after"],
      message: `must be longer than for (${config.for} s), got ${config.settle_after} s`,
      related: [["for"]],
    });
  }
  return issues;
}

export const anomalyFactory = defineFactory({
  kind: "processor",
  type: "anomaly",
  configSchema: anomalyConfigSchema,
  validate: (config) => [
    ...validateSelection(config),
    ...validateAggregation("anomaly", config),
    ...validateModel(config),
  ],
  create(config, context): RuleProcessor {
    const { periodS, slotS, seasons, minHistoryS } = resolved(config);
    const shape = { periodMs: periodS * 1000, slotMs: slotS * 1000, seasons };
    const { scheduler, logger, state } = context;
    const spec = buildSpec("anomaly", { ...config, threshold: config.sensitivity }, context, {
      comparison: "deviation",
      baselineSeconds: 0,
    });
    const { aggregation } = spec;
    // What the learned values are: a model stored for other readings would expect the wrong thing.
    const signature = [
      spec.selection.shape,
      spec.selection.metrics.join(","),
      aggregation,
      config.window,
      config.scale,
      slotS,
      periodS,
      seasons,
      config.timezone,
    ].join("|");
    const store = state && new ModelStore(state, context.id, scheduler, logger, shape.periodMs * seasons);
    const judge = new AnomalyJudge(
      {
        shape,
        weekly: config.seasonality === "1w",
        minHistoryMs: minHistoryS * 1000,
        sensitivity: config.sensitivity,
        direction: config.direction,
        settleAfterMs: config.settle_after * 1000,
        minDeviation: config.min_deviation,
        timeZone: config.timezone,
        aggregation,
        signature,
        maxModels: config.max_series,
      },
      scheduler,
      logger,
      store,
    );
    return createRuleProcessor({ ...spec, judge }, context);
  },
});
