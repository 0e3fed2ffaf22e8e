// A log record becomes a Sentry event: the app's OTel logs SDK, exporting with the official OTLP log
// exporters (http/json and http/protobuf), into the shipped pipeline.yaml's otlp receiver; the
// exceptions processor and the Sentry exporter deliver it to a local fake Sentry with the exception
// type, message and stack frames, the trace context and the component/operation/artifact tags.
import { ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from "@opentelemetry/api";
import { OTLPLogExporter as JsonExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, type LogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OtlpReceiver } from "../src/receivers/otlp/receiver.ts";
import { type AlertPipelineHandle, DEFAULT_CONFIG_PATH, startAlertPipeline } from "../src/service.ts";
import { type FakeSentry, startFakeSentry } from "./support/fake-sentry.ts";

const exporters: Record<string, (url: string) => LogRecordExporter> = {
  "http/json": (url) => new JsonExporter({ url: `${url}/v1/logs` }),
  "http/protobuf": (url) => new ProtoExporter({ url: `${url}/v1/logs` }),
};

interface SentryEvent {
  level: string;
  message?: string;
  logger?: string;
  environment: string;
  tags: Record<string, string>;
  contexts: Record<string, Record<string, unknown>>;
  exception: {
    values: Array<{ type: string; value: string; stacktrace?: { frames: Array<Record<string, unknown>> } }>;
  };
}

describe("a log record with an exception becomes a Sentry event (shipped pipeline.yaml)", () => {
  let sentry: FakeSentry;
  let pipeline: AlertPipelineHandle;
  let otlpUrl: string;

  beforeAll(async () => {
    sentry = await startFakeSentry();
    pipeline = await startAlertPipeline({
      configPath: DEFAULT_CONFIG_PATH,
      env: {
        SENTRY_DSN: sentry.dsn(),
        SENTRY_ENVIRONMENT: "staging",
        ALERTPIPE_OTLP_ENDPOINT: "127.0.0.1:0",
        METRICS_COLLECTION_INTERVAL: "3600",
      },
      statusServer: false,
      logger: pino({ level: "silent" }),
    });
    const otlp = pipeline.graph.receivers.find((r) => r.id === "otlp")?.instance as OtlpReceiver;
    otlpUrl = `http://127.0.0.1:${otlp.address().port}`;
  });

  afterAll(async () => {
    await pipeline?.shutdown();
    await sentry?.close();
  });

  for (const [format, makeExporter] of Object.entries(exporters)) {
    it(`over ${format}: exception with frames, trace context, tags, level, logger and message`, async () => {
      const traceId =
        format === "http/json" ? "0af7651916cd43dd8448eb211c80319c" : "4bf92f3577b34da6a3ce929d0e0e4736";
      const spanId = "b7ad6b7169203331";
      const lp = new LoggerProvider({
        resource: resourceFromAttributes({ "service.name": "roaster-scraper" }),
        processors: [new SimpleLogRecordProcessor({ exporter: makeExporter(otlpUrl) })],
      });
      const logger = lp.getLogger("@opentelemetry/instrumentation-pino", "0.70.0");
      const inSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
      const parse = (): never => {
        throw new TypeError("price is not a number");
      };
      let err: Error | undefined;
      try {
        parse();
      } catch (e) {
        err = e as Error;
      }
      // What the pino instrumentation hands the logs SDK for logger.error({ err }, "…").
      logger.emit({
        severityNumber: SeverityNumber.ERROR,
        severityText: "error",
        body: "failed to parse artifact for ops@roaster.example",
        attributes: {
          "pipeline.component": "normalizer",
          "pipeline.operation": "parse_artifact",
          "pipeline.artifact.id": "artifact_123",
        },
        exception: err,
        context: inSpan,
      });
      // No exception: no Sentry event.
      logger.emit({ severityNumber: SeverityNumber.ERROR, body: "just a line", context: inSpan });
      await lp.forceFlush();
      await lp.shutdown();

      const mine = () => sentry.events().filter((e) => JSON.stringify(e).includes(traceId)) as unknown[];
      await expect.poll(() => mine().length, { timeout: 10_000 }).toBe(1);
      const event = mine()[0] as SentryEvent;
      expect(event).toMatchObject({
        level: "error",
        logger: "@opentelemetry/instrumentation-pino",
        environment: "staging",
        tags: { component: "normalizer", operation: "parse_artifact", artifact_id: "artifact_123" },
        contexts: { trace: { trace_id: traceId, span_id: spanId } },
      });
      const exception = event.exception.values[0];
      expect(exception?.type).toBe("TypeError");
      expect(exception?.value).toBe("price is not a number");
      const frames = exception?.stacktrace?.frames ?? [];
      expect(frames.length).toBeGreaterThan(1);
      expect(frames.some((f) => f.function === "parse")).toBe(true);
      expect(frames.at(-1)?.filename).toContain("e2e-logs-sentry.test.ts");
      // The log line travels as the event's message, PII scrubbed like everything bound for Sentry.
      expect(event.message).toContain("failed to parse artifact");
      expect(event.message).not.toContain("ops@roaster.example");
    });
  }

  it("counts log records and their exceptions in /status", () => {
    const status = pipeline.status() as { receivers: Array<Record<string, unknown>>; processors: unknown };
    expect(status.receivers.find((r) => r.id === "otlp")).toMatchObject({ accepted_log_records: 4 });
    expect(JSON.stringify(status.processors)).toContain('"from_logs":2');
  });
});
