// exceptions processor: every `exception` event on a span, and every log record carrying an exception
// (exception.* attributes), becomes an ErrorEvent (bound for Sentry) with its pipeline and LLM
// context and trace link; the span or record itself passes through unchanged.
import { mergeMap } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import {
  type Attributes,
  type AttributeValue,
  type ErrorEvent,
  type Item,
  type LogSeverityName,
  type LogSignal,
  logSeverityName,
  type SpanEvent,
  type SpanSignal,
} from "../src/signal.ts";

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

const SENTRY_LEVELS: Readonly<Record<LogSeverityName, NonNullable<ErrorEvent["level"]>>> = {
  TRACE: "debug",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warning",
  ERROR: "error",
  FATAL: "fatal",
};

/**
 * A log record with `exception.type` or `exception.message` (what the OTel logs SDK sets from
 * `logger.emit({ exception })`, as the pino, winston and bunyan bridges do for an error) → an
 * ErrorEvent mapped like a span's: component from `pipeline.component` else `service.name`, the
 * operation from `pipeline.operation` else the event name else `code.function.name`.
 */
export function errorEventFromLog(log: LogSignal): ErrorEvent | undefined {
  const a = log.attributes;
  const type = str(a["exception.type"]);
  const message = str(a["exception.message"]);
  if (type === undefined && message === undefined) return undefined;
  const body =
    log.body === undefined ? undefined : typeof log.body === "string" ? log.body : JSON.stringify(log.body);
  const severity = logSeverityName(log);
  return {
    kind: "error",
    error: { type: type ?? "Error", message: message ?? body ?? "", stack: str(a["exception.stacktrace"]) },
    level: severity ? SENTRY_LEVELS[severity] : "error",
    ...(body !== undefined && body !== message ? { message: body } : {}),
    ...(log.scope.name ? { logger: log.scope.name } : {}),
    component: str(a["pipeline.component"]) ?? str(log.resource["service.name"]) ?? "unknown",
    operation:
      str(a["pipeline.operation"]) ?? log.eventName ?? str(a["code.function.name"] ?? a["code.function"]),
    artifactId: str(a["pipeline.artifact.id"]),
    pipelineState: pipelineStateFrom(a),
    llm: llmFrom(a),
    traceId: log.traceId,
    spanId: log.spanId,
    time: log.time,
    // exception.* already are the event's exception: not repeated in its otel context.
    attributes: Object.fromEntries(Object.entries(a).filter(([k]) => !k.startsWith("exception."))),
    resource: log.resource,
  };
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
const SEVERITY_ORDER: readonly LogSeverityName[] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

export const exceptionsConfigSchema = z
  .strictObject({
    include_unset_status: z
      .boolean()
      .default(true)
      .meta({ description: "Also report spans that recorded an exception but whose status is not ERROR." }),
    logs: z
      .strictObject({
        enabled: z.boolean().default(true).meta({
          description:
            "Turn log records carrying an exception (exception.type / exception.message) into error events.",
        }),
        min_severity: z.enum(LOG_LEVELS).default("error").meta({
          description:
            "Lowest log severity reported (trace debug info warn error fatal; like Sentry's own logger integrations, error by default). A record without a severity is always reported.",
        }),
      })
      .prefault({})
      .meta({
        description: "Exceptions in OTLP log records (pino, winston, bunyan through the OTel logs SDK).",
      }),
  })
  .meta({
    description:
      "Turns span `exception` events and log records carrying an exception into error events for Sentry (component, operation, artifact id, LLM context, trace link).",
  });

export const exceptionsProcessorFactory = defineFactory({
  kind: "processor",
  type: "exceptions",
  configSchema: exceptionsConfigSchema,
  create(config): Processor {
    let emitted = 0;
    let fromLogs = 0;
    const minSeverity = LOG_LEVELS.indexOf(config.logs.min_severity);
    const reported = (log: LogSignal): boolean => {
      const name = logSeverityName(log);
      return name === undefined || SEVERITY_ORDER.indexOf(name) >= minSeverity;
    };
    return {
      operator: mergeMap((item: Item) => {
        if (item.kind === "log") {
          const error = config.logs.enabled && reported(item) ? errorEventFromLog(item) : undefined;
          if (!error) return [item];
          fromLogs++;
          return [item, error];
        }
        if (item.kind !== "span" || item.events.length === 0) return [item];
        if (!config.include_unset_status && item.status.code !== "error") return [item];
        const errors = errorEventsFrom(item);
        emitted += errors.length;
        return [item, ...errors];
      }),
      status: () => ({ error_events: emitted + fromLogs, from_logs: fromLogs }),
    };
  },
});
