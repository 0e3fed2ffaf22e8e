// What a plain NodeSDK builds from the app's OTEL_* variables, so alertpipe's reader and span processor
// join the app's exporters instead of replacing them. NodeSDK takes either its `spanProcessors` /
// `metricReaders` options or the environment's exporters, never both, and exports no helper for the
// latter (open-telemetry/opentelemetry-js#5299). So this reuses the SDK's own env handling: the span
// processors from its utils module, the metric readers from the list its constructor built. Both are
// internals of the exact @opentelemetry/sdk-node version package.json pins; a mismatch fails loudly.
import type { LogRecordProcessor } from "@opentelemetry/sdk-logs";
import type { IMetricReader } from "@opentelemetry/sdk-metrics";
import type { NodeSDK } from "@opentelemetry/sdk-node";
import type { SpanProcessor } from "@opentelemetry/sdk-trace";

/** Variables that mean "this app exports its telemetry": exporter choices and exporter settings. */
const EXPORT_VARIABLE = /^OTEL_(?:TRACES|METRICS|LOGS)_EXPORTER$|^OTEL_EXPORTER_/;

/**
 * Whether the app configured OpenTelemetry export. When it did not, plain NodeSDK would still push
 * OTLP to localhost:4318 (usually alertpipe's own collector port); register exports nothing then.
 */
export function appConfiguresExport(env: Readonly<Record<string, string | undefined>>): boolean {
  return Object.entries(env).some(([name, value]) => EXPORT_VARIABLE.test(name) && Boolean(value?.trim()));
}

function mismatch(what: string): Error {
  return new Error(
    `@opentelemetry/sdk-node no longer has ${what}; alertpipe needs the version in its package.json to keep the app's OTEL_* exporters`,
  );
}

/**
 * The span processors NodeSDK builds from OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_* and OTEL_BSP_*
 * (without the experimental OTEL_NODE_EXPERIMENTAL_SDK_METRICS self-metrics: no meter provider yet).
 */
export async function envSpanProcessors(): Promise<SpanProcessor[]> {
  const utils = new URL("./utils.mjs", import.meta.resolve("@opentelemetry/sdk-node"));
  const helpers = (await import(utils.href)) as { getSpanProcessorsFromEnv?: () => SpanProcessor[] };
  if (typeof helpers.getSpanProcessorsFromEnv !== "function") throw mismatch("getSpanProcessorsFromEnv");
  return helpers.getSpanProcessorsFromEnv();
}

/** Adds readers beside those the SDK's constructor built from OTEL_METRICS_EXPORTER (before start()). */
export function addMetricReaders(sdk: NodeSDK, readers: readonly IMetricReader[]): void {
  const config = (sdk as unknown as { _meterProviderConfig?: { readers?: IMetricReader[] } })
    ._meterProviderConfig;
  if (!Array.isArray(config?.readers)) throw mismatch("its env metric readers (_meterProviderConfig)");
  config.readers = [...config.readers, ...readers];
}

/**
 * Adds log processors beside those NodeSDK builds from OTEL_LOGS_EXPORTER (before start()): the
 * SDK's own env step runs now, so `none` still means no app export while alertpipe's processor stays.
 */
export function addLogRecordProcessors(sdk: NodeSDK, processors: readonly LogRecordProcessor[]): void {
  const internals = sdk as unknown as {
    _loggerProviderConfig?: { logRecordProcessors: LogRecordProcessor[] };
    configureLoggerProviderFromEnv?: (meterProvider?: unknown) => void;
  };
  if (typeof internals.configureLoggerProviderFromEnv !== "function") {
    throw mismatch("configureLoggerProviderFromEnv");
  }
  if (!internals._loggerProviderConfig) internals.configureLoggerProviderFromEnv();
  const fromEnv = internals._loggerProviderConfig?.logRecordProcessors ?? [];
  internals._loggerProviderConfig = { logRecordProcessors: [...fromEnv, ...processors] };
}
