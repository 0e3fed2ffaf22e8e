// alertpipe's public API: run a pipeline (collector or in-process), the users' guide's service
// classes, the seed metric helpers, and what a custom component needs.

export {
  type AlertServiceOptions,
  type AlertStatus,
  ComprehensiveAlertService,
  type ReviewRateSpikeInput,
  type SystemFailureInput,
} from "./alert-service.ts";
export type {
  ComponentContext,
  ComponentFactory,
  ComponentKind,
  ComponentStatus,
  Exporter,
  ExporterFactory,
  ProbeResult,
  Processor,
  ProcessorFactory,
  Receiver,
  ReceiverFactory,
} from "./component.ts";
export { defineFactory } from "./component.ts";
export { ConfigError, type ConfigProblem, formatProblem } from "./config/errors.ts";
export { PermanentDeliveryError, RateLimitedDeliveryError } from "./delivery/outcome.ts";
export { withDeliveryQueue } from "./delivery/queued-exporter.ts";
export {
  type InprocessAlertingHandle,
  type InprocessAlertingOptions,
  startInprocessAlerting,
} from "./inproc/attach.ts";
export type { InstrumentationConfigMap } from "./inproc/instrumentations.ts";
export { createInprocReceiver, type InprocReceiver } from "./inproc/receiver.ts";
export { type Breach, type MonitoringStatus, ThresholdMonitoringService } from "./monitoring-service.ts";
export {
  alertpipeViews,
  DatabaseMetrics,
  httpClientDurationView,
  LONG_LATENCY_BUCKETS_SECONDS,
  PipelineMetrics,
} from "./pipeline-metrics.ts";
export { Registry } from "./registry.ts";
export { createScrubber, defaultScrubber } from "./scrub/scrub.ts";
export {
  type LlmErrorInput,
  type PipelineErrorInput,
  SentryIntegration,
  type SentryIntegrationOptions,
} from "./sentry-integration.ts";
export {
  type AlertPipelineHandle,
  type AlertPipelineOptions,
  DEFAULT_CONFIG_PATH,
  loadConfig,
  startAlertPipeline,
} from "./service.ts";
export type * from "./signal.ts";
export { openStateStore, type StateStore } from "./state/index.ts";
