// A LogRecordProcessor converting each record the process's logs SDK emits (pino, winston or bunyan
// through their OTel instrumentations, or the logs API) into the pipeline at once, beside the
// MetricReader and SpanProcessor of bridge.ts: a logged exception reaches Sentry without a batch.
import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from "@opentelemetry/sdk-logs";
import type { BridgeSink, SdkToSignals } from "./bridge.ts";

export class InprocLogRecordProcessor implements LogRecordProcessor {
  private readonly convert: SdkToSignals;
  private readonly sink: BridgeSink;
  private closed = false;

  constructor(convert: SdkToSignals, sink: BridgeSink) {
    this.convert = convert;
    this.sink = sink;
  }

  onEmit(record: ReadWriteLogRecord): void {
    if (this.closed) return;
    try {
      // What the SDK hands exporters too: the emitted record, read as it stands.
      this.convert.logs([record as ReadableLogRecord], this.sink);
    } catch (err) {
      this.sink.reject(1, [`log record conversion: ${err instanceof Error ? err.message : String(err)}`]);
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.closed = true;
  }
}
