// A database outage as a capture (OTLP JSON lines, what the otlp receiver's capture writes): the
// scraper (roaster-scraper on scraper-1) exports every 10 s; at FAULT the database fails (failed
// writes at once), RPC errors follow 30 s later, the health score drops 60 s later; 20 minutes on
// everything recovers. Meanwhile an unrelated host, db-2, reports its /data filesystem 95 % full
// for 10 minutes (from 45 s after the fault by default). Used by test/replay-incidents.test.ts;
// `node test/support/synthetic-cascade.ts > cascade.jsonl` writes it for `alertpipe replay`.
import { cumulativeCounter, MIN, nanos, STEP_MS, str } from "./synthetic-day.ts";

/** The scraper starts exporting at 14:00 UTC. */
export const CASCADE_START = Date.UTC(2025, 0, 7, 14, 0);
/** The database fails at 14:10. */
export const FAULT = CASCADE_START + 10 * MIN;
export const OUTAGE_MS = 20 * MIN;
/** The capture ends at 14:50. */
export const CASCADE_END = CASCADE_START + 50 * MIN;

export interface CascadeOptions {
  /** When db-2's disk fills, ms after FAULT (default 45 s; 0 = at the same instant as the fault). */
  readonly diskAfter?: number;
}

const SCRAPER = { attributes: [str("service.name", "roaster-scraper"), str("host.name", "scraper-1")] };
const DB_HOST = { attributes: [str("service.name", "otelcol-contrib"), str("host.name", "db-2")] };

function scraperRequest(time: number, totals: { failures: number; calls: number; errors: number }) {
  const down = time >= FAULT && time < FAULT + OUTAGE_MS;
  if (down) {
    totals.failures += time === FAULT ? 6 : 2;
    if (time >= FAULT + 30_000) totals.errors += 50;
  }
  totals.calls += 10;
  const t = nanos(time);
  const processStart = nanos(CASCADE_START - 10 * MIN);
  const counter = (name: string, points: [unknown[], number][]) =>
    cumulativeCounter(name, points, processStart, t);
  const health = down && time >= FAULT + 60_000 ? 15 : 95;
  const metrics = [
    counter("pipeline.db.failures", [[[str("db.operation.name", "insert")], totals.failures]]),
    counter("pipeline.rpc.calls", [
      [[str("rpc.method", "upsert_coffee")], totals.calls],
      [[str("rpc.method", "upsert_coffee"), str("error.type", "timeout")], totals.errors],
    ]),
    {
      name: "pipeline.health.score",
      unit: "1",
      gauge: { dataPoints: [{ timeUnixNano: t, asDouble: health }] },
    },
  ];
  return {
    resourceMetrics: [
      { resource: SCRAPER, scopeMetrics: [{ scope: { name: "alertpipe.pipeline" }, metrics }] },
    ],
  };
}

function dbHostRequest(time: number, diskAfter: number) {
  const full = time >= FAULT + diskAfter && time < FAULT + diskAfter + 10 * MIN;
  const t = nanos(time);
  const point = (mountpoint: string, value: number) => ({
    attributes: [str("system.filesystem.mountpoint", mountpoint)],
    timeUnixNano: t,
    asDouble: value,
  });
  const metrics = [
    {
      name: "system.filesystem.utilization",
      unit: "1",
      gauge: { dataPoints: [point("/", 0.4), point("/data", full ? 0.95 : 0.5)] },
    },
  ];
  return {
    resourceMetrics: [
      {
        resource: DB_HOST,
        scopeMetrics: [{ scope: { name: "otelcol/hostmetricsreceiver/filesystem" }, metrics }],
      },
    ],
  };
}

/** The capture's lines, in time order: each 10 s the scraper's export, then db-2's (5 s later). */
export function cascadeLines(options: CascadeOptions = {}): string[] {
  const diskAfter = options.diskAfter ?? 45_000;
  const totals = { failures: 0, calls: 0, errors: 0 };
  const lines: string[] = [];
  for (let time = CASCADE_START; time <= CASCADE_END; time += STEP_MS) {
    lines.push(JSON.stringify(scraperRequest(time, totals)));
    // db-2's collector exports on its own clock; with diskAfter 0 at the same instant as the fault.
    const dbTime = diskAfter % STEP_MS === 0 ? time : time + (diskAfter % STEP_MS);
    lines.push(JSON.stringify(dbHostRequest(dbTime, diskAfter)));
  }
  return lines;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  process.stdout.write(`${cascadeLines().join("\n")}\n`);
}
