// A LogRecordProcessor converting each record the process's logs SDK emits (pino, winston or bunyan
// through their OTel instrumentations, or the logs API) into the pipeline at once, beside the
// MetricReader and SpanProcessor of bridge.ts: a logged exception reaches Sentry without a batch.
import type { Context } from "@opentelemetry/api";
import { isTracingSuppressed } from "@opentelemetry/core";
import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from "@opentelemetry/sdk-logs";
import { ConvertingProcessor } from "./bridge.ts";

export class InprocLogRecordProcessor extends ConvertingProcessor implements LogRecordProcessor {
  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    // alertpipe's own work runs with tracing suppressed: its log lines must not feed its pipeline.
    if (context && isTracingSuppressed(context)) return;
    // What the SDK hands its exporters too: the emitted record, read as it stands.
    this.convertOne("log record", () => this.convert.logs([record as ReadableLogRecord], this.sink));
  }
}
