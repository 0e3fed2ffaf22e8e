// `spike` processor: fires when the rate window's value rises more than `threshold` percent over
// the baseline of the preceding `baseline_window` (no baseline → no alert; min_samples guards noise).
import { z } from "zod";
import { defineFactory } from "../src/component.ts";
import { duration } from "../src/config/duration.ts";
import { buildSpec, validateAggregation } from "./rules/build-spec.ts";
import { createRuleProcessor, type RuleProcessor } from "./rules/rule-engine.ts";
import { commonRuleShape, finiteNumber, positiveNumber, validateSelection } from "./rules/schema.ts";
import { AGGREGATIONS } from "./rules/spec.ts";

export const spikeConfigSchema = z
  .strictObject({
    ...commonRuleShape,
    aggregation: z.enum(AGGREGATIONS).default("auto").meta({
      description:
        "How the window and the baseline each become one value: rate (per second), sum, count, avg or ratio; auto = ratio for `ratio`, rate otherwise.",
    }),
    threshold: finiteNumber("expected a number (percent increase)").default(50).meta({
      description:
        "Percent increase over the baseline that fires (50 = the window's value is 1.5 × the baseline's).",
    }),
    baseline_window: duration("s").prefault(3600).meta({
      description:
        "History just before the window that forms the baseline: seconds, or a duration like 1h (ALERT_BASELINE_WINDOW); at most 100 × window.",
    }),
    min_samples: positiveNumber().default(10).meta({
      description:
        "Least data required in both the window and the baseline: points, or the denominator's totals for a ratio.",
    }),
  })
  .meta({
    description:
      "A rule: fires when the window's value rises more than `threshold` percent over the preceding baseline window (no baseline, no alert).",
  });
export type SpikeConfig = z.output<typeof spikeConfigSchema>;

const MAX_BASELINE_WINDOWS = 100;

export const spikeFactory = defineFactory({
  kind: "processor",
  type: "spike",
  configSchema: spikeConfigSchema,
  validate: (config) => [
    ...validateSelection(config),
    ...validateAggregation("spike", config),
    // The baseline is kept in window-sized slots per series: bound the memory a typo could ask for.
    ...(config.baseline_window / config.window > MAX_BASELINE_WINDOWS
      ? [
          {
            path: ["baseline_window"],
            message:
              `at most ${MAX_BASELINE_WINDOWS} × window (${config.window} s), got ${config.baseline_window} s: ` +
              "lower baseline_window or widen window",
            related: [["window"]],
          },
        ]
      : []),
  ],
  create(config, context): RuleProcessor {
    const spec = buildSpec("spike", config, context, {
      comparison: "increase",
      baselineSeconds: config.baseline_window,
    });
    return createRuleProcessor(spec, context);
  },
});
