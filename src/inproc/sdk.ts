// Starts the process's OpenTelemetry NodeSDK: the app's own OTEL_* exporters, built by the SDK from
// the environment as a plain NodeSDK would, with alertpipe's metric reader and span processor beside
// them. Loaded only when register (or startInprocessAlerting with sdk: true) needs it.
import type { Instrumentation } from "@opentelemetry/instrumentation";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { alertpipeViews } from "../pipeline-metrics.ts";
import { chooseInstrumentations, type InstrumentationConfigMap } from "./instrumentations.ts";
import type { InprocReceiver } from "./receiver.ts";
import {
  addLogRecordProcessors,
  addMetricReaders,
  appConfiguresExport,
  envSpanProcessors,
} from "./sdk-env.ts";

export interface InprocSdkOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Settings for the built-in instrumentations (http, undici, pg), merged over alertpipe's defaults. */
  readonly instrumentations?: InstrumentationConfigMap;
  /** Instrumentations of your own, started beside the built-in ones. */
  readonly extraInstrumentations?: readonly Instrumentation[];
}

export interface InprocSdk {
  readonly sdk: NodeSDK;
  /** Whether the app's OTEL_* exporters run beside alertpipe's pipeline. */
  readonly appExports: boolean;
}

export async function startInprocSdk(
  receiver: InprocReceiver,
  options: InprocSdkOptions,
): Promise<InprocSdk> {
  // NodeSDK reads process.env itself, so the decision does too.
  const appExports = appConfiguresExport(process.env);
  const instrumentations = await chooseInstrumentations({
    env: options.env,
    ...(options.instrumentations ? { configs: options.instrumentations } : {}),
    ...(options.extraInstrumentations ? { extra: options.extraInstrumentations } : {}),
  });
  const sdk = new NodeSDK({
    instrumentations,
    spanProcessors: [receiver.spanProcessor(), ...(appExports ? await envSpanProcessors() : [])],
    views: alertpipeViews(),
    // Without export settings the SDK's defaults (OTLP to localhost) stay off; the app's logs
    // (pino/winston/bunyan instrumentations, the logs API) feed the pipeline either way.
    ...(appExports
      ? {}
      : { metricReaders: [receiver.metricReader()], logRecordProcessors: [receiver.logRecordProcessor()] }),
  });
  if (appExports) {
    addMetricReaders(sdk, [receiver.metricReader()]);
    addLogRecordProcessors(sdk, [receiver.logRecordProcessor()]);
  }
  sdk.start();
  return { sdk, appExports };
}
