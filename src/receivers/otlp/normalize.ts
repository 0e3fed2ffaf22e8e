// OtlpNormalizer: OTLP requests in their JSON shape → signal-model Items; owns cumulative → delta state.
//
//   new OtlpNormalizer(options?: OtlpNormalizerOptions)
//   normalizer.metrics(req: unknown): NormalizeResult   // req = ExportMetricsServiceRequest, OTLP JSON shape
//   normalizer.traces(req: unknown): NormalizeResult    // req = ExportTraceServiceRequest, OTLP JSON shape
//   normalizer.logs(req: unknown): NormalizeResult      // req = ExportLogsServiceRequest, OTLP JSON shape
//   NormalizeResult = { items: Item[]; rejected: number; errors: string[] }
//
// Input: exactly what `JSON.parse(new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(rm)))`
// (or JsonTraceSerializer, JsonLogsSerializer) gives, i.e. the proto3 JSON mapping: camelCase fields,
// int64/fixed64 as numbers or decimal strings, enums as numbers or names, trace/span ids as hex (base64
// accepted), NaN as null or "NaN". Protobuf requests are decoded into this same shape first (protobuf.ts).
// A structurally malformed request throws OtlpRequestError (message starts with the offending path)
// and leaves the delta state untouched; bad points, spans or log records (NaN/Infinity, attributes
// over limits) are left out and counted in `rejected`, with up to 10 reasons in `errors`.
// Items come out in request order. Sums and histograms are deltas (see cumulative.ts for the rules).
import type { HistogramPoint, Item, MetricPoint } from "../../signal.ts";
import { seriesKey } from "../../signal.ts";
import type { AttributeLimits } from "./attributes.ts";
import { CumulativeToDelta, type InitialValue, seriesHash } from "./cumulative.ts";
import { expToExplicit } from "./exponential.ts";
import { normalizeLogs } from "./logs.ts";
import { draftMetrics, type MetricDraft } from "./metric-drafts.ts";
import type { OtlpSignal } from "./signals.ts";
import { normalizeSpans } from "./spans.ts";

export { OtlpRequestError } from "./fields.ts";

export interface NormalizeResult {
  readonly items: Item[];
  readonly rejected: number;
  readonly errors: string[];
}

export interface OtlpNormalizerOptions {
  /** Max attributes per point/span/event (default 128). */
  readonly maxAttributes?: number;
  /** Max length of an attribute string value (default 4096). */
  readonly maxAttributeValueLength?: number;
  /** Max UTF-8 bytes of one attribute list, keys and values (default 16 KiB). */
  readonly maxAttributesBytes?: number;
  /** Max bytes of a series' identity: name, scope, resource and point attributes (default 32 KiB). */
  readonly maxSeriesKeyBytes?: number;
  /** Cumulative series unseen this long are forgotten (ms, default 1 h). */
  readonly seriesTtlMs?: number;
  /** At most this many cumulative series are tracked (LRU, default 100 000). */
  readonly maxSeries?: number;
  /** At most this many bytes of cumulative baselines are kept (LRU, default 64 MiB). */
  readonly maxBaselineBytes?: number;
  /** Clock in ms (default Date.now); the receiver passes its scheduler's now(). */
  readonly now?: () => number;
  /**
   * The first point of a cumulative stream (cumulative.ts): `auto` (default) emits it whole only
   * when the stream started at or after `startedAt`, `keep` always (the in-process bridge, created
   * before its SDK), `drop` never.
   */
  readonly initialValue?: InitialValue;
  /** When the receiver started, ms (default: the normalizer's creation on its clock, less sender clock skew). */
  readonly startedAt?: number;
}

/**
 * Sender clocks are not the receiver's: a stream stamped this much before the receiver's start still
 * counts as begun since (NTP-level skew; an OTel JS SDK's performance clock drifts from Date.now()).
 */
const SENDER_CLOCK_SKEW_MS = 2_000;

/** Size limits shared with the receiver config's defaults. */
export const DEFAULT_LIMITS = {
  maxAttributesBytes: 16 * 1024,
  maxSeriesKeyBytes: 32 * 1024,
  maxBaselineBytes: 64 * 1024 * 1024,
} as const;

export class OtlpNormalizer {
  private readonly limits: AttributeLimits;
  private readonly now: () => number;
  private readonly deltas: CumulativeToDelta;

  constructor(options: OtlpNormalizerOptions = {}) {
    this.limits = {
      maxAttributes: options.maxAttributes ?? 128,
      maxValueLength: options.maxAttributeValueLength ?? 4096,
      maxBytes: options.maxAttributesBytes ?? DEFAULT_LIMITS.maxAttributesBytes,
      maxSeriesKeyBytes: options.maxSeriesKeyBytes ?? DEFAULT_LIMITS.maxSeriesKeyBytes,
    };
    this.now = options.now ?? Date.now;
    this.deltas = new CumulativeToDelta({
      ttlMs: options.seriesTtlMs ?? 3_600_000,
      maxSeries: options.maxSeries ?? 100_000,
      maxBytes: options.maxBaselineBytes ?? DEFAULT_LIMITS.maxBaselineBytes,
      initialValue: options.initialValue ?? "auto",
      startedAt: options.startedAt ?? this.now() - SENDER_CLOCK_SKEW_MS,
    });
  }

  /** The cumulative → delta state (for persisting baselines across restarts). */
  get cumulative(): CumulativeToDelta {
    return this.deltas;
  }

  /** Number of cumulative series currently tracked. */
  get seriesCount(): number {
    return this.deltas.size;
  }

  metrics(req: unknown): NormalizeResult {
    const { drafts, rejected, errors } = draftMetrics(req, this.limits, this.now);
    const now = this.now();
    this.deltas.expire(now);
    const items: Item[] = [];
    for (const draft of drafts) {
      const point = this.toPoint(draft, now);
      if (point) items.push(point);
    }
    return { items, rejected, errors };
  }

  traces(req: unknown): NormalizeResult {
    return normalizeSpans(req, this.limits);
  }

  logs(req: unknown): NormalizeResult {
    return normalizeLogs(req, this.limits, this.now);
  }

  /** The request of `signal` (the path it was posted to). */
  normalize(signal: OtlpSignal, req: unknown): NormalizeResult {
    if (signal === "metrics") return this.metrics(req);
    return signal === "traces" ? this.traces(req) : this.logs(req);
  }

  private toPoint(draft: MetricDraft, now: number): MetricPoint | undefined {
    if (draft.type === "gauge") return { ...draft.base, type: "gauge", value: draft.value };
    let d: MetricDraft | undefined = draft;
    if (draft.base.temporality === "cumulative") {
      // Kept by a hash of the identity: a baseline's size does not grow with its attributes.
      d = this.deltas.convert(seriesHash(`${draft.type}|${seriesKey(draft.base)}`), draft, now);
      if (!d) return undefined;
    }
    switch (d.type) {
      case "sum":
        return { ...d.base, type: "sum", value: d.value, monotonic: d.monotonic };
      case "histogram":
        return histogramPoint(d, d.bounds, d.bucketCounts);
      case "exponential": {
        const { bounds, bucketCounts } = expToExplicit(
          d.scale,
          d.zeroThreshold,
          d.zeroCount,
          d.positive,
          d.negative,
        );
        return histogramPoint(d, bounds, bucketCounts);
      }
      default:
        return undefined;
    }
  }
}

function histogramPoint(
  d: Extract<MetricDraft, { type: "histogram" | "exponential" }>,
  bounds: number[],
  bucketCounts: number[],
): HistogramPoint {
  const p: { -readonly [K in keyof HistogramPoint]: HistogramPoint[K] } = {
    ...d.base,
    type: "histogram",
    count: d.count,
    bounds,
    bucketCounts,
  };
  if (d.sum !== undefined) p.sum = d.sum;
  if (d.min !== undefined) p.min = d.min;
  if (d.max !== undefined) p.max = d.max;
  return p;
}
