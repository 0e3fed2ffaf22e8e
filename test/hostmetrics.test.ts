import { VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  type HostProbe,
  parseMeminfo,
  parseMounts,
  selectMounts,
  VIRTUAL_FS_TYPES,
} from "../src/receivers/host-probe.ts";
import { createHostMetricsReceiver, hostMetricsReceiverFactory } from "../src/receivers/hostmetrics.ts";
import type { GaugePoint, Item } from "../src/signal.ts";
import { testContext } from "./support/context.ts";

/** Let the scrape's real I/O (readFile, statfs) settle after a virtual tick. */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe("hostmetrics receiver", () => {
  it("emits memory and filesystem utilization ratios on each virtual tick", async () => {
    const scheduler = new VirtualTimeScheduler();
    const config = hostMetricsReceiverFactory.configSchema.parse({ collection_interval: 30 });
    const receiver = createHostMetricsReceiver(config, testContext({ scheduler }));
    const seen: Item[] = [];
    receiver.signals.subscribe((i) => seen.push(i));
    await receiver.start();

    scheduler.maxFrames = 1_000; // first scrape after initial_delay (1 s)
    scheduler.flush();
    await settle(() => seen.some((i) => i.kind === "metric" && i.name === "system.filesystem.utilization"));
    const first = seen.splice(0);
    expect(first.length).toBeGreaterThan(0);

    scheduler.maxFrames = 31_000; // second scrape 30 s later
    scheduler.flush();
    await settle(() => seen.some((i) => i.kind === "metric" && i.name === "system.filesystem.utilization"));
    const second = seen.splice(0);
    await receiver.shutdown();

    for (const batch of [first, second]) {
      const gauges = batch as GaugePoint[];
      const used = gauges.find(
        (g) => g.name === "system.memory.utilization" && g.attributes["system.memory.state"] === "used",
      );
      expect(used).toBeDefined();
      const fs = gauges.filter((g) => g.name === "system.filesystem.utilization");
      expect(fs.map((g) => g.attributes["system.filesystem.mountpoint"])).toContain("/");
      for (const g of gauges) {
        expect(g.type).toBe("gauge");
        expect(g.unit).toBe("1");
        expect(g.value).toBeGreaterThanOrEqual(0);
        expect(g.value).toBeLessThanOrEqual(1);
        expect(typeof g.resource["host.name"]).toBe("string");
      }
    }
    expect((first[0] as GaugePoint).time).toBe(1_000);
    expect((second[0] as GaugePoint).time).toBe(31_000);
  });

  it("computes ratios from the probe: memory states, df-style disk use, CPU deltas", async () => {
    let cpuCall = 0;
    const probe: HostProbe = {
      memory: async () => ({ totalBytes: 1000, states: { used: 900, free: 100 } }),
      cpuTimes: () =>
        cpuCall++ === 0 ? { modes: { user: 0, idle: 0 } } : { modes: { user: 300, idle: 100 } },
      mounts: async () => [
        { device: "/dev/sda1", mountpoint: "/", type: "ext4" },
        { device: "/dev/sda1", mountpoint: "/etc/hosts", type: "ext4" },
        { device: "/dev/sdb1", mountpoint: "/data", type: "xfs" },
        { device: "proc", mountpoint: "/proc", type: "proc" },
        { device: "tmpfs", mountpoint: "/run", type: "tmpfs" },
      ],
      filesystem: async (m) =>
        m.mountpoint === "/data"
          ? { ...m, usedBytes: 95, availableBytes: 5 }
          : { ...m, usedBytes: 50, availableBytes: 150 },
    };
    const scheduler = new VirtualTimeScheduler();
    const config = hostMetricsReceiverFactory.configSchema.parse({ mountpoints: { exclude: ["/boot*"] } });
    const receiver = createHostMetricsReceiver(config, testContext({ scheduler }), probe);
    await receiver.start();
    const points = await receiver.scrape();
    await receiver.shutdown();

    const by = (name: string, key: string) =>
      Object.fromEntries(
        points.filter((p) => p.name === name).map((p) => [String(p.attributes[key]), p.value]),
      );
    expect(by("system.memory.utilization", "system.memory.state")).toEqual({ used: 0.9, free: 0.1 });
    expect(by("system.filesystem.utilization", "system.filesystem.mountpoint")).toEqual({
      "/": 0.25,
      "/data": 0.95,
    });
    expect(by("system.cpu.utilization", "cpu.mode")).toEqual({ user: 0.75, idle: 0.25 });
  });

  it("parses /proc/meminfo and /proc/mounts and filters mounts", () => {
    const mem = parseMeminfo(
      "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\nBuffers:          50 kB\nCached:          200 kB\nSReclaimable:     10 kB\n",
    );
    expect(mem.totalBytes).toBe(1_024_000);
    expect(mem.states).toEqual({ used: 614_400, free: 102_400, buffered: 51_200, cached: 215_040 });

    const mounts = parseMounts(
      "/dev/vda / ext4 rw 0 0\n/dev/vdb /mnt/my\\040disk xfs rw 0 0\nsysfs /sys sysfs rw 0 0\n",
    );
    expect(mounts[1]?.mountpoint).toBe("/mnt/my disk");
    const filter = { include: [], exclude: [], excludeFsTypes: VIRTUAL_FS_TYPES };
    expect(selectMounts(mounts, filter).map((m) => m.mountpoint)).toEqual(["/", "/mnt/my disk"]);
    expect(selectMounts(mounts, { ...filter, include: ["/mnt/*"] }).map((m) => m.mountpoint)).toEqual([
      "/mnt/my disk",
    ]);
    expect(selectMounts(mounts, { ...filter, exclude: ["/mnt/*"] }).map((m) => m.mountpoint)).toEqual(["/"]);
  });

  it("rejects a non-numeric collection_interval", () => {
    expect(hostMetricsReceiverFactory.configSchema.safeParse({ collection_interval: "soon" }).success).toBe(
      false,
    );
    expect(hostMetricsReceiverFactory.configSchema.parse({}).collection_interval).toBe(30);
  });
});
