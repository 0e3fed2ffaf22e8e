// What an OpenTelemetry Collector (otelcol-contrib) sends from its hostmetrics receiver, with the
// utilization metrics enabled and its older attribute names (`state`, `mountpoint`, `device`, `mode`,
// `type`), exported by its otlphttp exporter (protobuf, gzip) to the real CLI running the shipped
// pipeline.yaml: memory_usage and disk_usage fire, labelled like the semantic-convention names.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeProtobufRequest } from "../src/receivers/otlp/protobuf.ts";
import { type CliRun, cleanEnv, startCli } from "./support/cli.ts";

const HOST = "otelcol-host";
const SCRAPER =
  "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver/internal/scraper";

const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
const now = () => `${BigInt(Date.now()) * 1_000_000n}`;

/** One hostmetrics scrape: memory and filesystem scrapers, each in its own scope, as otelcol does it. */
function hostmetricsRequest(memoryUsed: number, dataUsed: number): Record<string, unknown> {
  const time = now();
  const start = `${BigInt(Date.now() - 3_600_000) * 1_000_000n}`;
  const point = (value: number, attributes: unknown[]) => ({
    attributes,
    startTimeUnixNano: start,
    timeUnixNano: time,
    asDouble: value,
  });
  const fs = (device: string, mountpoint: string, type: string, mode: string) => [
    text("device", device),
    text("mode", mode),
    text("mountpoint", mountpoint),
    text("type", type),
  ];
  return {
    resourceMetrics: [
      {
        // resourcedetection (system detector) adds host.name; hostmetrics alone names no host
        resource: { attributes: [text("host.name", HOST), text("os.type", "linux")] },
        scopeMetrics: [
          {
            scope: { name: `${SCRAPER}/memoryscraper`, version: "0.115.0" },
            metrics: [
              {
                name: "system.memory.usage",
                unit: "By",
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: false,
                  dataPoints: [point(8e9, [text("state", "used")]), point(5e8, [text("state", "free")])],
                },
              },
              {
                name: "system.memory.utilization",
                unit: "1",
                gauge: {
                  dataPoints: [
                    point(memoryUsed, [text("state", "used")]),
                    point(1 - memoryUsed, [text("state", "free")]),
                    point(0.2, [text("state", "cached")]),
                  ],
                },
              },
            ],
          },
          {
            scope: { name: `${SCRAPER}/filesystemscraper`, version: "0.115.0" },
            metrics: [
              {
                name: "system.filesystem.utilization",
                unit: "1",
                gauge: {
                  dataPoints: [
                    point(0.4, fs("/dev/sda1", "/", "ext4", "rw")),
                    point(dataUsed, fs("/dev/sdb1", "/data", "xfs", "rw")),
                    // a snap's squashfs is always full: never an alert
                    point(1, fs("/dev/loop3", "/snap/core22/1380", "squashfs", "ro")),
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

async function export_(endpoint: string, request: Record<string, unknown>): Promise<number> {
  const res = await fetch(`http://${endpoint}/v1/metrics`, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip" },
    body: gzipSync(encodeProtobufRequest("metrics", request)),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("otelcol-contrib hostmetrics through the shipped pipeline.yaml", () => {
  let cli: CliRun;
  let endpoint: string;

  beforeAll(async () => {
    cli = startCli(
      ["run", "pipeline.yaml"],
      // alertpipe's own hostmetrics receiver stays quiet: this host's readings are not under test
      cleanEnv({ ALERT_CHECK_INTERVAL: "200ms", METRICS_COLLECTION_INTERVAL: "1h" }),
    );
    [, endpoint = ""] = await cli.waitFor(/"otlp":"(127\.0\.0\.1:\d+)"/);
  });

  afterAll(async () => {
    expect(await cli.stop()).toBe(0);
  });

  it("fires memory_usage and disk_usage on the old attribute names, labelled by the semantic conventions", async () => {
    expect(await export_(endpoint, hostmetricsRequest(0.5, 0.5))).toBe(200);
    expect(await export_(endpoint, hostmetricsRequest(0.93, 0.96))).toBe(200);
    await cli.waitFor(
      new RegExp(`FIRING \\w+ \\[\\w+\\] memory_usage:.*host\\.name=${HOST}`),
      10_000,
      "stdout",
    );
    await cli.waitFor(
      new RegExp(`FIRING \\w+ \\[\\w+\\] disk_usage:.*host\\.name=${HOST}`),
      10_000,
      "stdout",
    );
    // one more tick: nothing else may fire for this host
    await new Promise((r) => setTimeout(r, 500));
    const fired = cli
      .stdout()
      .split("\n")
      .filter((l) => l.includes("FIRING") && l.includes(`host.name=${HOST}`));
    const byRule = (rule: string) => fired.filter((l) => l.includes(` ${rule}:`));
    expect(byRule("memory_usage"), fired.join("\n")).toHaveLength(1);
    expect(byRule("memory_usage")[0]).toMatch(/warning \[system\].*value=93 %/);
    expect(byRule("disk_usage"), fired.join("\n")).toHaveLength(1);
    expect(byRule("disk_usage")[0]).toMatch(
      /critical \[system\].*system\.filesystem\.mountpoint=\/data.*value=96 %/,
    );
    expect(fired.join("\n")).not.toMatch(/\/snap\//);
  });
});
