// ErrorEvent → Sentry event: exception with parsed stack frames, tags, pipeline/LLM contexts,
// the OTel trace and span ids (so the issue links to the trace), and a stable fingerprint.
import { randomUUID } from "node:crypto";
import type { Event, StackParser } from "@sentry/core";
import type { ErrorEvent } from "../src/signal.ts";

function definedOnly(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== ""));
}

export function toSentryEvent(e: ErrorEvent, stackParser: StackParser): Event {
  const frames = e.error.stack ? stackParser(e.error.stack) : [];
  const contexts: NonNullable<Event["contexts"]> = {};
  if (e.pipelineState) contexts.pipeline_state = { ...e.pipelineState };
  if (e.llm)
    contexts.llm = definedOnly({
      provider: e.llm.provider,
      model: e.llm.model,
      prompt_tokens: e.llm.promptTokens,
      completion_tokens: e.llm.completionTokens,
      cost: e.llm.cost,
    });
  if (e.traceId && e.spanId) contexts.trace = { trace_id: e.traceId, span_id: e.spanId };
  if (e.attributes || e.resource)
    contexts.otel = definedOnly({ attributes: e.attributes, resource: e.resource });
  return {
    // Fixed once per event, so a retried delivery is the same event to Sentry.
    event_id: randomUUID().replace(/-/g, ""),
    timestamp: e.time / 1000,
    level: e.level ?? "error",
    platform: "node",
    ...(e.message ? { message: e.message } : {}),
    ...(e.logger ? { logger: e.logger } : {}),
    exception: {
      values: [
        {
          type: e.error.type,
          value: e.error.message,
          ...(frames.length > 0 ? { stacktrace: { frames } } : {}),
          mechanism: { type: "alertpipe", handled: true },
        },
      ],
    },
    tags: definedOnly({
      component: e.component,
      operation: e.operation,
      artifact_id: e.artifactId,
    }) as Record<string, string>,
    contexts,
    fingerprint: [e.component, e.operation ?? "", e.error.type],
    ...(e.user ? { user: { ...e.user } } : {}),
  };
}
