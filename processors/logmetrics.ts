// Log records → a count metric, like the Collector's count connector (`log.record.count`): one delta
// point of 1 per record, with the record's resource (service.name …) and its severity, so threshold
// and spike rules alert on error logs per service. Every item passes through unchanged.
import { mergeMap } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import {
  type AttributeValue,
  type Item,
  type LogSignal,
  logSeverityName,
  type Scope,
  type SumPoint,
} from "../src/signal.ts";

export const LOGMETRICS_SCOPE: Scope = { name: "alertpipe/logmetrics" };
/** The severity dimension: TRACE DEBUG INFO WARN ERROR FATAL (the Log Data Model's short names), or UNSPECIFIED. */
export const LOG_SEVERITY_ATTRIBUTE = "log.severity";

const configSchema = z
  .strictObject({
    metric: z.string().min(1).default("log.record.count").meta({
      description: "Counter each log record adds 1 to (the Collector count connector's name).",
    }),
    attributes: z.array(z.string().min(1)).default(["pipeline.component"]).meta({
      description:
        "Log record attributes copied onto the point as dimensions, beside log.severity (the resource, service.name included, is kept as is).",
    }),
  })
  .meta({
    description:
      "Counts log records per severity (log.severity) and resource, as the metric log.record.count, for rules to alert on.",
  });

export type LogMetricsConfig = z.output<typeof configSchema>;

export function logCountPoint(log: LogSignal, config: LogMetricsConfig): SumPoint {
  const attributes: Record<string, AttributeValue> = {
    [LOG_SEVERITY_ATTRIBUTE]: logSeverityName(log) ?? "UNSPECIFIED",
  };
  for (const key of config.attributes) {
    const value = log.attributes[key];
    if (value !== undefined) attributes[key] = value;
  }
  return {
    kind: "metric",
    type: "sum",
    name: config.metric,
    unit: "{record}",
    value: 1,
    monotonic: true,
    temporality: "delta",
    attributes,
    resource: log.resource,
    scope: LOGMETRICS_SCOPE,
    time: log.time,
  };
}

export const logMetricsProcessorFactory = defineFactory({
  kind: "processor",
  type: "logmetrics",
  configSchema,
  create(config): Processor {
    let counted = 0;
    return {
      operator: mergeMap((item: Item) => {
        if (item.kind !== "log") return [item];
        counted++;
        return [item, logCountPoint(item, config)];
      }),
      status: () => ({ log_records_counted: counted }),
    };
  },
});
