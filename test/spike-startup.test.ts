// A steady 4 % review rate raises no alert at start-up (issue 9.1): the official SDK's cumulative
// counters over OTLP/HTTP JSON and protobuf into the real receiver, and the in-process bridge, feed
// the shipped pipeline's rules, cooldown, escalation and throttle on a virtual clock (window 2 s,
// baseline 6 s). The review_flagged series starts one export after the processed series, as it
// does in a real scraper (its first increment comes with the 25th artifact); a real spike later
// still fires, for the roaster that spiked only.

import type { Counter, Meter } from "@opentelemetry/api";
import { OTLPMetricExporter as JsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";
import { createInprocReceiver, inprocReceiverFactory } from "../src/inproc/receiver.ts";
import { otlpReceiverConfigSchema } from "../src/receivers/otlp/config.ts";
import { OtlpReceiver } from "../src/receivers/otlp/receiver.ts";
import { testContext } from "./support/context.ts";
import { seedChain } from "./support/seed-chain.ts";

const STEP_MS = 250;
const SERIES = ["r1", "r2", "r3"].flatMap((roaster) =>
  ["shopify", "woocommerce"].map((platform) => ({ "roaster.id": roaster, platform })),
);

/** 100 artifacts/s per series, every 25th flagged (4 %); from `spikeFrom` on r1/shopify flags every 5th. */
class SteadyScraper {
  private readonly processed: Counter;
  private readonly flagged: Counter;
  private n = 0;

  constructor(meter: Meter) {
    this.processed = meter.createCounter("pipeline.artifacts.processed");
    this.flagged = meter.createCounter("pipeline.artifacts.review_flagged");
  }

  /** One export interval of work; the first one is an artifact short (the process started 10 ms in). */
  record(spiking: boolean): void {
    const count = this.n === 0 ? 24 : 25;
    for (let i = 0; i < count; i++) {
      this.n++;
      for (const attrs of SERIES) {
        this.processed.add(1, attrs);
        const every = spiking && attrs["roaster.id"] === "r1" && attrs.platform === "shopify" ? 5 : 25;
        if (this.n % every === 0) this.flagged.add(1, attrs);
      }
    }
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const ENV = { ALERT_RATE_WINDOW: "2", ALERT_BASELINE_WINDOW: "6", ALERT_CHECK_INTERVAL: "1" };

/**
 * Run `steps` export intervals on the chain's virtual clock: work, export (awaited: the points are
 * in the chain at the virtual instant), then let the zero-delay ratio checks run.
 */
async function run(
  chain: Awaited<ReturnType<typeof seedChain>>,
  scraper: SteadyScraper,
  exportNow: () => Promise<void>,
  steps: number,
  spiking = false,
) {
  for (let i = 0; i < steps; i++) {
    chain.clock.advanceBy(STEP_MS);
    scraper.record(spiking);
    await exportNow();
    chain.clock.advanceBy(0);
  }
}

async function expectQuietStartThenOneSpike(
  chain: Awaited<ReturnType<typeof seedChain>>,
  scraper: SteadyScraper,
  exportNow: () => Promise<void>,
) {
  // 12 s of steady work: the baseline is covered from about 8.3 s on; nothing before or after.
  await run(chain, scraper, exportNow, 48);
  const points = chain.out.filter((o) => o.item.kind === "metric").length;
  expect(points).toBeGreaterThan(48 * SERIES.length);
  expect(chain.alerts().map((a) => a.summary)).toEqual([]);
  // A real spike on one roaster still fires within a few exports, for that roaster only.
  await run(chain, scraper, exportNow, 8, true);
  const fired = chain.alerts();
  expect(fired.map((a) => [a.rule, a.status, a.labels])).toEqual([
    ["review_rate_spike", "firing", { "roaster.id": "r1", platform: "shopify" }],
  ]);
  expect(fired[0]?.baseline).toBeCloseTo(4, 0);
}

const exporters = {
  "http/json": (url: string) => new JsonExporter({ url }),
  "http/protobuf": (url: string) => new ProtoExporter({ url }),
};

describe("start-up: a steady review rate raises no spike", () => {
  for (const [format, exporterFor] of Object.entries(exporters)) {
    it(`SDK cumulative counters over OTLP ${format} → receiver → seed chain`, async () => {
      const chain = await seedChain(ENV);
      const config = otlpReceiverConfigSchema.parse({ endpoint: "127.0.0.1:0" });
      const receiver = new OtlpReceiver(
        config,
        testContext({ id: "otlp", scheduler: chain.clock.scheduler }),
      );
      receiver.signals.subscribe((item) => chain.input.next(item));
      await receiver.start();
      const reader = new PeriodicExportingMetricReader({
        exporter: exporterFor(`http://127.0.0.1:${receiver.address().port}/v1/metrics`),
        exportIntervalMillis: 3_600_000,
      });
      const mp = new MeterProvider({
        resource: resourceFromAttributes({ "service.name": "scraper" }),
        readers: [reader],
      });
      cleanups.push(async () => {
        await mp.shutdown();
        await receiver.shutdown();
      });
      const scraper = new SteadyScraper(mp.getMeter("pipeline"));
      await expectQuietStartThenOneSpike(chain, scraper, () => reader.forceFlush());
    }, 30_000);
  }

  it("SDK counters through the in-process bridge → seed chain", async () => {
    const chain = await seedChain(ENV);
    const receiver = createInprocReceiver(
      inprocReceiverFactory.configSchema.parse({ export_interval: 3600 }),
      testContext({ scheduler: chain.clock.scheduler }),
    );
    receiver.signals.subscribe((item) => chain.input.next(item));
    const mp = new MeterProvider({ readers: [receiver.metricReader()] });
    await receiver.start();
    cleanups.push(async () => {
      await mp.shutdown();
      await receiver.shutdown();
    });
    const scraper = new SteadyScraper(mp.getMeter("pipeline"));
    await expectQuietStartThenOneSpike(chain, scraper, () => receiver.collect());
  });
});
