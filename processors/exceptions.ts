// exceptions processor: every `exception` event on a span becomes an ErrorEvent (bound for Sentry)
// with its pipeline and LLM context; the span itself passes through unchanged.
import { mergeMap } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import type { Attributes, AttributeValue, ErrorEvent, Item, SpanEvent, SpanSignal } from "../src/signal.ts";

const str = (v: AttributeValue | undefined): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === "string" ? v : String(v);
const num = (v: AttributeValue | undefined): number | undefined => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** `pipeline.state.*` attributes, or a JSON object in `pipeline.state`. */
export function pipelineStateFrom(attributes: Attributes): Record<string, unknown> | undefined {
  const state: Record<string, unknown> = {};
  const json = attributes["pipeline.state"];
  if (typeof json === "string") {
    try {
      const parsed: unknown = JSON.parse(json);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(state, parsed);
      else state.value = parsed;
    } catch {
      state.value = json;
    }
  }
  for (const [key, value] of Object.entries(attributes))
    if (key.startsWith("pipeline.state.")) state[key.slice("pipeline.state.".length)] = value;
  return Object.keys(state).length > 0 ? state : undefined;
}

/** OpenTelemetry GenAI semantic conventions → the llm context. */
export function llmFrom(attributes: Attributes): ErrorEvent["llm"] | undefined {
  const llm = {
    provider: str(attributes["gen_ai.system"] ?? attributes["gen_ai.provider.name"]),
    model: str(attributes["gen_ai.request.model"] ?? attributes["gen_ai.response.model"]),
    promptTokens: num(attributes["gen_ai.usage.input_tokens"] ?? attributes["gen_ai.usage.prompt_tokens"]),
    completionTokens: num(
      attributes["gen_ai.usage.output_tokens"] ?? attributes["gen_ai.usage.completion_tokens"],
    ),
    cost: num(attributes["gen_ai.usage.cost"]),
  };
  const present = Object.fromEntries(Object.entries(llm).filter(([, v]) => v !== undefined));
  return Object.keys(present).length > 0 ? (present as ErrorEvent["llm"]) : undefined;
}

export function errorEventFrom(span: SpanSignal, event: SpanEvent): ErrorEvent {
  const a = event.attributes;
  return {
    kind: "error",
    error: {
      type: str(a["exception.type"]) ?? "Error",
      message: str(a["exception.message"]) ?? span.status.message ?? "",
      stack: str(a["exception.stacktrace"]),
    },
    component: str(span.attributes["pipeline.component"]) ?? str(span.resource["service.name"]) ?? "unknown",
    operation: span.name,
    artifactId: str(span.attributes["pipeline.artifact.id"]),
    pipelineState: pipelineStateFrom(span.attributes),
    llm: llmFrom(span.attributes),
    traceId: span.traceId,
    spanId: span.spanId,
    time: event.time,
    attributes: span.attributes,
    resource: span.resource,
  };
}

export function errorEventsFrom(span: SpanSignal): ErrorEvent[] {
  return span.events.filter((e) => e.name === "exception").map((e) => errorEventFrom(span, e));
}

export const exceptionsConfigSchema = z
  .strictObject({
    include_unset_status: z
      .boolean()
      .default(true)
      .meta({ description: "Also report spans that recorded an exception but whose status is not ERROR." }),
  })
  .meta({
    description:
      "Turns span `exception` events into error events for Sentry (component, operation, artifact id, LLM context, trace link).",
  });

export const exceptionsProcessorFactory = defineFactory({
  kind: "processor",
  type: "exceptions",
  configSchema: exceptionsConfigSchema,
  create(config): Processor {
    let emitted = 0;
    return {
      operator: mergeMap((item: Item) => {
        if (item.kind !== "span" || item.events.length === 0) return [item];
        if (!config.include_unset_status && item.status.code !== "error") return [item];
        const errors = errorEventsFrom(item);
        emitted += errors.length;
        return [item, ...errors];
      }),
      status: () => ({ error_events: emitted }),
    };
  },
});
