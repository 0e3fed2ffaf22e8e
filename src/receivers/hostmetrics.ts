// Host metrics receiver: memory, filesystem and CPU utilization gauges (ratios 0–1) every
// collection_interval, on the injected scheduler so tests drive it in virtual time.
//
// Not built on @opentelemetry/host-metrics: it has no filesystem metrics (the disk_usage rule's
// signal), reads memory the same way os.totalmem/os.freemem do (counting page cache as used on
// older libuv), times CPU deltas with Date.now(), and only reports through a MeterProvider — a
// receiver needs plain points on its own (virtual) clock.
import { hostname } from "node:os";
import { exhaustMap, from, Subject, type Subscription, timer } from "rxjs";
import { z } from "zod";
import { type ComponentContext, defineFactory, type Receiver } from "../component.ts";
import { duration } from "../config/duration.ts";
import type { Attributes, GaugePoint, Item, Scope } from "../signal.ts";
import {
  type CpuTimes,
  type HostProbe,
  selectMounts,
  systemHostProbe,
  VIRTUAL_FS_TYPES,
} from "./host-probe.ts";

const SCOPE: Scope = { name: "alertpipe/hostmetrics" };
const SCRAPERS = ["memory", "filesystem", "cpu"] as const;
type ScraperName = (typeof SCRAPERS)[number];

const configSchema = z
  .strictObject({
    collection_interval: duration("s").prefault(30).meta({
      description:
        "Time between scrapes: seconds, fractions allowed, or a duration like 30s (METRICS_COLLECTION_INTERVAL).",
    }),
    initial_delay: duration("s", { zero: true })
      .prefault(1)
      .meta({ description: "Time after start before the first scrape (seconds, or 500ms…)." }),
    scrapers: z
      .array(z.enum(SCRAPERS))
      .default([...SCRAPERS])
      .meta({
        description:
          "Which scrapers run: memory (system.memory.utilization), filesystem (system.filesystem.utilization per mountpoint), cpu (system.cpu.utilization).",
      }),
    mountpoints: z
      .strictObject({
        include: z
          .array(z.string())
          .default([])
          .meta({ description: "Globs (* wildcard) of mountpoints to watch; [] = every real filesystem." }),
        exclude: z
          .array(z.string())
          .default([])
          .meta({ description: "Globs (* wildcard) of mountpoints to skip." }),
      })
      .default({ include: [], exclude: [] })
      .meta({ description: "Which mountpoints the filesystem scraper reports." }),
    exclude_fs_types: z
      .array(z.string())
      .default([...VIRTUAL_FS_TYPES])
      .meta({
        description:
          "Filesystem types never reported (the default lists pseudo filesystems, tmpfs and squashfs images).",
      }),
  })
  .meta({
    description:
      "Samples this host's memory, filesystem and CPU utilization (0–1) every collection_interval seconds.",
  });

export type HostMetricsConfig = z.output<typeof configSchema>;

export interface HostMetricsReceiver extends Receiver {
  /** Run one scrape now (also what each tick does); resolves with the points emitted. */
  scrape(): Promise<GaugePoint[]>;
}

export function createHostMetricsReceiver(
  config: HostMetricsConfig,
  context: ComponentContext,
  probe: HostProbe = systemHostProbe,
): HostMetricsReceiver {
  const subject = new Subject<Item>();
  const resource: Attributes = { "host.name": hostname(), "os.type": process.platform };
  const enabled = new Set<ScraperName>(config.scrapers);
  let previousCpu: CpuTimes | undefined;
  let tick: Subscription | undefined;
  let scrapes = 0;
  let failures = 0;
  let lastScrapeAt: number | undefined;

  const gauge = (name: string, value: number, attributes: Attributes, time: number): GaugePoint => ({
    kind: "metric",
    type: "gauge",
    name,
    unit: "1",
    value,
    attributes,
    resource,
    scope: SCOPE,
    time,
  });

  async function scrape(): Promise<GaugePoint[]> {
    const time = context.scheduler.now();
    const points: GaugePoint[] = [];
    if (enabled.has("memory")) {
      const mem = await probe.memory();
      if (mem.totalBytes > 0) {
        for (const [state, bytes] of Object.entries(mem.states)) {
          points.push(
            gauge(
              "system.memory.utilization",
              clampRatio(bytes / mem.totalBytes),
              { "system.memory.state": state },
              time,
            ),
          );
        }
      }
    }
    if (enabled.has("filesystem")) {
      const mounts = selectMounts(await probe.mounts(), {
        include: config.mountpoints.include,
        exclude: config.mountpoints.exclude,
        excludeFsTypes: config.exclude_fs_types,
      });
      const readings = await Promise.all(mounts.map((m) => probe.filesystem(m)));
      for (const fs of readings) {
        if (!fs || fs.usedBytes + fs.availableBytes <= 0) continue;
        const attributes = {
          "system.filesystem.mountpoint": fs.mountpoint,
          "system.device": fs.device,
          "system.filesystem.type": fs.type,
        };
        // Like df's Use%: blocks reserved for root count neither as used nor as available.
        const ratio = clampRatio(fs.usedBytes / (fs.usedBytes + fs.availableBytes));
        points.push(gauge("system.filesystem.utilization", ratio, attributes, time));
      }
    }
    if (enabled.has("cpu")) {
      const current = probe.cpuTimes();
      if (previousCpu) points.push(...cpuUtilization(previousCpu, current, time, gauge));
      previousCpu = current;
    }
    scrapes++;
    lastScrapeAt = time;
    for (const p of points) subject.next(p);
    return points;
  }

  return {
    signals: subject.asObservable(),
    scrape,
    async start() {
      if (tick) return;
      // CPU utilization is a delta: take the baseline now so the first scrape already has one.
      if (enabled.has("cpu")) previousCpu = probe.cpuTimes();
      const intervalMs = config.collection_interval * 1000;
      tick = timer(config.initial_delay * 1000, intervalMs, context.scheduler)
        // A slow scrape (hung network mount) skips ticks instead of piling them up.
        .pipe(exhaustMap(() => from(scrape().catch((err: unknown) => onError(err)))))
        .subscribe();
    },
    async shutdown() {
      tick?.unsubscribe();
      tick = undefined;
      subject.complete();
    },
    status: () => ({
      scrapes,
      failures,
      last_scrape_at: lastScrapeAt === undefined ? null : new Date(lastScrapeAt).toISOString(),
      collection_interval_s: config.collection_interval,
    }),
  };

  function onError(err: unknown): GaugePoint[] {
    failures++;
    context.logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      "host metrics scrape failed",
    );
    return [];
  }
}

function cpuUtilization(
  before: CpuTimes,
  after: CpuTimes,
  time: number,
  gauge: (name: string, value: number, attributes: Attributes, time: number) => GaugePoint,
): GaugePoint[] {
  // The CPU times themselves measure elapsed time (summed over CPUs): no wall clock needed.
  const deltas = Object.entries(after.modes).map(
    ([mode, ms]) => [mode, Math.max(0, ms - (before.modes[mode] ?? 0))] as const,
  );
  const total = deltas.reduce((sum, [, d]) => sum + d, 0);
  if (total <= 0) return [];
  return deltas.map(([mode, d]) =>
    gauge("system.cpu.utilization", clampRatio(d / total), { "cpu.mode": mode }, time),
  );
}

function clampRatio(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

export const hostMetricsReceiverFactory = defineFactory({
  kind: "receiver",
  type: "hostmetrics",
  configSchema,
  create: (config, context) => createHostMetricsReceiver(config, context),
});
