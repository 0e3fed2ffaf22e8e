// ExportTraceServiceRequest (OTLP JSON shape) → SpanSignals. Structural errors throw (400);
// spans with attributes over limits are rejected (partial success).
import type { Scope, SpanEvent, SpanKind, SpanSignal } from "../../signal.ts";
import { type AttributeLimits, convertAttributes } from "./attributes.ts";
import { enumValue, fail, id, list, message, nanosDiffMs, nanosToMs, Rejection, str } from "./fields.ts";
import type { OtlpSpan, OtlpSpanEvent } from "./otlp-json.ts";
import { convertItems, type ItemResult, type Nesting } from "./scopes.ts";

const SPAN_KINDS = [
  "SPAN_KIND_UNSPECIFIED",
  "SPAN_KIND_INTERNAL",
  "SPAN_KIND_SERVER",
  "SPAN_KIND_CLIENT",
  "SPAN_KIND_PRODUCER",
  "SPAN_KIND_CONSUMER",
] as const;
const KIND_NAMES: readonly SpanKind[] = [
  "unspecified",
  "internal",
  "server",
  "client",
  "producer",
  "consumer",
];
const STATUS_CODES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"] as const;
const STATUS_NAMES = ["unset", "ok", "error"] as const;

const TRACES: Nesting = {
  request: "ExportTraceServiceRequest",
  resources: "resourceSpans",
  scopes: "scopeSpans",
  items: "spans",
  item: "Span",
};

export function normalizeSpans(req: unknown, limits: AttributeLimits): ItemResult<SpanSignal> {
  return convertItems(req, TRACES, limits, (span, path, resource, scope) =>
    normalizeSpan(span as OtlpSpan, path, resource, scope, limits),
  );
}

function ms(v: unknown, path: string): number {
  return nanosToMs(v, path) ?? 0;
}

function normalizeSpan(
  span: OtlpSpan,
  path: string,
  resource: SpanSignal["resource"],
  scope: Scope,
  limits: AttributeLimits,
): SpanSignal {
  const traceId = id(span.traceId, 16, `${path}.traceId`);
  const spanId = id(span.spanId, 8, `${path}.spanId`);
  if (!traceId) fail(`${path}.traceId`, "missing trace id");
  if (!spanId) fail(`${path}.spanId`, "missing span id");
  const parentSpanId = id(span.parentSpanId, 8, `${path}.parentSpanId`);
  const kind = enumValue(span.kind, SPAN_KINDS, `${path}.kind`);
  const status = message<{ code?: unknown; message?: unknown }>(span.status, `${path}.status`);
  const code = enumValue(status?.code, STATUS_CODES, `${path}.status.code`);
  const statusMessage = str(status?.message, `${path}.status.message`);
  const startTime = ms(span.startTimeUnixNano, `${path}.startTimeUnixNano`);
  const endTime = ms(span.endTimeUnixNano, `${path}.endTimeUnixNano`);
  const attrs = convertAttributes(span.attributes, `${path}.attributes`, limits);
  if (attrs.violation) throw new Rejection(attrs.violation);
  const rawEvents = list<OtlpSpanEvent>(span.events, `${path}.events`);
  const events: SpanEvent[] = [];
  for (let e = 0; e < rawEvents.length; e++) {
    const ePath = `${path}.events[${e}]`;
    const ev = message<OtlpSpanEvent>(rawEvents[e], ePath);
    if (!ev) fail(ePath, "expected an Event object");
    const evAttrs = convertAttributes(ev.attributes, `${ePath}.attributes`, limits);
    if (evAttrs.violation) throw new Rejection(evAttrs.violation);
    events.push({
      name: str(ev.name, `${ePath}.name`),
      time: ms(ev.timeUnixNano, `${ePath}.timeUnixNano`),
      attributes: evAttrs.attributes,
    });
  }
  const out: { -readonly [K in keyof SpanSignal]: SpanSignal[K] } = {
    kind: "span",
    name: str(span.name, `${path}.name`),
    spanKind: KIND_NAMES[kind] ?? "unspecified",
    status: statusMessage
      ? { code: STATUS_NAMES[code] ?? "unset", message: statusMessage }
      : { code: STATUS_NAMES[code] ?? "unset" },
    traceId,
    spanId,
    startTime,
    endTime,
    durationMs: nanosDiffMs(span.startTimeUnixNano, span.endTimeUnixNano),
    attributes: attrs.attributes,
    resource,
    scope,
    events,
  };
  if (parentSpanId) out.parentSpanId = parentSpanId;
  return out;
}
