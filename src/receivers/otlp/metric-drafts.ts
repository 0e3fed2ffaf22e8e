// First normalization pass over an ExportMetricsServiceRequest (OTLP JSON shape): validates the
// structure (throwing OtlpRequestError with a path → 400) and turns every data point into a draft;
// points with bad values or attributes over limits are counted as rejected (→ partial success).
import type { Attributes, Scope } from "../../signal.ts";
import { type AttributeLimits, convertAttributes } from "./attributes.ts";
import type { ExpBuckets } from "./exponential.ts";
import {
  count,
  double,
  enumValue,
  fail,
  int64,
  isObject,
  list,
  message,
  nanosToMs,
  optionalDouble,
  Rejection,
  reject,
  str,
} from "./fields.ts";
import type {
  OtlpExponentialHistogramDataPoint,
  OtlpHistogramDataPoint,
  OtlpMetric,
  OtlpMetricsRequest,
  OtlpNumberDataPoint,
  OtlpResourceMetrics,
  OtlpScopeMetrics,
} from "./otlp-json.ts";

export interface PointBase {
  readonly kind: "metric";
  readonly name: string;
  readonly unit: string;
  readonly description?: string;
  readonly attributes: Attributes;
  readonly resource: Attributes;
  readonly scope: Scope;
  readonly time: number;
  readonly startTime?: number;
  readonly temporality?: "delta" | "cumulative";
}

export type MetricDraft =
  | { readonly type: "gauge"; readonly base: PointBase; readonly value: number }
  | { readonly type: "sum"; readonly base: PointBase; readonly value: number; readonly monotonic: boolean }
  | {
      readonly type: "histogram";
      readonly base: PointBase;
      readonly count: number;
      readonly sum?: number;
      readonly min?: number;
      readonly max?: number;
      readonly bounds: number[];
      readonly bucketCounts: number[];
    }
  | {
      readonly type: "exponential";
      readonly base: PointBase;
      readonly count: number;
      readonly sum?: number;
      readonly min?: number;
      readonly max?: number;
      readonly scale: number;
      readonly zeroCount: number;
      readonly zeroThreshold: number;
      readonly positive: ExpBuckets;
      readonly negative: ExpBuckets;
    };

export interface DraftResult {
  readonly drafts: MetricDraft[];
  readonly rejected: number;
  readonly errors: string[];
}

const TEMPORALITY = [
  "AGGREGATION_TEMPORALITY_UNSPECIFIED",
  "AGGREGATION_TEMPORALITY_DELTA",
  "AGGREGATION_TEMPORALITY_CUMULATIVE",
] as const;

/** Buckets per exponential histogram side beyond which a point is rejected (SDKs default to 160). */
const MAX_EXP_BUCKETS = 4096;
/** Explicit bounds beyond which a histogram point is rejected. */
const MAX_EXPLICIT_BOUNDS = 4096;
/** At most this many rejection reasons are kept per request. */
const MAX_ERRORS = 10;

function finiteOrReject(v: number, path: string): number {
  if (!Number.isFinite(v)) reject(path, `value is ${v} (NaN/Infinity rejected)`);
  return v;
}

function temporalityOf(v: unknown, path: string): "delta" | "cumulative" {
  const t = enumValue(v, TEMPORALITY, path);
  if (t === 1) return "delta";
  if (t === 2) return "cumulative";
  fail(path, "aggregationTemporality must be DELTA (1) or CUMULATIVE (2)");
}

export function draftMetrics(req: unknown, limits: AttributeLimits, now: () => number): DraftResult {
  if (!isObject(req)) fail("", "request body must be a JSON object (ExportMetricsServiceRequest)");
  const drafts: MetricDraft[] = [];
  const errors: string[] = [];
  let rejected = 0;
  const note = (msg: string, n: number): void => {
    rejected += n;
    if (errors.length < MAX_ERRORS) errors.push(msg);
  };
  const rms = list<OtlpResourceMetrics>((req as OtlpMetricsRequest).resourceMetrics, "resourceMetrics");
  for (let r = 0; r < rms.length; r++) {
    const rPath = `resourceMetrics[${r}]`;
    const rm = message<OtlpResourceMetrics>(rms[r], rPath) ?? {};
    const res = message<{ attributes?: unknown }>(rm.resource, `${rPath}.resource`);
    const resAttrs = convertAttributes(res?.attributes, `${rPath}.resource.attributes`, limits);
    const sms = list<OtlpScopeMetrics>(rm.scopeMetrics, `${rPath}.scopeMetrics`);
    for (let s = 0; s < sms.length; s++) {
      const sPath = `${rPath}.scopeMetrics[${s}]`;
      const sm = message<OtlpScopeMetrics>(sms[s], sPath) ?? {};
      const sc = message<{ name?: unknown; version?: unknown }>(sm.scope, `${sPath}.scope`);
      const version = str(sc?.version, `${sPath}.scope.version`);
      const scope: Scope = version
        ? { name: str(sc?.name, `${sPath}.scope.name`), version }
        : { name: str(sc?.name, `${sPath}.scope.name`) };
      const metrics = list<OtlpMetric>(sm.metrics, `${sPath}.metrics`);
      for (let m = 0; m < metrics.length; m++) {
        const mPath = `${sPath}.metrics[${m}]`;
        const metric = message<OtlpMetric>(metrics[m], mPath);
        if (!metric) fail(mPath, "expected a Metric object");
        const ctx: MetricContext = {
          path: mPath,
          name: str(metric.name, `${mPath}.name`),
          unit: str(metric.unit, `${mPath}.unit`),
          description: str(metric.description, `${mPath}.description`),
          resource: resAttrs.attributes,
          resourceViolation: resAttrs.violation,
          identityBytes:
            resAttrs.bytes + Buffer.byteLength(scope.name) + Buffer.byteLength(scope.version ?? ""),
          scope,
          limits,
          now,
        };
        if (ctx.name === "") fail(`${mPath}.name`, "missing metric name");
        draftMetric(metric, ctx, drafts, note);
      }
    }
  }
  return { drafts, rejected, errors };
}

interface MetricContext {
  readonly path: string;
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly resource: Attributes;
  readonly resourceViolation: string | undefined;
  /** Bytes of the resource attributes and scope, part of every series key of the metric. */
  readonly identityBytes: number;
  readonly scope: Scope;
  readonly limits: AttributeLimits;
  readonly now: () => number;
}

type Note = (msg: string, n: number) => void;

function draftMetric(metric: OtlpMetric, ctx: MetricContext, out: MetricDraft[], note: Note): void {
  const { path } = ctx;
  const each = <P>(points: unknown, at: string, build: (p: P, pPath: string) => MetricDraft): void => {
    const dps = list<P>(points, `${at}.dataPoints`);
    for (let i = 0; i < dps.length; i++) {
      const pPath = `${at}.dataPoints[${i}]`;
      const p = message<P>(dps[i], pPath);
      if (!p) fail(pPath, "expected a data point object");
      // FLAG_NO_RECORDED_VALUE (OTLP's staleness marker): a valid point that carries no value.
      if (noRecordedValue((p as { flags?: unknown }).flags, pPath)) continue;
      try {
        out.push(build(p, pPath));
      } catch (err) {
        if (!(err instanceof Rejection)) throw err;
        note(err.message, 1);
      }
    }
  };
  if (isObject(metric.gauge)) {
    each<OtlpNumberDataPoint>(metric.gauge.dataPoints, `${path}.gauge`, (p, pPath) => ({
      type: "gauge",
      base: pointBase(ctx, p, pPath, undefined),
      value: numberValue(p, pPath),
    }));
  } else if (isObject(metric.sum)) {
    const sum = metric.sum;
    const temporality = temporalityOf(sum.aggregationTemporality, `${path}.sum.aggregationTemporality`);
    if (sum.isMonotonic !== undefined && typeof sum.isMonotonic !== "boolean") {
      fail(`${path}.sum.isMonotonic`, "expected a boolean");
    }
    const monotonic = sum.isMonotonic === true;
    each<OtlpNumberDataPoint>(sum.dataPoints, `${path}.sum`, (p, pPath) => {
      const value = numberValue(p, pPath);
      if (monotonic && temporality === "delta" && value < 0)
        reject(pPath, "negative delta on a monotonic sum");
      return { type: "sum", base: pointBase(ctx, p, pPath, temporality), value, monotonic };
    });
  } else if (isObject(metric.histogram)) {
    const h = metric.histogram;
    const temporality = temporalityOf(h.aggregationTemporality, `${path}.histogram.aggregationTemporality`);
    each<OtlpHistogramDataPoint>(h.dataPoints, `${path}.histogram`, (p, pPath) =>
      histogramDraft(ctx, p, pPath, temporality),
    );
  } else if (isObject(metric.exponentialHistogram)) {
    const h = metric.exponentialHistogram;
    const at = `${path}.exponentialHistogram`;
    const temporality = temporalityOf(h.aggregationTemporality, `${at}.aggregationTemporality`);
    each<OtlpExponentialHistogramDataPoint>(h.dataPoints, at, (p, pPath) =>
      exponentialDraft(ctx, p, pPath, temporality),
    );
  } else if (isObject(metric.summary)) {
    // Summaries carry precomputed quantiles the rules cannot use: counted as rejected, said why.
    const n = list<unknown>(metric.summary.dataPoints, `${path}.summary.dataPoints`).length;
    if (n > 0) note(`${path}: summary metrics are not supported`, n);
  } else {
    fail(path, "missing data (one of gauge, sum, histogram, exponentialHistogram, summary)");
  }
}

/** DataPointFlags bit 0: the Collector's Prometheus receiver turns staleness markers into it. */
function noRecordedValue(flags: unknown, path: string): boolean {
  if (flags === undefined || flags === null) return false;
  return (int64(flags, `${path}.flags`) & 1) === 1;
}

function pointBase(
  ctx: MetricContext,
  p: { attributes?: unknown; startTimeUnixNano?: unknown; timeUnixNano?: unknown },
  pPath: string,
  temporality: "delta" | "cumulative" | undefined,
): PointBase {
  const attrs = convertAttributes(p.attributes, `${pPath}.attributes`, ctx.limits);
  const time = nanosToMs(p.timeUnixNano, `${pPath}.timeUnixNano`) ?? ctx.now();
  const startTime = nanosToMs(p.startTimeUnixNano, `${pPath}.startTimeUnixNano`);
  if (attrs.violation) reject(pPath, attrs.violation);
  if (ctx.resourceViolation) reject(pPath, ctx.resourceViolation);
  const keyBytes = ctx.identityBytes + Buffer.byteLength(ctx.name) + attrs.bytes;
  if (keyBytes > ctx.limits.maxSeriesKeyBytes)
    reject(
      pPath,
      `series key of ${keyBytes} bytes (name, scope, resource and attributes) exceeds max_series_key_bytes (${ctx.limits.maxSeriesKeyBytes})`,
    );
  const base: {
    -readonly [K in keyof PointBase]: PointBase[K];
  } = {
    kind: "metric",
    name: ctx.name,
    unit: ctx.unit,
    attributes: attrs.attributes,
    resource: ctx.resource,
    scope: ctx.scope,
    time,
  };
  if (ctx.description) base.description = ctx.description;
  if (startTime !== undefined) base.startTime = startTime;
  if (temporality) base.temporality = temporality;
  return base;
}

function numberValue(p: OtlpNumberDataPoint, pPath: string): number {
  if (p.asInt !== undefined && p.asInt !== null) return int64(p.asInt, `${pPath}.asInt`);
  if (p.asDouble !== undefined)
    return finiteOrReject(double(p.asDouble, `${pPath}.asDouble`), `${pPath}.asDouble`);
  reject(pPath, "no value (asInt or asDouble)");
}

/** sum/min/max: absent or null (some JSON writers' NaN) → undefined; ±Infinity/NaN strings → rejected. */
function optionalFinite(v: unknown, path: string): number | undefined {
  if (v === null) return undefined;
  const n = optionalDouble(v, path);
  return n === undefined ? undefined : finiteOrReject(n, path);
}

function histogramDraft(
  ctx: MetricContext,
  p: OtlpHistogramDataPoint,
  pPath: string,
  temporality: "delta" | "cumulative",
): MetricDraft {
  const bounds = list<unknown>(p.explicitBounds, `${pPath}.explicitBounds`).map((b, i) =>
    double(b, `${pPath}.explicitBounds[${i}]`),
  );
  const bucketCounts = list<unknown>(p.bucketCounts, `${pPath}.bucketCounts`).map((c, i) =>
    count(c, `${pPath}.bucketCounts[${i}]`),
  );
  const total = count(p.count, `${pPath}.count`);
  if (bounds.length > MAX_EXPLICIT_BOUNDS) reject(pPath, `more than ${MAX_EXPLICIT_BOUNDS} bounds`);
  for (let i = 0; i < bounds.length; i++) {
    if (!Number.isFinite(bounds[i]) || (i > 0 && (bounds[i] as number) <= (bounds[i - 1] as number))) {
      reject(`${pPath}.explicitBounds`, "bounds must be finite and strictly ascending");
    }
  }
  let counts = bucketCounts;
  if (counts.length === 0) {
    // No buckets recorded: everything in one +Inf bucket keeps count consistent.
    counts = new Array<number>(bounds.length + 1).fill(0);
    counts[bounds.length] = total;
  } else if (counts.length !== bounds.length + 1) {
    reject(
      pPath,
      `bucketCounts has ${counts.length} entries, expected explicitBounds.length + 1 = ${bounds.length + 1}`,
    );
  }
  return {
    type: "histogram",
    base: pointBase(ctx, p, pPath, temporality),
    count: total,
    sum: optionalFinite(p.sum, `${pPath}.sum`),
    min: optionalFinite(p.min, `${pPath}.min`),
    max: optionalFinite(p.max, `${pPath}.max`),
    bounds,
    bucketCounts: counts,
  };
}

function expBuckets(raw: unknown, path: string): ExpBuckets {
  const b = message<{ offset?: unknown; bucketCounts?: unknown }>(raw, path);
  if (!b) return { offset: 0, counts: [] };
  const offset = int64(b.offset, `${path}.offset`);
  const counts = list<unknown>(b.bucketCounts, `${path}.bucketCounts`);
  if (counts.length > MAX_EXP_BUCKETS) reject(path, `more than ${MAX_EXP_BUCKETS} buckets`);
  if (Math.abs(offset) > 2 ** 30) reject(`${path}.offset`, "offset out of range");
  return { offset, counts: counts.map((c, i) => count(c, `${path}.bucketCounts[${i}]`)) };
}

function exponentialDraft(
  ctx: MetricContext,
  p: OtlpExponentialHistogramDataPoint,
  pPath: string,
  temporality: "delta" | "cumulative",
): MetricDraft {
  const scale = int64(p.scale, `${pPath}.scale`);
  if (scale < -10 || scale > 20) reject(`${pPath}.scale`, `scale ${scale} outside -10..20`);
  const zeroThreshold = p.zeroThreshold === undefined ? 0 : double(p.zeroThreshold, `${pPath}.zeroThreshold`);
  if (!Number.isFinite(zeroThreshold) || zeroThreshold < 0)
    reject(`${pPath}.zeroThreshold`, "must be finite and ≥ 0");
  return {
    type: "exponential",
    base: pointBase(ctx, p, pPath, temporality),
    count: count(p.count, `${pPath}.count`),
    sum: optionalFinite(p.sum, `${pPath}.sum`),
    min: optionalFinite(p.min, `${pPath}.min`),
    max: optionalFinite(p.max, `${pPath}.max`),
    scale,
    zeroCount: count(p.zeroCount, `${pPath}.zeroCount`),
    zeroThreshold,
    positive: expBuckets(p.positive, `${pPath}.positive`),
    negative: expBuckets(p.negative, `${pPath}.negative`),
  };
}
