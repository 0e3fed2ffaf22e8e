// Built-in component factories. Wiring happens only in pipeline.yaml's service.pipelines;
// this list just makes each type available by name.
import { consoleExporterFactory } from "../exporters/console.ts";
import { fileExporterFactory } from "../exporters/file.ts";
import { sentryExporterFactory } from "../exporters/sentry.ts";
import { slackExporterFactory } from "../exporters/slack.ts";
import { anomalyFactory } from "../processors/anomaly.ts";
import { cooldownFactory } from "../processors/cooldown.ts";
import { escalationFactory } from "../processors/escalation.ts";
import { exceptionsProcessorFactory } from "../processors/exceptions.ts";
import { incidentsFactory } from "../processors/incidents.ts";
import { logMetricsProcessorFactory } from "../processors/logmetrics.ts";
import { scrubProcessorFactory } from "../processors/scrub.ts";
import { silenceFactory } from "../processors/silence.ts";
import { spanMetricsProcessorFactory } from "../processors/spanmetrics.ts";
import { spikeFactory } from "../processors/spike.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import { throttleFactory } from "../processors/throttle.ts";
import type { ComponentFactory } from "./component.ts";
import { inprocReceiverFactory } from "./inproc/receiver.ts";
import { hostMetricsReceiverFactory } from "./receivers/hostmetrics.ts";
import { otlpReceiverFactory } from "./receivers/otlp/index.ts";

export const builtinFactories: readonly ComponentFactory[] = [
  consoleExporterFactory,
  fileExporterFactory,
  slackExporterFactory,
  sentryExporterFactory,
  hostMetricsReceiverFactory,
  inprocReceiverFactory,
  otlpReceiverFactory,
  spanMetricsProcessorFactory,
  logMetricsProcessorFactory,
  scrubProcessorFactory,
  exceptionsProcessorFactory,
  thresholdFactory,
  spikeFactory,
  anomalyFactory,
  incidentsFactory,
  cooldownFactory,
  escalationFactory,
  throttleFactory,
  silenceFactory,
];
