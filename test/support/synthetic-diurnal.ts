// Two weeks of diurnal scraper throughput as OTLP JSON lines (what the otlp receiver's capture
// writes): one export a minute of the cumulative counter `pipeline.artifacts.processed`, whose
// rate follows the day from 20/s at 03:00 to 180/s at 15:00 with ±5 % noise, and known anomalies
// that stay inside the daily range. Used by test/anomaly-replay.test.ts and bench/anomaly.ts.

export const START = Date.UTC(2025, 0, 6); // a Monday, 00:00 UTC
export const STEP_MS = 60_000;
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface InjectedAnomaly {
  /** Offset from START, ms. */
  readonly start: number;
  readonly durationMs: number;
  /** The usual rate is multiplied by this. */
  readonly factor: number;
}

const at = (day: number, hour: number) => day * DAY + hour * HOUR;

/** The four anomalies of issue 16: ×2.2 at 03:00, ×0.45 at 14:00, ×2.0 at 21:00, ×0.4 at 11:00, 30 min each. */
export const ANOMALIES: readonly InjectedAnomaly[] = [
  { start: at(4, 3), durationMs: 30 * MIN, factor: 2.2 },
  { start: at(6, 14), durationMs: 30 * MIN, factor: 0.45 },
  { start: at(9, 21), durationMs: 30 * MIN, factor: 2.0 },
  { start: at(12, 11), durationMs: 30 * MIN, factor: 0.4 },
];

/**
 * The usual rate (artifacts/s) at `offset` ms: 20/s at 03:00, 180/s at 15:00, a broad afternoon
 * and a quiet night (a raised cosine to the power 1.5), the same every day.
 */
export function usualRate(offset: number): number {
  const hours = (offset % DAY) / HOUR;
  const rise = (1 - Math.cos((2 * Math.PI * (hours - 3)) / 24)) / 2;
  return 20 + 160 * rise ** 1.5;
}

/** A holiday-like day: the rate stays at `rate` all day, whatever the hour. */
export interface FlatDay {
  readonly day: number;
  readonly rate: number;
}

export interface DiurnalOptions {
  readonly days?: number;
  readonly anomalies?: readonly InjectedAnomaly[];
  readonly flatDays?: readonly FlatDay[];
  /** PRNG seed of the noise. */
  readonly seed?: number;
  /** ± relative noise per minute (uniform), default 0.05. */
  readonly noise?: number;
  readonly start?: number;
}

/** The rate the capture has at `offset`, before noise. */
export function trueRate(offset: number, options: DiurnalOptions = {}): number {
  const flat = options.flatDays?.find((f) => Math.floor(offset / DAY) === f.day);
  let rate = flat ? flat.rate : usualRate(offset);
  for (const a of options.anomalies ?? ANOMALIES) {
    if (offset >= a.start && offset < a.start + a.durationMs) rate *= a.factor;
  }
  return rate;
}

/** mulberry32: a small deterministic PRNG, so every run sees the same noise. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const RESOURCE = { attributes: [str("service.name", "roaster-scraper"), str("host.name", "scraper-1")] };

/** The capture's requests in order: one metrics export a minute. */
export function* diurnalRequests(options: DiurnalOptions = {}): Generator<Record<string, unknown>> {
  const { days = 14, seed = 16, noise = 0.05, start = START } = options;
  const random = prng(seed);
  const processStart = nanos(start - 10 * MIN);
  let total = 0;
  for (let offset = 0; offset < days * DAY; offset += STEP_MS) {
    // What was processed in the minute up to this export.
    const rate = trueRate(offset, options) * (1 + noise * (2 * random() - 1));
    total += Math.round(rate * 60);
    const point = {
      attributes: [str("platform", "shopify")],
      startTimeUnixNano: processStart,
      timeUnixNano: nanos(start + offset),
      asInt: String(total),
    };
    const metric = {
      name: "pipeline.artifacts.processed",
      unit: "1",
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [point] },
    };
    yield {
      resourceMetrics: [
        { resource: RESOURCE, scopeMetrics: [{ scope: { name: "alertpipe.pipeline" }, metrics: [metric] }] },
      ],
    };
  }
}

export function diurnalLines(options: DiurnalOptions = {}): string[] {
  const lines: string[] = [];
  for (const request of diurnalRequests(options)) lines.push(JSON.stringify(request));
  return lines;
}
