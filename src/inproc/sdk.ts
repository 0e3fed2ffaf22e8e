// Starts the process's OpenTelemetry NodeSDK with auto-instrumentations wired to an inproc receiver.
import { context } from "@opentelemetry/api";
import {
  getNodeAutoInstrumentations,
  type InstrumentationConfigMap,
} from "@opentelemetry/auto-instrumentations-node";
import { isTracingSuppressed } from "@opentelemetry/core";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { alertpipeViews } from "../pipeline-metrics.ts";
import type { InprocReceiver } from "./receiver.ts";

export interface InprocSdkOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Per-instrumentation overrides, merged over alertpipe's defaults. */
  readonly instrumentations?: InstrumentationConfigMap;
}

/** Requests started by alertpipe itself run with tracing suppressed: skip them (no spans, no metrics). */
const ownRequest = (): boolean => isTracingSuppressed(context.active());

/** alertpipe's defaults: chatty instrumentations off, its own Slack/Sentry calls ignored. */
export function defaultInstrumentationConfig(): InstrumentationConfigMap {
  return {
    "@opentelemetry/instrumentation-fs": { enabled: false },
    "@opentelemetry/instrumentation-dns": { enabled: false },
    "@opentelemetry/instrumentation-net": { enabled: false },
    "@opentelemetry/instrumentation-http": { ignoreOutgoingRequestHook: ownRequest },
    "@opentelemetry/instrumentation-undici": { ignoreRequestHook: ownRequest },
  };
}

export function startInprocSdk(receiver: InprocReceiver, options: InprocSdkOptions): NodeSDK {
  const sdk = new NodeSDK({
    instrumentations: [
      getNodeAutoInstrumentations({ ...defaultInstrumentationConfig(), ...options.instrumentations }),
    ],
    metricReaders: [receiver.metricReader()],
    spanProcessors: [receiver.spanProcessor()],
    views: alertpipeViews(),
    // The app's logs (pino/winston/bunyan instrumentations) feed the pipeline; no OTLP log export unless asked for.
    ...(options.env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [receiver.logRecordProcessor()] }),
  });
  sdk.start();
  return sdk;
}
