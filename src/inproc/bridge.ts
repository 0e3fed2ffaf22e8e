// The in-process bridge: a MetricReader and a SpanProcessor (log-processor.ts adds a LogRecordProcessor)
// that hand the process's own telemetry to an alert pipeline, through the same OTLP normalization the
// OTLP receiver uses (one path, one cumulative→delta owner). All serialize with otlp-transformer's
// JSON serializers: the package exports no request builder, and the JSON form is what OtlpNormalizer reads.
import { type Context, context, ROOT_CONTEXT } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs";
import {
  AggregationTemporality,
  InstrumentType,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace";
import { type NormalizeResult, OtlpNormalizer } from "../receivers/otlp/normalize.ts";
import type { Item } from "../signal.ts";

/** Where converted items go, plus what went wrong on the way (counted, never thrown at the SDK). */
export interface BridgeSink {
  emit(items: readonly Item[]): void;
  reject(count: number, errors: readonly string[]): void;
}

/** A context with tracing suppressed: alertpipe's own HTTP calls (Slack, Sentry) must not re-enter as spans. */
export const SUPPRESSED_CONTEXT: Context = suppressTracing(ROOT_CONTEXT);

/** Run fn with tracing suppressed, so everything it starts (exports, retries, timers) inherits that. */
export function withoutTracing<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}

function decode(bytes: Uint8Array | undefined): unknown {
  return bytes === undefined ? {} : JSON.parse(new TextDecoder().decode(bytes));
}

/** Converts SDK data to Items through OtlpNormalizer. */
export class SdkToSignals {
  private readonly normalizer: OtlpNormalizer;

  constructor(now: () => number) {
    // keep: the bridge exists before its SDK, so every cumulative stream (up/down counters) is
    // seen from its start and its first export counts whole.
    this.normalizer = new OtlpNormalizer({ now, initialValue: "keep" });
  }

  metrics(resourceMetrics: ResourceMetrics, sink: BridgeSink): void {
    if (resourceMetrics.scopeMetrics.every((s) => s.metrics.length === 0)) return;
    this.deliver(
      this.normalizer.metrics(decode(JsonMetricsSerializer.serializeRequest(resourceMetrics))),
      sink,
    );
  }

  spans(spans: ReadableSpan[], sink: BridgeSink): void {
    if (spans.length === 0) return;
    this.deliver(this.normalizer.traces(decode(JsonTraceSerializer.serializeRequest(spans))), sink);
  }

  logs(records: ReadableLogRecord[], sink: BridgeSink): void {
    if (records.length === 0) return;
    this.deliver(this.normalizer.logs(decode(JsonLogsSerializer.serializeRequest(records))), sink);
  }

  private deliver(result: NormalizeResult, sink: BridgeSink): void {
    if (result.rejected > 0) sink.reject(result.rejected, result.errors);
    if (result.items.length > 0) sink.emit(result.items);
  }
}

/**
 * A pull MetricReader: the receiver's timer (on the injected scheduler) calls pull(); flush and
 * shutdown pull once more so nothing recorded before exit is lost. Counters and histograms are
 * read as deltas (no series state needed); up/down counters stay cumulative, as the spec advises.
 */
export class InprocMetricReader extends MetricReader {
  private readonly convert: SdkToSignals;
  private readonly sink: BridgeSink;
  private bound = false;
  private closed = false;
  private pulling: Promise<void> = Promise.resolve();

  constructor(convert: SdkToSignals, sink: BridgeSink) {
    super({
      aggregationTemporalitySelector: (type) =>
        type === InstrumentType.UP_DOWN_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
          ? AggregationTemporality.CUMULATIVE
          : AggregationTemporality.DELTA,
    });
    this.convert = convert;
    this.sink = sink;
  }

  /** True while a MeterProvider has this reader and has not shut it down. */
  get isBound(): boolean {
    return this.bound && !this.closed;
  }

  protected override onInitialized(): void {
    this.bound = true;
  }

  /** Collect now and emit; pulls are serialized so deltas stay in order. */
  pull(): Promise<void> {
    if (!this.isBound) return Promise.resolve();
    const next = this.pulling.then(() => this.collectOnce());
    this.pulling = next.catch(() => undefined);
    return next;
  }

  private async collectOnce(): Promise<void> {
    const { resourceMetrics, errors } = await context.with(SUPPRESSED_CONTEXT, () => this.collect());
    if (errors.length > 0)
      this.sink.reject(
        0,
        errors.map((e) => `metric collection: ${String(e)}`),
      );
    this.convert.metrics(resourceMetrics, this.sink);
  }

  protected override onForceFlush(): Promise<void> {
    return this.pull();
  }

  protected override async onShutdown(): Promise<void> {
    await this.pull();
    this.closed = true;
  }
}

/** What the span and log record processors share: convert each item at once, until shut down. */
export abstract class ConvertingProcessor {
  protected readonly convert: SdkToSignals;
  protected readonly sink: BridgeSink;
  private closed = false;

  constructor(convert: SdkToSignals, sink: BridgeSink) {
    this.convert = convert;
    this.sink = sink;
  }

  /** Runs one conversion; a failure is counted as one rejected item, never thrown at the SDK. */
  protected convertOne(what: string, run: () => void): void {
    if (this.closed) return;
    try {
      run();
    } catch (err) {
      this.sink.reject(1, [`${what} conversion: ${err instanceof Error ? err.message : String(err)}`]);
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.closed = true;
  }
}

/** A SpanProcessor converting each ended span at once: a failed span is seen without waiting for a batch. */
export class InprocSpanProcessor extends ConvertingProcessor implements SpanProcessor {
  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    this.convertOne("span", () => this.convert.spans([span], this.sink));
  }
}
