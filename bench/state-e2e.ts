// End-to-end throughput by state backend: distinct firing alerts submitted into a real pipeline
// (cooldown → throttle → Slack exporter's delivery queue → a local fake Slack over HTTP), timed until
// the last one is received. Shows what the store costs: on memory the queue keeps its outbox in
// memory; on SQLite and Redis every alert is a cooldown acquire, a throttle admission and an outbox
// enqueue + claim + ack. Writes bench/results/state-e2e.json. Run: node bench/state-e2e.ts
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { startAlertPipeline } from "../src/service.ts";
import type { Alert } from "../src/signal.ts";
import { openStateStore } from "../src/state/open.ts";
import type { StateStore } from "../src/state/store.ts";
import { cleanupPrefix, redisReachable } from "../test/state-redis-support.ts";

const REDIS_URL = process.env.ALERTPIPE_BENCH_REDIS ?? "redis://127.0.0.1:6379/0";
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), "results", "state-e2e.json");

export interface StateE2eResult {
  readonly backend: string;
  readonly alerts: number;
  readonly seconds: number;
  /** Alerts received by the fake Slack per second, from the first submit to the last receipt. */
  readonly alertsPerSecond: number;
  /** Where the delivery queue kept its outbox: in memory, or in the state store (claims, acks). */
  readonly outbox: "memory" | "state";
}

/** A fake Slack webhook: answers 200 "ok" and counts what it received. */
async function fakeSlack(): Promise<{ url: string; received(): number; close(): Promise<void> }> {
  let received = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T0BENCH/B0BENCH/benchtoken`,
    received: () => received,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function pipelineYaml(webhookUrl: string): string {
  return `receivers:
  otlp:
    endpoint: 127.0.0.1:0
processors:
  cooldown:
    default: 60
  throttle:
    window: 300
    max_per_window: 1000000
exporters:
  slack:
    webhook_url: ${webhookUrl}
    environment: bench
    rate_per_second: 1000000
    burst: 1000000
service:
  status:
    enabled: false
  pipelines:
    alerts:
      receivers: [otlp]
      processors: [cooldown, throttle]
      exporters: [slack]
`;
}

function alert(i: number, now: number): Alert {
  const host = `bench-${i}`;
  return {
    kind: "alert",
    rule: "system_health",
    fingerprint: `system_health|host.name=${host}`,
    status: "firing",
    severity: "critical",
    component: "system",
    labels: { "host.name": host },
    summary: "health score below 30",
    value: 10,
    threshold: 30,
    comparison: "below",
    startsAt: now,
    at: now,
  };
}

async function measure(backend: string, store: StateStore, alerts: number): Promise<StateE2eResult> {
  const slack = await fakeSlack();
  const handle = await startAlertPipeline({
    configText: pipelineYaml(slack.url),
    env: {},
    state: store,
    statusServer: false,
    logger: pino({ level: "silent" }),
  });
  try {
    const started = performance.now();
    for (let i = 0; i < alerts; i++) handle.submit(alert(i, Date.now()));
    const deadline = Date.now() + 120_000;
    while (slack.received() < alerts) {
      if (Date.now() > deadline) throw new Error(`${backend}: ${slack.received()}/${alerts} received`);
      await new Promise((done) => setTimeout(done, 5));
    }
    const seconds = (performance.now() - started) / 1000;
    const slackStatus = (
      handle.status().exporters as Array<{ id: string; delivery?: { outbox?: string } }>
    ).find((e) => e.id === "slack");
    return {
      backend,
      alerts,
      seconds: Number(seconds.toFixed(3)),
      alertsPerSecond: Math.round(alerts / seconds),
      outbox: slackStatus?.delivery?.outbox === "state" ? "state" : "memory",
    };
  } finally {
    await handle.shutdown();
    await slack.close();
  }
}

export async function run(alerts = 2000): Promise<{ results: StateE2eResult[]; skipped: string[] }> {
  const logger = pino({ level: "silent" });
  const results: StateE2eResult[] = [];
  const skipped: string[] = [];

  const memory = await openStateStore("memory", { logger });
  results.push(await measure("memory", memory, alerts));
  await memory.close();

  const dir = mkdtempSync(join(tmpdir(), "alertpipe-bench-e2e-"));
  try {
    const sqlite = await openStateStore(`sqlite:${join(dir, "state.db")}`, { logger });
    results.push(await measure("sqlite", sqlite, alerts));
    await sqlite.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (await redisReachable(REDIS_URL)) {
    const prefix = `alertpipe-bench-e2e:${process.pid}:`;
    const redis = await openStateStore(`${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, { logger });
    try {
      results.push(await measure("redis", redis, alerts));
    } finally {
      await redis.close();
      await cleanupPrefix(prefix, REDIS_URL);
    }
  } else {
    skipped.push(`redis: unreachable at ${REDIS_URL}`);
  }

  const report = {
    benchmark: "state-e2e",
    generatedAt: new Date().toISOString(),
    node: process.version,
    pipeline: "cooldown → throttle → slack delivery queue → fake Slack (HTTP, 127.0.0.1)",
    results,
    skipped,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  return { results, skipped };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { results, skipped } = await run();
  for (const r of results) {
    console.log(
      `${r.backend.padEnd(7)} outbox=${r.outbox.padEnd(7)} ${String(r.alerts).padStart(6)} alerts ${String(r.alertsPerSecond).padStart(7)} alerts/s`,
    );
  }
  for (const reason of skipped) console.log(`skipped ${reason}`);
}
