// `threshold` processor: a rule comparing a windowed aggregation of a signal with a fixed bound.
import { z } from "zod";
import { defineFactory } from "../src/component.ts";
import { buildSpec, validateAggregation } from "./rules/build-spec.ts";
import { createRuleProcessor, type RuleProcessor } from "./rules/rule-engine.ts";
import { commonRuleShape, finiteNumber, validateSelection } from "./rules/schema.ts";
import { AGGREGATIONS } from "./rules/spec.ts";

export const thresholdConfigSchema = z
  .strictObject({
    ...commonRuleShape,
    aggregation: z.enum(AGGREGATIONS).default("auto").meta({
      description:
        "How the window's points become one value: last avg min max sum count rate (per second) ratio p50 p75 p90 p95 p99; auto = ratio for `ratio`, count for `spans`, last for `metric`.",
    }),
    op: z
      .enum(["above", "below"])
      .default("above")
      .meta({ description: "Fire when the scaled value is above (or below) threshold." }),
    threshold: finiteNumber("expected a number").meta({
      description: "The bound the scaled value is compared with, in the rule's unit (after scale). Required.",
    }),
  })
  .meta({
    description:
      "A rule: fires when a windowed aggregation of a metric, a ratio of two counters, or spans crosses a fixed bound; the rule name is the id's name part.",
  });
export type ThresholdConfig = z.output<typeof thresholdConfigSchema>;

export const thresholdFactory = defineFactory({
  kind: "processor",
  type: "threshold",
  configSchema: thresholdConfigSchema,
  validate: (config) => [...validateSelection(config), ...validateAggregation("threshold", config)],
  create(config, context): RuleProcessor {
    const spec = buildSpec("threshold", config, context, { comparison: config.op, baselineSeconds: 0 });
    return createRuleProcessor(spec, context);
  },
});
