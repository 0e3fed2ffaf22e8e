// The receiver fed by the official OTLP trace exporters (http/json and http/protobuf, gzip too).
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Item, SpanSignal } from "../src/signal.ts";
import { type RunningReceiver, startReceiver } from "./otlp-support.ts";

type Options = ConstructorParameters<typeof JsonExporter>[0];
const gzip = { compression: "gzip" } as Options;

const exporters: Record<string, (url: string) => SpanExporter> = {
  "http/json": (url) => new JsonExporter({ url: `${url}/v1/traces` }),
  "http/protobuf": (url) => new ProtoExporter({ url: `${url}/v1/traces` }),
  "http/json gzip": (url) => new JsonExporter({ ...gzip, url: `${url}/v1/traces` }),
  "http/protobuf gzip": (url) => new ProtoExporter({ ...gzip, url: `${url}/v1/traces` }),
};

const spans = (items: Item[]): SpanSignal[] => items.filter((i): i is SpanSignal => i.kind === "span");

for (const [format, makeExporter] of Object.entries(exporters)) {
  describe(`otlp receiver ← SDK trace exporter ${format}`, () => {
    let rx: RunningReceiver;
    beforeEach(async () => {
      rx = await startReceiver();
    });
    afterEach(async () => {
      await rx.stop();
    });

    it("keeps ids, kind, status, duration, attributes and exception events", async () => {
      const tp = new TracerProvider({
        resource: resourceFromAttributes({ "service.name": "scraper" }),
        spanProcessors: [new SimpleSpanProcessor({ exporter: makeExporter(rx.url) })],
      });
      const tracer = tp.getTracer("pipeline", "1.2.3");
      const parent = tracer.startSpan("process artifact", {
        kind: SpanKind.SERVER,
        startTime: 1_700_000_000_000,
      });
      const err = new TypeError("price is not a number");
      const child = tracer.startSpan(
        "db.insert",
        {
          kind: SpanKind.CLIENT,
          startTime: 1_700_000_000_100,
          attributes: {
            "db.system": "postgresql",
            "pipeline.artifact.id": "a-42",
            retries: 3,
            ok: false,
            tags: ["x", "y"],
          },
        },
        trace.setSpan(context.active(), parent),
      );
      child.recordException(err);
      child.setStatus({ code: SpanStatusCode.ERROR, message: "insert failed" });
      child.end(1_700_000_000_350);
      parent.end(1_700_000_000_500);
      await tp.forceFlush();
      await tp.shutdown();

      // Ended spans may leave in one export or two, whose requests can land in either order.
      const got = spans(rx.items);
      expect(got.map((s) => s.name).sort()).toEqual(["db.insert", "process artifact"]);
      const c = got.find((s) => s.name === "db.insert") as SpanSignal;
      const p = got.find((s) => s.name === "process artifact") as SpanSignal;
      expect(c.traceId).toBe(child.spanContext().traceId);
      expect(c.spanId).toBe(child.spanContext().spanId);
      expect(c.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(c.parentSpanId).toBe(parent.spanContext().spanId);
      expect(p.parentSpanId).toBeUndefined();
      expect(c.spanKind).toBe("client");
      expect(p.spanKind).toBe("server");
      expect(c.status).toEqual({ code: "error", message: "insert failed" });
      expect(p.status).toEqual({ code: "unset" });
      expect(c.durationMs).toBeCloseTo(250, 3);
      expect(c.startTime).toBeCloseTo(1_700_000_000_100, 0);
      expect(c.attributes).toEqual({
        "db.system": "postgresql",
        "pipeline.artifact.id": "a-42",
        retries: 3,
        ok: false,
        tags: ["x", "y"],
      });
      expect(c.resource["service.name"]).toBe("scraper");
      expect(c.scope).toEqual({ name: "pipeline", version: "1.2.3" });
      const ev = c.events.find((e) => e.name === "exception");
      expect(ev?.attributes["exception.type"]).toBe("TypeError");
      expect(ev?.attributes["exception.message"]).toBe("price is not a number");
      expect(ev?.attributes["exception.stacktrace"]).toBe(err.stack);
      expect(rx.receiver.status()).toMatchObject({ accepted_spans: 2, rejected_spans: 0, bad_requests: 0 });
    });
  });
}
