// The receiver fed by the official OTLP log exporters (http/json and http/protobuf, gzip too), and
// POST /v1/logs answering like the other signals (partial success rejectedLogRecords, limits).
import { ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from "@opentelemetry/api";
import { OTLPLogExporter as JsonExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, type LogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeProtobufRequest } from "../src/receivers/otlp/protobuf.ts";
import type { Item, LogSignal } from "../src/signal.ts";
import { type RunningReceiver, startReceiver } from "./otlp-support.ts";

type Options = ConstructorParameters<typeof JsonExporter>[0];
const gzip = { compression: "gzip" } as Options;

const exporters: Record<string, (url: string) => LogRecordExporter> = {
  "http/json": (url) => new JsonExporter({ url: `${url}/v1/logs` }),
  "http/protobuf": (url) => new ProtoExporter({ url: `${url}/v1/logs` }),
  "http/json gzip": (url) => new JsonExporter({ ...gzip, url: `${url}/v1/logs` }),
  "http/protobuf gzip": (url) => new ProtoExporter({ ...gzip, url: `${url}/v1/logs` }),
};

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";
const logs = (items: Item[]): LogSignal[] => items.filter((i): i is LogSignal => i.kind === "log");

for (const [format, makeExporter] of Object.entries(exporters)) {
  describe(`otlp receiver ← SDK log exporter ${format}`, () => {
    let rx: RunningReceiver;
    beforeEach(async () => {
      rx = await startReceiver();
    });
    afterEach(async () => {
      await rx.stop();
    });

    it("keeps time, severity, body, attributes, the exception, event name and the trace link", async () => {
      const lp = new LoggerProvider({
        resource: resourceFromAttributes({ "service.name": "scraper" }),
        processors: [new SimpleLogRecordProcessor({ exporter: makeExporter(rx.url) })],
      });
      const logger = lp.getLogger("pino", "9.1.0");
      const inSpan = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        traceFlags: TraceFlags.SAMPLED,
      });
      const err = new TypeError("price is not a number");
      logger.emit({
        timestamp: 1_700_000_000_123,
        severityNumber: SeverityNumber.ERROR,
        severityText: "error",
        body: "failed to parse artifact",
        eventName: "artifact.parse_failed",
        attributes: { "pipeline.component": "normalizer", "pipeline.artifact.id": "a-42", attempt: 2 },
        exception: err,
        context: inSpan,
      });
      logger.emit({
        timestamp: 1_700_000_000_200,
        severityNumber: SeverityNumber.INFO,
        body: { msg: "done", count: 3 },
      });
      await lp.forceFlush();
      await lp.shutdown();

      const got = logs(rx.items).sort((a, b) => a.time - b.time);
      expect(got).toHaveLength(2);
      const [error, info] = got as [LogSignal, LogSignal];
      expect(error).toMatchObject({
        kind: "log",
        time: 1_700_000_000_123,
        severityNumber: 17,
        severityText: "error",
        body: "failed to parse artifact",
        eventName: "artifact.parse_failed",
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        resource: { "service.name": "scraper" },
        scope: { name: "pino", version: "9.1.0" },
        attributes: {
          "pipeline.component": "normalizer",
          "pipeline.artifact.id": "a-42",
          attempt: 2,
          "exception.type": "TypeError",
          "exception.message": "price is not a number",
        },
      });
      expect(error.attributes["exception.stacktrace"]).toContain("TypeError: price is not a number");
      expect(error.observedTime).toBeGreaterThan(0);
      expect(info).toMatchObject({ severityNumber: 9, body: '{"msg":"done","count":3}' });
      expect(info.traceId).toBeUndefined();
      expect(rx.receiver.status()).toMatchObject({ accepted_log_records: 2, rejected_log_records: 0 });
    });
  });
}

describe("POST /v1/logs", () => {
  let rx: RunningReceiver;
  afterEach(async () => {
    await rx.stop();
  });

  const record = (body: string, extra: Record<string, unknown> = {}) => ({
    timeUnixNano: "1700000000123456789",
    severityNumber: "SEVERITY_NUMBER_WARN",
    body: { stringValue: body },
    ...extra,
  });
  const request = (...records: unknown[]) => ({
    resourceLogs: [{ scopeLogs: [{ scope: { name: "winston" }, logRecords: records }] }],
  });

  it("answers a partial success naming what was rejected, in JSON and protobuf", async () => {
    rx = await startReceiver({ limits: { max_attribute_value_length: 16 } });
    const req = request(
      record("fine"),
      record("a body much longer than sixteen characters"),
      record("bad level", { severityNumber: 99 }),
    );
    const json = await fetch(`${rx.url}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(req),
    });
    expect(json.status).toBe(200);
    const answer = (await json.json()) as {
      partialSuccess: { rejectedLogRecords: number; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedLogRecords).toBe(2);
    expect(answer.partialSuccess.errorMessage).toContain(
      "resourceLogs[0].scopeLogs[0].logRecords[1].body: exceeds the length limit of 16",
    );
    expect(answer.partialSuccess.errorMessage).toContain("severity number 99 is outside 0–24");

    const proto = await fetch(`${rx.url}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: encodeProtobufRequest("logs", req),
    });
    expect(proto.status).toBe(200);
    // Read back with the SDK's own response decoder, as the log exporter does.
    const response = ProtobufLogsSerializer.deserializeResponse(new Uint8Array(await proto.arrayBuffer()));
    expect(Number(response.partialSuccess?.rejectedLogRecords)).toBe(2);
    expect(response.partialSuccess?.errorMessage).toContain("max_attribute_value_length");

    const kept = logs(rx.items);
    expect(kept.map((l) => l.body)).toEqual(["fine", "fine"]);
    expect(kept[0]).toMatchObject({
      severityNumber: 13,
      time: 1_700_000_000_123 + 0.456789,
      scope: { name: "winston" },
    });
    expect(rx.receiver.status()).toMatchObject({ accepted_log_records: 2, rejected_log_records: 4 });
  });

  it("answers 400 naming the malformed field", async () => {
    rx = await startReceiver();
    const res = await fetch(`${rx.url}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request(record("x", { traceId: "not-an-id" }))),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("resourceLogs[0].scopeLogs[0].logRecords[0].traceId");
  });

  it("takes the observed time when the record has none, and ignores all-zero ids", async () => {
    rx = await startReceiver();
    const req = request(
      record("x", {
        timeUnixNano: "0",
        observedTimeUnixNano: "1700000000500000000",
        traceId: "00000000000000000000000000000000",
        spanId: "0000000000000000",
      }),
    );
    const res = await fetch(`${rx.url}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(req),
    });
    expect(res.status).toBe(200);
    const [log] = logs(rx.items);
    expect(log).toMatchObject({ time: 1_700_000_000_500, observedTime: 1_700_000_000_500 });
    expect(log?.traceId).toBeUndefined();
    expect(log?.spanId).toBeUndefined();
  });
});
