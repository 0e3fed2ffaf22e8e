// Sentry exporter against a local envelope endpoint: a real OTel span with recordException goes
// through the in-process receiver, the exceptions and scrub processors, and arrives as one event.
import { SpanStatusCode } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { isInitialized } from "@sentry/core";
import { filter, VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { createSentryExporter, type SentryExporter, sentryExporterFactory } from "../exporters/sentry.ts";
import { exceptionsProcessorFactory } from "../processors/exceptions.ts";
import { scrubProcessorFactory } from "../processors/scrub.ts";
import { createInprocReceiver, inprocReceiverFactory } from "../src/inproc/receiver.ts";
import type { ErrorEvent, Item } from "../src/signal.ts";
import { captureLogger } from "./support/capture-logger.ts";
import { testContext } from "./support/context.ts";
import { SENTRY_KEY, startFakeSentry } from "./support/fake-sentry.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

type Obj = Record<string, unknown>;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sentryRig(config: Obj = {}, scheduler = new VirtualTimeScheduler()) {
  const sentry = await startFakeSentry(() => scheduler.now());
  const log = captureLogger();
  const exporter = createSentryExporter(
    sentryExporterFactory.configSchema.parse({
      dsn: sentry.dsn(),
      environment: "staging",
      release: "alertpipe@1.2.3",
      log_attempts: true,
      ...config,
    }),
    testContext({ id: "sentry", scheduler, logger: log.logger }),
  );
  cleanups.push(async () => {
    await exporter.shutdown();
    await sentry.close();
  });
  return { sentry, exporter, log, scheduler };
}

const settle = (scheduler: VirtualTimeScheduler, exporter: SentryExporter) =>
  driveVirtualTime(scheduler, {
    busy: () => exporter.queue.inFlight > 0,
    done: () => exporter.queue.pending === 0,
  });

function errorEvent(overrides: Partial<ErrorEvent> = {}): ErrorEvent {
  return {
    kind: "error",
    error: { type: "TimeoutError", message: "db timeout", stack: new Error("db timeout").stack },
    component: "database",
    operation: "write_batch",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    time: Date.UTC(2025, 0, 15),
    ...overrides,
  };
}

class ParseError extends Error {
  override name = "ParseError";
}

describe("sentry exporter", () => {
  it("turns a span's recorded exception into one Sentry event with tags, contexts and trace id", async () => {
    const { sentry, exporter, scheduler } = await sentryRig();
    const ctx = testContext();
    const receiver = createInprocReceiver(inprocReceiverFactory.configSchema.parse({}), ctx);
    await receiver.start();
    const exceptions = await exceptionsProcessorFactory.create(
      exceptionsProcessorFactory.configSchema.parse({}),
      ctx,
    );
    const scrub = await scrubProcessorFactory.create(scrubProcessorFactory.configSchema.parse({}), ctx);
    const passed: Item[] = [];
    receiver.signals
      .pipe(
        exceptions.operator,
        scrub.operator,
        filter((i) => {
          if (i.kind !== "error") passed.push(i);
          return i.kind === "error";
        }),
      )
      .subscribe((e) => void exporter.export([e]));
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": "coffee-scraper" }),
      spanProcessors: [receiver.spanProcessor()],
    });
    cleanups.push(async () => {
      await provider.shutdown();
      await receiver.shutdown();
    });
    const span = provider.getTracer("scraper").startSpan("parse_artifact", {
      attributes: {
        "pipeline.component": "normalizer",
        "pipeline.artifact.id": "artifact_123",
        "pipeline.state.step": "validation",
        "pipeline.state.status": "failed",
        "gen_ai.system": "deepseek",
        "gen_ai.request.model": "deepseek-chat",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 50,
        "gen_ai.usage.cost": 0.001,
      },
    });
    span.recordException(new ParseError("cannot parse price for buyer jane@example.com"));
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    await provider.forceFlush();
    await driveVirtualTime(scheduler, {
      busy: () => exporter.queue.inFlight > 0,
      done: () => exporter.queue.status().delivered + exporter.queue.status().failed > 0,
    });
    expect(passed.some((i) => i.kind === "span" && i.name === "parse_artifact")).toBe(true);
    const [event] = sentry.events() as Obj[];
    expect(event).toBeDefined();
    const exception = (((event as Obj).exception as Obj).values as Obj[])[0] as Obj;
    expect(exception.type).toBe("ParseError");
    expect(exception.value).toBe("cannot parse price for buyer [email]");
    const frames = (exception.stacktrace as Obj).frames as Obj[];
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.some((f) => String(f.filename).includes("exporters-sentry.test.ts"))).toBe(true);
    expect(event?.tags).toEqual({
      component: "normalizer",
      operation: "parse_artifact",
      artifact_id: "artifact_123",
    });
    const contexts = event?.contexts as Obj;
    expect(contexts.pipeline_state).toEqual({ step: "validation", status: "failed" });
    expect(contexts.llm).toEqual({
      provider: "deepseek",
      model: "deepseek-chat",
      prompt_tokens: 100,
      completion_tokens: 50,
      cost: 0.001,
    });
    expect(contexts.trace).toMatchObject({
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(event?.fingerprint).toEqual(["normalizer", "parse_artifact", "ParseError"]);
    expect(event).toMatchObject({ environment: "staging", release: "alertpipe@1.2.3", level: "error" });
    expect(event?.user).toBeUndefined();
    expect(sentry.requests[0]?.project).toBe("42");
    expect(sentry.requests[0]?.auth).toContain(SENTRY_KEY);
    expect(isInitialized()).toBe(false);
    expect(exporter.status?.()).toMatchObject({ configured: true, sent: 1, failed: 0 });
  });

  it("scrubs by value in beforeSend: exception type, any attribute, numbers, prototype-less objects", async () => {
    const { sentry, exporter, scheduler } = await sentryRig();
    const state = Object.assign(Object.create(null) as Record<string, unknown>, {
      buyer: "jane%40example.com",
    });
    await exporter.export([
      errorEvent({
        error: {
          type: "Declined_jane@example.com",
          message: "card 4111.1111.1111.1111 for 0044 20 7946 0958",
        },
        pipelineState: state,
        attributes: { platform: "bob@example.com", "payment.card": 4111111111111111, "http.count": 3 },
      }),
    ]);
    await settle(scheduler, exporter);
    const body = JSON.stringify(sentry.events());
    expect(body).toContain('"http.count":3');
    for (const leak of ["jane", "bob@example.com", "4111111111111111", "4111.1111", "7946"])
      expect(body).not.toContain(leak);
  });

  it("retries 5xx with the same event id until Sentry takes it", async () => {
    const { sentry, exporter, scheduler } = await sentryRig();
    sentry.behave(({ index }) => (index < 2 ? { status: 503 } : { status: 200 }));
    await exporter.export([errorEvent()]);
    await settle(scheduler, exporter);
    expect(sentry.requests).toHaveLength(3);
    const ids = new Set(sentry.requests.map((r) => r.header.event_id));
    expect(ids.size).toBe(1);
    expect(sentry.events()).toHaveLength(1);
    expect(exporter.queue.status()).toMatchObject({ delivered: 1, retried: 2, failed: 0 });
  });

  it("records a 400 as a permanent failure, not retried", async () => {
    const { sentry, exporter, scheduler, log } = await sentryRig();
    sentry.behave(() => ({ status: 400 }));
    await exporter.export([errorEvent()]);
    await settle(scheduler, exporter);
    expect(sentry.requests).toHaveLength(1);
    expect(exporter.status?.()).toMatchObject({ failed: 1, sent: 0, delivery: { failed: 1, retried: 0 } });
    expect(exporter.queue.status().destinations[0]?.last_failures[0]).toMatchObject({
      rule: "database/TimeoutError",
      status: 400,
    });
    expect(log.records().filter((l) => l.msg === "delivery failed permanently")).toHaveLength(1);
  });

  it("waits out a 429 (Sentry's own limiter holds further sends), then delivers without hammering", async () => {
    const { sentry, exporter, scheduler } = await sentryRig({ initial_backoff: 0.25, max_backoff: 0.5 });
    sentry.behave(({ index }) =>
      index === 0 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 },
    );
    await exporter.export([errorEvent(), errorEvent({ operation: "second" })]);
    await settle(scheduler, exporter);
    expect(sentry.events().map((e) => (e.tags as Obj).operation)).toEqual(["write_batch", "second"]);
    expect(sentry.requests).toHaveLength(3);
    const status = exporter.status?.() as Obj;
    expect(status.rate_limited).toBeGreaterThanOrEqual(1);
    expect(status).toMatchObject({ sent: 2, failed: 0 });
  });

  it("samples with sample_rate and counts what it dropped", async () => {
    const { sentry, exporter, scheduler } = await sentryRig({ sample_rate: 0 });
    await exporter.export([errorEvent(), errorEvent()]);
    await settle(scheduler, exporter);
    expect(sentry.requests).toHaveLength(0);
    expect(exporter.status?.()).toMatchObject({ sampled_out: 2, sent: 0 });
  });

  it("probe sends a test event and reports the outcome", async () => {
    const { sentry, exporter } = await sentryRig();
    const [result] = await exporter.probe();
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(
      ((sentry.requests[0] as { items: Array<{ payload: Obj }> }).items[0] as { payload: Obj }).payload
        .message,
    ).toContain("alertpipe test message");
  });

  it("is unconfigured without a DSN and validates a bad one without quoting it", async () => {
    const off = await sentryExporterFactory.create(
      sentryExporterFactory.configSchema.parse({}),
      testContext(),
    );
    expect(off.configured).toBe(false);
    await off.export([errorEvent()]);
    expect(off.status?.()).toMatchObject({ configured: false, sent: 0 });
    for (const dsn of [
      "https://o1.ingest.sentry.io/5",
      "https://secretkey9@o1.ingest.sentry.io/",
      "nope secretkey9",
    ]) {
      const problems =
        sentryExporterFactory.validate?.(sentryExporterFactory.configSchema.parse({ dsn })) ?? [];
      expect(problems).toHaveLength(1);
      expect(problems[0]?.path).toEqual(["dsn"]);
      expect(problems[0]?.message).not.toContain("secretkey9");
      expect(problems[0]?.message).not.toContain("sentry.io");
    }
    const ok = sentryExporterFactory.configSchema.parse({ dsn: "https://abc@o1.ingest.sentry.io/4505" });
    expect(sentryExporterFactory.validate?.(ok)).toEqual([]);
  });

  it("never logs or reports the DSN key", async () => {
    const { sentry, exporter, scheduler, log } = await sentryRig();
    sentry.behave(({ index }) =>
      index === 0 ? { status: 500 } : index === 1 ? { status: 403 } : { status: 200 },
    );
    await exporter.export([errorEvent(), errorEvent()]);
    await settle(scheduler, exporter);
    await exporter.probe();
    const everything = [...log.lines, JSON.stringify(exporter.status?.())].join("\n");
    expect(log.lines.length).toBeGreaterThan(2);
    expect(everything).not.toContain(SENTRY_KEY);
    expect(everything).toContain("(key ***)");
  });
});
