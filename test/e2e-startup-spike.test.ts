// Issue 9.1 end to end, in real time: a scraper process with the official SDK exporting a steady 4 %
// review rate over OTLP/HTTP JSON every 250 ms from its start, into `alertpipe run` on the shipped
// pipeline.yaml (window 2 s, baseline 6 s), Slack a local fake. Nothing reaches Slack while the rate
// is steady (before and after the baseline is covered); a real spike 10 s in is the one message.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, startCli } from "./support/cli.ts";
import { waitUntil } from "./support/collector.ts";
import { startFakeSlack } from "./support/fake-slack.ts";

const SCRAPER = fileURLToPath(new URL("fixtures/scraper/steady-scraper.js", import.meta.url));
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const texts = (bodies: Record<string, unknown>[]) => bodies.map((b) => String(b.text ?? JSON.stringify(b)));

describe("e2e: a steady scraper at start-up", () => {
  it("sends nothing to Slack while the review rate is steady, then exactly the real spike", async () => {
    const slack = await startFakeSlack();
    cleanups.push(() => slack.close());
    const cli = startCli(
      ["run", "pipeline.yaml"],
      cleanEnv({
        SLACK_WEBHOOK_URL: slack.webhookUrl(),
        ALERT_RATE_WINDOW: "2",
        ALERT_BASELINE_WINDOW: "6",
        ALERT_CHECK_INTERVAL: "0.5",
        METRICS_COLLECTION_INTERVAL: "3600",
      }),
    );
    cleanups.push(() => cli.stop("SIGKILL"));
    const [, endpoint] = await cli.waitFor(/"otlp":"(127\.0\.0\.1:\d+)"/, 30_000);
    const scraper = spawn(process.execPath, [SCRAPER], {
      env: { ...process.env, OTLP_URL: `http://${endpoint}/v1/metrics`, SPIKE_AFTER_MS: "10000" },
      stdio: "ignore",
    });
    const exited = once(scraper, "exit");
    cleanups.push(async () => {
      if (scraper.exitCode === null) scraper.kill("SIGKILL");
      await exited;
    });
    const spikes = () => texts(slack.delivered()).filter((t) => t.includes("review_rate_spike"));
    // The spike starts 10 s after the scraper; under load it may be judged a little later.
    await waitUntil(
      () => spikes().length > 0,
      45_000,
      () => `Slack got ${JSON.stringify(texts(slack.delivered()))}`,
    );
    await new Promise((r) => setTimeout(r, 1000)); // room for anything else to show up
    const all = texts(slack.delivered());
    expect(all).toHaveLength(1);
    expect(all[0], all[0]).toMatch(
      /review_rate_spike up [\d.]+% over baseline \(now [\d.]+%, baseline [34](\.\d+)?%\)/,
    );
    expect(all[0]).toContain("roaster.id=r1");
    expect(all[0]).toContain("platform=shopify");
  }, 90_000);
});
