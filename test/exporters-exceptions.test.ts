// exceptions processor: span exception events → ErrorEvents with pipeline and LLM context.
import { lastValueFrom, of, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { errorEventsFrom, exceptionsProcessorFactory, pipelineStateFrom } from "../processors/exceptions.ts";
import type { Item, SpanSignal } from "../src/signal.ts";
import { testContext } from "./support/context.ts";

function span(overrides: Partial<SpanSignal> = {}): SpanSignal {
  return {
    kind: "span",
    name: "enrich",
    spanKind: "internal",
    status: { code: "error", message: "LLM call failed" },
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    startTime: 1000,
    endTime: 2000,
    durationMs: 1000,
    attributes: {},
    resource: { "service.name": "enricher-svc" },
    scope: { name: "t" },
    events: [],
    ...overrides,
  };
}

describe("exceptions processor", () => {
  it("emits one ErrorEvent per exception event, falling back to service.name and status message", () => {
    const s = span({
      attributes: { "pipeline.state": '{"step":"enrich","retries":2}', "pipeline.state.batch": "b7" },
      events: [
        { name: "exception", time: 1500, attributes: { "exception.type": "RateLimitError" } },
        { name: "log", time: 1600, attributes: {} },
        {
          name: "exception",
          time: 1700,
          attributes: {
            "exception.message": "boom",
            "exception.stacktrace": "Error: boom\n    at x (/a.js:1:2)",
          },
        },
      ],
    });
    const [first, second, ...rest] = errorEventsFrom(s);
    expect(rest).toHaveLength(0);
    expect(first).toMatchObject({
      kind: "error",
      error: { type: "RateLimitError", message: "LLM call failed" },
      component: "enricher-svc",
      operation: "enrich",
      pipelineState: { step: "enrich", retries: 2, batch: "b7" },
      traceId: s.traceId,
      spanId: s.spanId,
      time: 1500,
    });
    expect(first?.llm).toBeUndefined();
    expect(second?.error).toEqual({
      type: "Error",
      message: "boom",
      stack: "Error: boom\n    at x (/a.js:1:2)",
    });
  });

  it("keeps a non-JSON pipeline.state as a value", () => {
    expect(pipelineStateFrom({ "pipeline.state": "half-done" })).toEqual({ value: "half-done" });
    expect(pipelineStateFrom({})).toBeUndefined();
  });

  it("passes spans through and adds the error events after them", async () => {
    const processor = await exceptionsProcessorFactory.create(
      exceptionsProcessorFactory.configSchema.parse({}),
      testContext(),
    );
    const withError = span({
      events: [{ name: "exception", time: 1, attributes: { "exception.type": "E" } }],
    });
    const plain = span({ events: [] });
    const out = await lastValueFrom(of<Item[]>(withError, plain).pipe(processor.operator, toArray()));
    expect(out.map((i) => i.kind)).toEqual(["span", "error", "span"]);
    expect(out[0]).toBe(withError);
    expect(processor.status?.()).toEqual({ error_events: 1, from_logs: 0 });
  });
});
