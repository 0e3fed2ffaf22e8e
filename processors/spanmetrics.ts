// Spans → metrics, like the collector's spanmetrics connector but only for what the seed alerts need:
// failed database client spans count into pipeline.db.failures, and HTTP client span durations become
// http.client.request.duration histograms for services that do not export that histogram themselves.
// Every item passes through unchanged; derived points follow the span that produced them.
import { Observable, type OperatorFunction } from "rxjs";
import { z } from "zod";
import { type ComponentContext, defineFactory, type Processor } from "../src/component.ts";
import { duration } from "../src/config/duration.ts";
import { LONG_LATENCY_BUCKETS_SECONDS, PipelineMetricNames } from "../src/pipeline-metrics.ts";
import {
  type Attributes,
  type HistogramPoint,
  type Item,
  type Scope,
  type SpanSignal,
  type SumPoint,
  stableStringify,
} from "../src/signal.ts";
import { DerivedHistogramGate } from "./spanmetrics-gate.ts";

export const SPANMETRICS_SCOPE: Scope = { name: "alertpipe/spanmetrics" };

const enabledField = (what: string) =>
  z
    .boolean()
    .default(true)
    .meta({ description: `Derive ${what}.` });

const configSchema = z
  .strictObject({
    db_failures: z
      .strictObject({
        enabled: enabledField("the failed-database-call counter from failed database client spans"),
        metric: z.string().min(1).default(PipelineMetricNames.dbFailures).meta({
          description: "Counter each failed database client span (kind client, a db.* attribute) adds 1 to.",
        }),
      })
      .default({ enabled: true, metric: PipelineMetricNames.dbFailures })
      .meta({
        description: "Failed database client spans become a counter (the database_failures alert reads it).",
      }),
    http_client_duration: z
      .strictObject({
        enabled: enabledField("the HTTP client duration histogram from HTTP client spans"),
        metric: z
          .string()
          .min(1)
          .default(PipelineMetricNames.httpClientDuration)
          .meta({ description: "Histogram HTTP client span durations (seconds) are recorded into." }),
        buckets: z
          .array(z.number().positive().finite())
          .min(1)
          .refine(
            (b) => b.every((v, i) => i === 0 || v > (b[i - 1] ?? 0)),
            "buckets must be strictly ascending",
          )
          .default([...LONG_LATENCY_BUCKETS_SECONDS])
          .meta({
            description:
              "Histogram bucket upper bounds, seconds, strictly ascending (the default reaches 300 s, past the 60 s fetch-latency threshold).",
          }),
        real_histogram_ttl: duration("s").prefault(600).meta({
          description:
            "Time (seconds, or 10m…) a service counts as exporting its own duration histogram after one was last seen from it; meanwhile its spans derive nothing (no double counting).",
        }),
        real_histogram_grace: duration("s", { zero: true }).prefault(60).meta({
          description:
            "Time (seconds, or 1m…) a newly seen service's derived points wait for its own histogram (its first metric export may trail its first spans); 0 = never wait.",
        }),
      })
      .default({
        enabled: true,
        metric: PipelineMetricNames.httpClientDuration,
        buckets: [...LONG_LATENCY_BUCKETS_SECONDS],
        real_histogram_ttl: 600,
        real_histogram_grace: 60,
      })
      .meta({
        description:
          "HTTP client span durations become a histogram when the service exports none of its own (the fetch_latency alert reads it).",
      }),
  })
  .meta({
    description: "Derives metrics from spans: failed database calls and HTTP client request durations.",
  });

export type SpanMetricsConfig = z.output<typeof configSchema>;

/** A database client span: kind client with any db.* attribute. */
export function isDatabaseClientSpan(span: SpanSignal): boolean {
  return span.spanKind === "client" && Object.keys(span.attributes).some((k) => k.startsWith("db."));
}

/** An HTTP client span: kind client with the (old or stable) HTTP method attribute. */
export function isHttpClientSpan(span: SpanSignal): boolean {
  return (
    span.spanKind === "client" &&
    ("http.request.method" in span.attributes || "http.method" in span.attributes)
  );
}

export function createSpanMetricsProcessor(config: SpanMetricsConfig, context: ComponentContext): Processor {
  const bounds = config.http_client_duration.buckets;
  const gate = new DerivedHistogramGate({
    scheduler: context.scheduler,
    ttlMs: config.http_client_duration.real_histogram_ttl * 1000,
    graceMs: config.http_client_duration.real_histogram_grace * 1000,
    maxPending: 10_000,
  });
  let dbFailures = 0;

  function derive(item: Item): Item[] {
    if (item.kind === "metric") {
      if (item.name === config.http_client_duration.metric && item.scope.name !== SPANMETRICS_SCOPE.name) {
        gate.observeReal(stableStringify(item.resource));
      }
      return [];
    }
    if (item.kind !== "span") return [];
    const out: Item[] = [];
    if (config.db_failures.enabled && item.status.code === "error" && isDatabaseClientSpan(item)) {
      out.push(dbFailurePoint(item, config.db_failures.metric));
      dbFailures++;
    }
    if (config.http_client_duration.enabled && isHttpClientSpan(item)) {
      const point = gate.offer(
        stableStringify(item.resource),
        httpDurationPoint(item, config.http_client_duration.metric, bounds),
      );
      if (point) out.push(point);
    }
    return out;
  }

  const operator: OperatorFunction<Item, Item> = (source) =>
    new Observable<Item>((subscriber) => {
      // Points released after their grace period go to whoever is subscribed now.
      const sink = (p: Item) => subscriber.next(p);
      gate.setSink(sink);
      const inner = source.subscribe({
        next(item) {
          subscriber.next(item);
          for (const derived of derive(item)) subscriber.next(derived);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          gate.flush();
          subscriber.complete();
        },
      });
      return () => {
        inner.unsubscribe();
        gate.setSink(undefined);
      };
    });

  return {
    operator,
    async shutdown() {
      gate.flush();
    },
    status: () => ({
      db_failures_derived: dbFailures,
      http_histograms_derived: gate.derived,
      http_histograms_suppressed: gate.suppressed,
      http_histograms_held: gate.held,
      services_exporting_histograms: gate.servicesExporting,
    }),
  };
}

function dbFailurePoint(span: SpanSignal, name: string): SumPoint {
  const a = span.attributes;
  const attributes: Record<string, string> = {};
  const system = a["db.system.name"] ?? a["db.system"];
  if (system !== undefined) attributes["db.system.name"] = String(system);
  const operation =
    a["db.operation.name"] ?? a["db.operation"] ?? firstKeyword(a["db.query.text"] ?? a["db.statement"]);
  if (operation !== undefined) attributes["db.operation.name"] = String(operation);
  return {
    kind: "metric",
    type: "sum",
    name,
    unit: "{failure}",
    value: 1,
    monotonic: true,
    temporality: "delta",
    attributes,
    resource: span.resource,
    scope: SPANMETRICS_SCOPE,
    time: span.endTime,
    startTime: span.startTime,
  };
}

/** SQL verb of a statement ("SELECT", "INSERT"…), the semantic conventions' fallback operation name. */
function firstKeyword(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^\s*([A-Za-z]+)/.exec(text);
  return m?.[1]?.toUpperCase();
}

const HTTP_ATTRIBUTES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["http.request.method", ["http.request.method", "http.method"]],
  ["server.address", ["server.address", "net.peer.name"]],
  ["server.port", ["server.port", "net.peer.port"]],
  ["http.response.status_code", ["http.response.status_code", "http.status_code"]],
  ["error.type", ["error.type"]],
];

function httpDurationPoint(span: SpanSignal, name: string, bounds: readonly number[]): HistogramPoint {
  const attributes: Record<string, string | number> = {};
  for (const [target, sources] of HTTP_ATTRIBUTES) {
    const value = sources.map((s) => span.attributes[s]).find((v) => v !== undefined);
    if (typeof value === "string" || typeof value === "number") attributes[target] = value;
  }
  if (span.status.code === "error" && attributes["error.type"] === undefined) {
    const status = attributes["http.response.status_code"];
    attributes["error.type"] = status !== undefined ? String(status) : "_OTHER";
  }
  const seconds = Math.max(0, span.durationMs) / 1000;
  const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
  const index = bounds.findIndex((b) => seconds <= b);
  bucketCounts[index < 0 ? bounds.length : index] = 1;
  return {
    kind: "metric",
    type: "histogram",
    name,
    unit: "s",
    count: 1,
    sum: seconds,
    min: seconds,
    max: seconds,
    bounds,
    bucketCounts,
    temporality: "delta",
    attributes: attributes as Attributes,
    resource: span.resource,
    scope: SPANMETRICS_SCOPE,
    time: span.endTime,
    startTime: span.startTime,
  };
}

export const spanMetricsProcessorFactory = defineFactory({
  kind: "processor",
  type: "spanmetrics",
  configSchema,
  create: (config, context) => createSpanMetricsProcessor(config, context),
});
