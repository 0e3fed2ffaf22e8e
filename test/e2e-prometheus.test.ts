// A real Prometheus 2.42 with alertpipe as its Alertmanager (api_version v2, bearer token): its
// always-firing rule reaches the Slack sink once, however often Prometheus re-sends it; it scrapes
// alertpipe's /metrics (up == 1, the alertpipe_* series queryable); when Prometheus stops, the
// alert is not posted again and resolves as stale.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./state-redis-support.ts";
import { requireBinary } from "./support/binaries.ts";
import { OPERATOR_TOKEN, type Operated, startOperated } from "./support/operated.ts";

const PROMETHEUS = requireBinary("prometheus", "prometheus");

const RULES = `groups:
  - name: alertpipe-e2e
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1) > 0
        labels:
          severity: critical
          service_name: svc-x
        annotations:
          summary: "always firing (value {{ $value }})"
          runbook_url: https://runbooks.example/always
`;

function prometheusConfig(alertpipe: string): string {
  return `global:
  evaluation_interval: 1s
  scrape_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: alertpipe
    static_configs:
      - targets: ["${alertpipe}"]
alerting:
  alertmanagers:
    - api_version: v2
      timeout: 5s
      authorization:
        credentials: ${OPERATOR_TOKEN}
      static_configs:
        - targets: ["${alertpipe}"]
`;
}

describe.skipIf(!PROMETHEUS)("Prometheus sending to alertpipe", () => {
  let op: Operated;
  let dir: string;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = "";
  let prometheusUrl = "";

  /** An instant query through Prometheus' HTTP API. */
  const query = async (expr: string) => {
    const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== "success") throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
    return body.data?.result ?? [];
  };

  const stopPrometheus = async () => {
    const child = prometheus;
    prometheus = undefined;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    process.kill(child.pid, "SIGTERM");
    await once(child, "exit");
  };

  beforeAll(async () => {
    op = await startOperated();
    dir = mkdtempSync(join(tmpdir(), "alertpipe-prometheus-"));
    writeFileSync(join(dir, "rules.yml"), RULES);
    writeFileSync(join(dir, "prometheus.yml"), prometheusConfig(op.api.replace("http://", "")));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS as string,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Re-send every second (default 1m): the dedup of repeated posts is what is under test.
        "--rules.alert.resend-delay=1s",
        "--log.level=warn",
      ],
      { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
    );
    prometheus.stderr?.on("data", (d: Buffer) => {
      prometheusLog += d.toString();
    });
  });

  afterAll(async () => {
    await stopPrometheus();
    expect(await op.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers its firing alert to Slack once, with labels and annotations", async () => {
    const firing = () => op.texts().filter((t) => t.includes("AlwaysFiring") && t.includes("FIRING"));
    await expect
      .poll(() => firing().length, { timeout: 60_000, message: `prometheus log:\n${prometheusLog}` })
      .toBe(1);
    expect(firing()[0]).toMatch(/AlwaysFiring \(critical\).*always firing \(value 1\)/);

    // Prometheus keeps posting it every second: refreshed, never notified again.
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${op.api}/status`)).json()) as { posted_alerts: { refreshed: number } })
            .posted_alerts.refreshed,
        { timeout: 30_000 },
      )
      .toBeGreaterThanOrEqual(3);
    expect(firing()).toHaveLength(1);

    const alerts = (await (
      await fetch(`${op.api}/api/v2/alerts?filter=alertname%3DAlwaysFiring`)
    ).json()) as Array<{
      labels: Record<string, string>;
      annotations: Record<string, string>;
      generatorURL?: string;
      status: { state: string };
    }>;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      labels: { alertname: "AlwaysFiring", severity: "critical", service_name: "svc-x" },
      annotations: { summary: "always firing (value 1)", runbook_url: "https://runbooks.example/always" },
      status: { state: "active" },
    });
    expect(alerts[0]?.generatorURL).toMatch(/^http:\/\/.*graph/);
  }, 120_000);

  it("scrapes alertpipe's /metrics: up == 1 and the alertpipe_* series", async () => {
    const up = async () => (await query('up{job="alertpipe"}'))[0]?.value[1];
    await expect.poll(up, { timeout: 60_000, message: `prometheus log:\n${prometheusLog}` }).toBe("1");
    // The pipeline's own series, not counting the process and build ones.
    const series = await query('{__name__=~"alertpipe_.+", __name__!~"alertpipe_(process|build)_.+"}');
    const names = [...new Set(series.map((s) => s.metric.__name__ as string))].sort();
    expect(series.length).toBeGreaterThanOrEqual(10);
    expect(names).toEqual(
      expect.arrayContaining([
        "alertpipe_receiver_accepted_metric_points_total",
        "alertpipe_rule_series",
        "alertpipe_api_posted_alerts_total",
        "alertpipe_exporter_sent_notices_total",
        "alertpipe_exporter_queue_size",
        "alertpipe_exporter_delivery_latency_seconds_bucket",
        "alertpipe_state_store_degraded",
      ]),
    );
    // What Prometheus stored is what alertpipe did: the one notice it sent to Slack.
    const sent = await query('alertpipe_exporter_sent_notices_total{exporter="slack"}');
    expect(sent.map((s) => [s.metric.destination, s.value[1]])).toEqual([["default", "1"]]);
  }, 90_000);

  it("resolves it as stale once Prometheus stops posting it", async () => {
    await stopPrometheus();
    // Prometheus sets endsAt = last evaluation + 4 × max(evaluation interval, resend delay) = 4 s.
    await expect
      .poll(() => op.texts().filter((t) => t.includes("AlwaysFiring") && t.includes("RESOLVED")).length, {
        timeout: 30_000,
      })
      .toBe(1);
    expect(op.texts().find((t) => t.includes("RESOLVED"))).toMatch(/not posted again by/);
  }, 60_000);
});
