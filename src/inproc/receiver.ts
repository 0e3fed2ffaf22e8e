// The `inproc` receiver: signals from the process the pipeline runs in. Attach its metricReader() to
// the process's MeterProvider, its spanProcessor() to the TracerProvider and its logRecordProcessor()
// to the LoggerProvider (alertpipe/register does), or submit() items directly (the seed API does).
import type { LogRecordProcessor } from "@opentelemetry/sdk-logs";
import type { MetricReader } from "@opentelemetry/sdk-metrics";
import type { SpanProcessor } from "@opentelemetry/sdk-trace";
import { Subject, type Subscription, timer } from "rxjs";
import { z } from "zod";
import { type ComponentContext, defineFactory, type Receiver } from "../component.ts";
import { duration } from "../config/duration.ts";
import type { Item } from "../signal.ts";
import {
  type BridgeSink,
  InprocMetricReader,
  InprocSpanProcessor,
  SdkToSignals,
  withoutTracing,
} from "./bridge.ts";
import { InprocLogRecordProcessor } from "./log-processor.ts";

const configSchema = z
  .strictObject({
    export_interval: duration("s").prefault(30).meta({
      description:
        "Time between collections of the process's own metrics: seconds, or a duration like 30s (METRICS_COLLECTION_INTERVAL).",
    }),
  })
  .meta({
    description:
      "The monitored process's own MeterProvider and TracerProvider (alertpipe/register); replaces otlp receivers when running in-process.",
  });

export type InprocConfig = z.output<typeof configSchema>;

export interface InprocReceiver extends Receiver {
  /** The reader to register on the process's MeterProvider (one per receiver; a reader binds once). */
  metricReader(): MetricReader;
  /** The span processor to add to the process's TracerProvider. */
  spanProcessor(): SpanProcessor;
  /** The log record processor to add to the process's LoggerProvider (logged exceptions → Sentry). */
  logRecordProcessor(): LogRecordProcessor;
  /** Put an item on the stream directly. */
  submit(item: Item): void;
  /** Collect metrics now (also what each export_interval tick does). */
  collect(): Promise<void>;
}

export function createInprocReceiver(config: InprocConfig, ctx: ComponentContext): InprocReceiver {
  const subject = new Subject<Item>();
  let received = 0;
  let rejected = 0;
  let collections = 0;
  let stopped = false;
  let tick: Subscription | undefined;

  const sink: BridgeSink = {
    emit(items) {
      if (stopped) return;
      received += items.length;
      // Whatever the pipeline starts from here (exports, retries) runs untraced: no feedback loop.
      withoutTracing(() => {
        for (const item of items) subject.next(item);
      });
    },
    reject(count, errors) {
      rejected += count;
      if (errors.length > 0) ctx.logger.warn({ rejected: count, errors }, "in-process signals rejected");
    },
  };
  const convert = new SdkToSignals(() => ctx.scheduler.now());
  const reader = new InprocMetricReader(convert, sink);
  const processor = new InprocSpanProcessor(convert, sink);
  const logProcessor = new InprocLogRecordProcessor(convert, sink);

  async function collect(): Promise<void> {
    if (!reader.isBound) return;
    collections++;
    await reader.pull().catch((err: unknown) => {
      ctx.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "in-process metric collection failed",
      );
    });
  }

  return {
    signals: subject.asObservable(),
    metricReader: () => reader,
    spanProcessor: () => processor,
    logRecordProcessor: () => logProcessor,
    submit: (item) => sink.emit([item]),
    collect,
    async start() {
      if (tick || stopped) return;
      const ms = config.export_interval * 1000;
      tick = timer(ms, ms, ctx.scheduler).subscribe(() => void collect());
    },
    async shutdown() {
      if (stopped) return;
      tick?.unsubscribe();
      tick = undefined;
      // A last collection so counts recorded just before exit still reach the rules.
      await collect();
      stopped = true;
      await processor.shutdown();
      await logProcessor.shutdown();
      subject.complete();
    },
    status: () => ({
      received,
      rejected,
      collections,
      metric_reader_attached: reader.isBound,
      export_interval_s: config.export_interval,
    }),
  };
}

export const inprocReceiverFactory = defineFactory({
  kind: "receiver",
  type: "inproc",
  configSchema,
  create: (config, ctx) => createInprocReceiver(config, ctx),
});
