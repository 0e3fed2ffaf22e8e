// End to end: `node --conditions=source --import alertpipe/register scraper.js`, a scraper with no
// alertpipe code, failing an HTTP fetch, a fetch to a closed port and a PostgreSQL query.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert, HistogramPoint, MetricPoint, SpanSignal, SumPoint } from "../src/signal.ts";
import {
  fixture,
  listen,
  nodeBin,
  pgUser,
  postgresProblem,
  readSignals,
  repo,
  runScraper,
  type ScraperRun,
} from "./support/scraper-process.ts";

const pgProblem = await postgresProblem();

// Skipped only on a developer machine without PostgreSQL; under CI=true the check above throws.
describe.skipIf(pgProblem !== undefined)("alertpipe/register in a scraper process", () => {
  const dir = mkdtempSync(join(tmpdir(), "alertpipe-register-"));
  const failing = createServer((_req, res) => {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end("upstream broke");
  });
  const slackBodies: string[] = [];
  const slack = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      slackBodies.push(body);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  let run: ScraperRun;
  let failingPort = 0;
  let closedPort = 0;
  let slackPort = 0;

  beforeAll(async () => {
    failingPort = await listen(failing);
    slackPort = await listen(slack);
    const closed = createServer();
    closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    run = await runScraper(
      "scraper.js",
      {
        ALERTPIPE_CONFIG: join(fixture, "pipeline.yaml"),
        SCRAPER_TARGET_URL: `http://127.0.0.1:${failingPort}/products.json`,
        SCRAPER_CLOSED_URL: `http://127.0.0.1:${closedPort}/products.json`,
        SLACK_WEBHOOK_URL: `http://127.0.0.1:${slackPort}/hook`,
      },
      join(dir, "signals.jsonl"),
    );
  }, 30_000);

  afterAll(() => {
    failing.close();
    slack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const spans = () => run.items.filter((i): i is SpanSignal => i.kind === "span");
  const metrics = (name: string) =>
    run.items.filter((i): i is MetricPoint => i.kind === "metric" && i.name === name);

  it("runs the scraper unchanged and exits on its own", () => {
    expect(run.stderr).not.toContain("alertpipe: not started");
    expect(run.stdout).toContain("fetch status 500");
    expect(run.stdout).toContain("query failed");
    expect(run.stdout).toContain("scraper done");
    expect(run.code).toBe(0);
  });

  it("sees the failed fetches as HTTP client spans", () => {
    const http = spans().filter(
      (s) => s.spanKind === "client" && s.attributes["http.request.method"] === "GET",
    );
    const to500 = http.find((s) => s.attributes["server.port"] === failingPort);
    expect(to500).toMatchObject({
      status: { code: "error" },
      attributes: { "http.response.status_code": 500 },
    });
    const refused = http.find((s) => s.attributes["server.port"] === closedPort);
    expect(refused?.status.code).toBe("error");
  });

  it("records http.client.request.duration with buckets past 60 s", () => {
    const real = metrics("http.client.request.duration").filter(
      (m): m is HistogramPoint => m.type === "histogram" && m.scope.name !== "alertpipe/spanmetrics",
    );
    expect(real.length).toBeGreaterThan(0);
    expect(real[0]?.unit).toBe("s");
    expect(real[0]?.bounds).toContain(60);
    expect(real[0]?.bounds.at(-1)).toBeGreaterThan(60);
    const failed = real.find((h) => h.attributes["http.response.status_code"] === 500);
    expect(failed?.count).toBe(1);
    // The process exports this histogram itself: spanmetrics must not add a second one.
    expect(
      metrics("http.client.request.duration").filter((m) => m.scope.name === "alertpipe/spanmetrics"),
    ).toEqual([]);
  });

  it("turns the failed query into a failed database span, a pipeline.db.failures delta and an alert", () => {
    const query = spans().find(
      (s) => s.scope.name === "@opentelemetry/instrumentation-pg" && s.status.code === "error",
    );
    expect(query).toBeDefined();
    expect(query?.spanKind).toBe("client");
    expect(query?.events.some((e) => e.name === "exception")).toBe(true);
    const failures = metrics("pipeline.db.failures") as SumPoint[];
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      type: "sum",
      value: 1,
      temporality: "delta",
      attributes: { "db.system.name": "postgresql", "db.operation.name": "SELECT" },
    });
    const alert = run.items.find((i): i is Alert => i.kind === "alert" && i.rule === "database_failures");
    expect(alert).toMatchObject({ status: "firing", severity: "critical", component: "database" });
  });

  it("on SIGTERM flushes the last metrics into the pipeline, then exits by the signal", async () => {
    const signalsFile = join(dir, "sigterm.jsonl");
    const child = spawn(
      nodeBin,
      ["--conditions=source", "--import", "alertpipe/register", join(fixture, "long-scraper.js")],
      {
        cwd: repo,
        env: {
          ...process.env,
          ALERTPIPE_CONFIG: join(fixture, "pipeline.yaml"),
          SIGNALS_FILE: signalsFile,
          SLACK_WEBHOOK_URL: `http://127.0.0.1:${slackPort}/hook`,
          PGUSER: pgUser,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const killer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    await new Promise<void>((ready) =>
      child.stdout.on("data", (d: Buffer) => d.includes("ready") && ready()),
    );
    child.kill("SIGTERM");
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      child.on("close", (c, s) => done([c, s])),
    );
    clearTimeout(killer);
    expect({ code, signal }).toEqual({ code: null, signal: "SIGTERM" });
    const items = readSignals(signalsFile);
    // The 30 s export interval never elapsed: these metrics come from the shutdown flush.
    expect(items.some((i) => i.kind === "metric" && i.name === "db.client.operation.duration")).toBe(true);
    expect(items.some((i) => i.kind === "alert" && i.rule === "database_failures")).toBe(true);
  }, 30_000);

  it("delivers the alert to Slack without its own HTTP call coming back as a signal", () => {
    expect(slackBodies.length).toBeGreaterThan(0);
    expect(slackBodies.join("\n")).toContain("database_failures");
    const own = run.items.filter(
      (i) => (i.kind === "span" || i.kind === "metric") && i.attributes["server.port"] === slackPort,
    );
    expect(own).toEqual([]);
  });
});
