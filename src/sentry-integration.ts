// The guide's SentryIntegration: capturePipelineError / captureLlmError build ErrorEvents and feed
// them into the pipeline (scrub → sentry exporter), so captured errors get the same scrubbing,
// queueing and status as span exceptions. Without a sink it sends through its own Sentry exporter.
import { trace } from "@opentelemetry/api";
import { pino } from "pino";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { createSentryExporter, type SentryExporter, sentryConfigSchema } from "../exporters/sentry.ts";
import type { ComponentStatus } from "./component.ts";
import { defaultScrubber } from "./scrub/scrub.ts";
import type { ErrorEvent, Item } from "./signal.ts";

/** Where captured items go: the in-process receiver's submit (or any pipeline entry point). */
export type ItemSink = (item: Item) => void | Promise<void>;

export interface SentryIntegrationOptions {
  /** SENTRY_DSN; only used when there is no `submit` sink (standalone mode). */
  readonly dsn?: string;
  /** SENTRY_ENVIRONMENT (standalone mode; in a pipeline the sentry exporter's setting applies). */
  readonly environment?: string;
  readonly release?: string;
  /** Pipeline entry point; when given, errors go through the pipeline. */
  readonly submit?: ItemSink;
  readonly scheduler?: SchedulerLike;
}

export interface PipelineErrorInput {
  readonly error: unknown;
  readonly component: string;
  readonly operation?: string;
  readonly artifactId?: string;
  readonly pipelineState?: Readonly<Record<string, unknown>>;
  readonly userInfo?: Readonly<Record<string, unknown>>;
}

export interface LlmErrorInput {
  readonly error: unknown;
  readonly artifactId?: string;
  readonly llmProvider?: string;
  readonly model?: string;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  readonly cost?: number;
  /** Defaults: component "llm_enricher", operation "llm_call". */
  readonly component?: string;
  readonly operation?: string;
  readonly pipelineState?: Readonly<Record<string, unknown>>;
}

/** type / message / stack from anything thrown. */
export function describeError(error: unknown): ErrorEvent["error"] {
  if (error instanceof Error)
    return { type: error.name || error.constructor.name, message: error.message, stack: error.stack };
  return {
    type: "Error",
    message: typeof error === "string" ? error : (JSON.stringify(error) ?? String(error)),
  };
}

/** The active OTel span's ids, so the Sentry issue links to the trace the error happened in. */
function activeTraceIds(): { traceId?: string; spanId?: string } {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (!ctx || !trace.isSpanContextValid(ctx)) return {};
  return { traceId: ctx.traceId, spanId: ctx.spanId };
}

export class SentryIntegration {
  readonly #submit: ItemSink;
  readonly #scheduler: SchedulerLike;
  readonly #exporter?: SentryExporter;
  readonly #configured: boolean;
  #captured = 0;

  constructor(options: SentryIntegrationOptions = {}) {
    this.#scheduler = options.scheduler ?? asyncScheduler;
    if (options.submit) {
      this.#submit = options.submit;
      this.#configured = true;
    } else {
      const exporter = createSentryExporter(
        sentryConfigSchema.parse({
          dsn: options.dsn ?? "",
          environment: options.environment ?? "",
          release: options.release ?? "",
        }),
        {
          id: "sentry-integration",
          scheduler: this.#scheduler,
          logger: pino({ level: "warn" }),
          configDir: process.cwd(),
          env: process.env,
        },
      );
      this.#exporter = exporter;
      this.#configured = exporter.configured;
      // Standalone: scrub here, since no scrub processor sits in front of this exporter.
      this.#submit = (item) => exporter.export([defaultScrubber.item(item)]);
    }
  }

  /** True when errors have somewhere to go (a pipeline sink, or a DSN in standalone mode). */
  get configured(): boolean {
    return this.#configured;
  }

  async capturePipelineError(input: PipelineErrorInput): Promise<ErrorEvent> {
    const event: ErrorEvent = {
      kind: "error",
      error: describeError(input.error),
      component: input.component,
      operation: input.operation,
      artifactId: input.artifactId,
      pipelineState: input.pipelineState,
      user: input.userInfo,
      time: this.#scheduler.now(),
      ...activeTraceIds(),
    };
    await this.#emit(event);
    return event;
  }

  async captureLlmError(input: LlmErrorInput): Promise<ErrorEvent> {
    const event: ErrorEvent = {
      kind: "error",
      error: describeError(input.error),
      component: input.component ?? "llm_enricher",
      operation: input.operation ?? "llm_call",
      artifactId: input.artifactId,
      pipelineState: input.pipelineState,
      llm: {
        provider: input.llmProvider,
        model: input.model,
        promptTokens: input.promptTokens,
        completionTokens: input.completionTokens,
        cost: input.cost,
      },
      time: this.#scheduler.now(),
      ...activeTraceIds(),
    };
    await this.#emit(event);
    return event;
  }

  async #emit(event: ErrorEvent): Promise<void> {
    this.#captured++;
    await this.#submit(event);
  }

  status(): ComponentStatus {
    return {
      configured: this.#configured,
      captured: this.#captured,
      ...(this.#exporter ? { exporter: this.#exporter.status?.() } : {}),
    };
  }

  /** Standalone mode: wait for the exporter's queue (bounded by its shutdown_timeout). */
  async close(): Promise<void> {
    await this.#exporter?.shutdown();
  }
}
