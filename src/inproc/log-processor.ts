// A LogRecordProcessor converting each record the process's logs SDK emits (pino, winston or bunyan
// through their OTel instrumentations, or the logs API) into the pipeline at once, beside the
// MetricReader and SpanProcessor of bridge.ts: a logged exception reaches Sentry without a batch.
import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from "@opentelemetry/sdk-logs";
import { ConvertingProcessor } from "./bridge.ts";

export class InprocLogRecordProcessor extends ConvertingProcessor implements LogRecordProcessor {
  onEmit(record: ReadWriteLogRecord): void {
    // What the SDK hands its exporters too: the emitted record, read as it stands.
    this.convertOne("log record", () => this.convert.logs([record as ReadableLogRecord], this.sink));
  }
}
