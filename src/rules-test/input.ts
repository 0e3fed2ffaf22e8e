// Input series → the OTLP requests a scraper's SDK would have exported: one request per step
// holding every series' sample at that instant (so a ratio's numerator and denominator arrive in
// one batch), gauges as gauges, counters and histograms as cumulative streams.
import type { OtlpKeyValue, OtlpMetric, OtlpMetricsRequest } from "../receivers/otlp/otlp-json.ts";
import type { InputSeries } from "./file.ts";
import type { HistogramSample } from "./notation.ts";

export interface InputStep {
  /** ms since the epoch */
  readonly time: number;
  readonly request: OtlpMetricsRequest;
}

/** OTLP's DataPointFlags FLAG_NO_RECORDED_VALUE. */
const NO_RECORDED_VALUE = 1;
const CUMULATIVE = 2;

/**
 * Cumulative series "started" this long before the test: older than the receiver, so the first
 * sample only sets the baseline and increases are the differences between samples, as in Prometheus.
 */
export const SERIES_STARTED_BEFORE_MS = 3_600_000;

export function nanos(ms: number): string {
  return (BigInt(Math.round(ms)) * 1_000_000n).toString();
}

export function inputSteps(series: readonly InputSeries[], origin: number, interval: number): InputStep[] {
  const length = Math.max(0, ...series.map((s) => s.samples.length));
  const start = nanos(origin - SERIES_STARTED_BEFORE_MS);
  const attributes = series.map((s) => keyValues(s.series.attributes));
  const steps: InputStep[] = [];
  for (let k = 0; k < length; k++) {
    const time = origin + k * interval;
    const at = nanos(time);
    const metrics: OtlpMetric[] = [];
    series.forEach((s, i) => {
      const sample = s.samples[k];
      if (sample === undefined || sample === "missing") return;
      const point = {
        attributes: attributes[i],
        startTimeUnixNano: start,
        timeUnixNano: at,
        ...(sample === "stale" ? { flags: NO_RECORDED_VALUE } : {}),
      };
      const { metric: name, attributes: _ } = s.series;
      if (s.type === "histogram") {
        const h = typeof sample === "object" ? histogramFields(sample, s.bounds) : {};
        const dataPoints = [{ ...point, explicitBounds: [...s.bounds], ...h }];
        metrics.push({ name, unit: s.unit, histogram: { aggregationTemporality: CUMULATIVE, dataPoints } });
        return;
      }
      const value = typeof sample === "number" ? { asDouble: sample } : {};
      if (s.type === "counter") {
        const sum = {
          aggregationTemporality: CUMULATIVE,
          isMonotonic: true,
          dataPoints: [{ ...point, ...value }],
        };
        metrics.push({ name, unit: s.unit, sum });
      } else {
        const { startTimeUnixNano: _start, ...gaugePoint } = point;
        metrics.push({ name, unit: s.unit, gauge: { dataPoints: [{ ...gaugePoint, ...value }] } });
      }
    });
    if (metrics.length === 0) continue;
    steps.push({
      time,
      request: {
        resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: { name: "alertpipe.test" }, metrics }] }],
      },
    });
  }
  return steps;
}

function histogramFields(h: HistogramSample, bounds: readonly number[]) {
  return {
    count: h.count,
    bucketCounts: [...h.buckets],
    explicitBounds: [...bounds],
    ...(h.sum !== undefined ? { sum: h.sum } : {}),
    ...(h.min !== undefined ? { min: h.min } : {}),
    ...(h.max !== undefined ? { max: h.max } : {}),
  };
}

function keyValues(attributes: Readonly<Record<string, string>>): OtlpKeyValue[] {
  return Object.entries(attributes).map(([key, v]) => ({ key, value: { stringValue: v } }));
}
