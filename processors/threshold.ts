// `threshold` processor: a rule comparing a windowed aggregation of a signal with a fixed bound.
import { z } from "zod";
import { defineFactory } from "../src/component.ts";
import { buildSpec, validateAggregation } from "./rules/build-spec.ts";
import { createRuleProcessor, type RuleProcessor } from "./rules/rule-engine.ts";
import { commonRuleShape, finiteNumber, validateSelection } from "./rules/schema.ts";
import { AGGREGATIONS } from "./rules/spec.ts";

export const thresholdConfigSchema = z.strictObject({
  ...commonRuleShape,
  /** auto = ratio for `ratio`, count for `spans`, last for `metric`. */
  aggregation: z.enum(AGGREGATIONS).default("auto"),
  op: z.enum(["above", "below"]).default("above"),
  threshold: finiteNumber("expected a number"),
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
