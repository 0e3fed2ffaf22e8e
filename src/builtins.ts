// Built-in component factories. Wiring happens only in pipeline.yaml's service.pipelines;
// this list just makes each type available by name.
import { consoleExporterFactory } from "../exporters/console.ts";
import { spanMetricsProcessorFactory } from "../processors/spanmetrics.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import type { ComponentFactory } from "./component.ts";
import { hostMetricsReceiverFactory } from "./receivers/hostmetrics.ts";

export const builtinFactories: readonly ComponentFactory[] = [
  consoleExporterFactory,
  hostMetricsReceiverFactory,
  spanMetricsProcessorFactory,
  thresholdFactory,
];
