// A synthetic day of scraper telemetry as OTLP JSON lines (what the otlp receiver's capture
// writes): one metrics export every 10 s (8,640 requests, 14 points each, counters and the latency
// histogram cumulative, as the SDK exports them), a few trace exports, and known breaches.
// Used by test/replay.test.ts (exact notices) and bench/replay.ts (speed).

export const DAY_START = Date.UTC(2025, 0, 6); // a Monday, 00:00 UTC
export const STEP_MS = 10_000;
export const HOUR = 3_600_000;
export const MIN = 60_000;

/** The breaches, as [start, end) offsets from DAY_START. */
export const BREACHES = {
  /** memory used 92 % (> 85) for 20 minutes… */
  memory: [[10 * HOUR, 10 * HOUR + 20 * MIN]],
  /** …and 87 % (above 85, not 90) 5 minutes later, inside the first one's 30-minute cooldown. */
  memoryMild: [[10 * HOUR + 25 * MIN, 10 * HOUR + 40 * MIN]],
  /** health score 20 (< 30) for 30 minutes: critical, so escalated after 15 minutes. */
  health: [[14 * HOUR, 14 * HOUR + 30 * MIN]],
  /** /data filesystem 95 % (> 90) for 5 minutes. */
  disk: [[18 * HOUR, 18 * HOUR + 5 * MIN]],
} as const;

/** Exceptions recorded on spans (→ error notices), offsets from DAY_START. */
export const EXCEPTIONS = [12 * HOUR, 12 * HOUR + 30 * MIN] as const;

const within = (offset: number, ranges: readonly (readonly [number, number])[]) =>
  ranges.some(([a, b]) => offset >= a && offset < b);

const memoryAt = (offset: number) =>
  within(offset, BREACHES.memory) ? 0.92 : within(offset, BREACHES.memoryMild) ? 0.87 : 0.6;

export const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
export const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
/** A cumulative monotonic counter as an SDK exports it: `points` are [attributes, total so far]. */
export function cumulativeCounter(
  name: string,
  points: [unknown[], number][],
  startNanos: string,
  timeNanos: string,
): Record<string, unknown> {
  return {
    name,
    unit: "1",
    sum: {
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: points.map(([attributes, v]) => ({
        attributes,
        startTimeUnixNano: startNanos,
        timeUnixNano: timeNanos,
        asInt: String(v),
      })),
    },
  };
}

const RESOURCE = { attributes: [str("service.name", "roaster-scraper"), str("host.name", "scraper-1")] };
const BOUNDS = [0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The metrics export at `offset` (ms from `start`): cumulative values as an SDK keeps them. */
export function metricsRequest(start: number, offset: number): Record<string, unknown> {
  const time = nanos(start + offset);
  const processStart = nanos(start - 10 * MIN);
  const k = offset / STEP_MS + 1; // exports so far
  const gauge = (name: string, value: number, attributes: unknown[] = []) => ({
    name,
    unit: "1",
    gauge: { dataPoints: [{ attributes, timeUnixNano: time, asDouble: value }] },
  });
  const counter = (name: string, points: [unknown[], number][]) =>
    cumulativeCounter(name, points, processStart, time);
  // 8 fetches per export, under a second each: p95 far below the 60 s threshold.
  const fetches = 8 * k;
  const latency = {
    name: "http.client.request.duration",
    unit: "s",
    histogram: {
      aggregationTemporality: 2,
      dataPoints: [
        {
          attributes: [str("server.address", "roaster.example")],
          startTimeUnixNano: processStart,
          timeUnixNano: time,
          count: String(fetches),
          sum: 0.4 * fetches,
          min: 0.1,
          max: 0.9,
          explicitBounds: BOUNDS,
          bucketCounts: [6 * k, 2 * k, 0, 0, 0, 0, 0, 0, 0].map(String),
        },
      ],
    },
  };
  const roaster = (id: string) => [str("roaster.id", id), str("platform", "shopify")];
  const metrics = [
    gauge("pipeline.health.score", within(offset, BREACHES.health) ? 20 : 95),
    gauge("system.memory.utilization", memoryAt(offset), [str("system.memory.state", "used")]),
    {
      name: "system.filesystem.utilization",
      unit: "1",
      gauge: {
        dataPoints: [
          { attributes: [str("system.filesystem.mountpoint", "/")], timeUnixNano: time, asDouble: 0.4 },
          {
            attributes: [str("system.filesystem.mountpoint", "/data")],
            timeUnixNano: time,
            asDouble: within(offset, BREACHES.disk) ? 0.95 : 0.5,
          },
        ],
      },
    },
    counter("pipeline.rpc.calls", [
      [[str("rpc.method", "upsert_coffee")], 10 * k],
      [[str("rpc.method", "upsert_coffee"), str("error.type", "timeout")], 0],
    ]),
    counter("pipeline.validation.checks", [
      [[str("validation.outcome", "pass")], 9 * k],
      [[str("validation.outcome", "fail")], k],
    ]),
    counter("pipeline.artifacts.processed", [
      [roaster("blue-bottle"), 10 * k],
      [roaster("onyx"), 10 * k],
    ]),
    counter("pipeline.artifacts.review_flagged", [
      [roaster("blue-bottle"), k],
      [roaster("onyx"), k],
    ]),
    counter("pipeline.db.failures", [[[str("db.operation.name", "insert")], 0]]),
    latency,
  ];
  return {
    resourceMetrics: [
      { resource: RESOURCE, scopeMetrics: [{ scope: { name: "alertpipe.pipeline" }, metrics }] },
    ],
  };
}

/** A trace export at `offset` with one span that recorded an exception. */
export function exceptionRequest(start: number, offset: number): Record<string, unknown> {
  const end = start + offset;
  const hex = (n: number, len: number) => n.toString(16).padStart(len, "0");
  const span = {
    traceId: hex(offset + 1, 32),
    spanId: hex(offset + 1, 16),
    name: "parse_artifact",
    kind: 1,
    startTimeUnixNano: nanos(end - 200),
    endTimeUnixNano: nanos(end),
    attributes: [str("pipeline.component", "normalizer"), str("pipeline.artifact.id", `artifact-${offset}`)],
    events: [
      {
        name: "exception",
        timeUnixNano: nanos(end - 100),
        attributes: [str("exception.type", "ValueError"), str("exception.message", "price is not a number")],
      },
    ],
    status: { code: 2, message: "price is not a number" },
  };
  return {
    resourceSpans: [{ resource: RESOURCE, scopeSpans: [{ scope: { name: "scraper" }, spans: [span] }] }],
  };
}

/** The day (or the part of it from `from` to `to`, offsets in ms), in the order a capture holds it. */
export function* syntheticDay(
  options: { start?: number; from?: number; to?: number } = {},
): Generator<Record<string, unknown>> {
  const { start = DAY_START, from = 0, to = 24 * HOUR } = options;
  const exceptions = EXCEPTIONS.filter((e) => e >= from && e < to);
  for (let offset = from; offset < to; offset += STEP_MS) {
    while (exceptions.length > 0 && (exceptions[0] as number) <= offset) {
      yield exceptionRequest(start, exceptions.shift() as number);
    }
    yield metricsRequest(start, offset);
  }
}

/** The day as capture lines. */
export function syntheticDayLines(options: { start?: number; from?: number; to?: number } = {}): string[] {
  const lines: string[] = [];
  for (const request of syntheticDay(options)) lines.push(JSON.stringify(request));
  return lines;
}
