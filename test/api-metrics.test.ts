// GET /metrics: alertpipe's own telemetry in the Prometheus text format, read from the running
// pipeline: points accepted by the OTLP receiver, alerts by rule and status, silenced and delivered
// notices, queue depth, the delivery latency histogram, the state store; never a secret.
import { afterEach, describe, expect, it } from "vitest";
import { type ApiHarness, postHealth, silenceBody, startApi, TOKEN } from "./support/api.ts";
import { parseExposition } from "./support/exposition.ts";
import { SECRET_PATH } from "./support/fake-slack.ts";

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function scrape(harness: ApiHarness) {
  const res = await harness.request("GET", "/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  return { text, metrics: parseExposition(text) };
}

describe("GET /metrics", () => {
  it("shows the pipeline at work, Collector-shaped, collected at scrape", async () => {
    api = await startApi({ token: TOKEN });
    const harness = api;
    expect(
      (await harness.send("POST", "/api/v2/silences", silenceBody({ service_name: "svc-muted" }))).status,
    ).toBe(200);
    await postHealth(harness, { "svc-a": 10, "svc-muted": 5, "svc-ok": 90 });
    await expect.poll(() => harness.texts().length, { timeout: 10_000 }).toBe(1);

    const { text, metrics } = await scrape(harness);
    const m = (name: string, labels?: Record<string, string>) => metrics.value(name, labels);
    expect(m("alertpipe_receiver_accepted_metric_points_total", { receiver: "otlp" })).toBe(3);
    expect(m("alertpipe_receiver_refused_metric_points_total", { receiver: "otlp" })).toBe(0);
    expect(m("alertpipe_rule_alerts_total", { rule: "system_health", status: "firing" })).toBe(2);
    expect(m("alertpipe_rule_firing_alerts", { rule: "system_health" })).toBe(2);
    expect(m("alertpipe_rule_series", { rule: "system_health" })).toBe(3);
    expect(m("alertpipe_silence_muted_notices_total", { processor: "silence" })).toBe(1);
    expect(m("alertpipe_alerts", { state: "active" })).toBe(1);
    expect(m("alertpipe_alerts", { state: "suppressed" })).toBe(1);
    expect(m("alertpipe_silences", { state: "active" })).toBe(1);
    expect(m("alertpipe_throttle_admitted_messages_total", { processor: "throttle" })).toBe(1);
    expect(m("alertpipe_throttle_held_alerts", { processor: "throttle" })).toBe(0);
    const slack = { exporter: "slack", destination: "default" };
    expect(m("alertpipe_exporter_sent_notices_total", slack)).toBe(1);
    expect(m("alertpipe_exporter_send_failed_notices_total", slack)).toBe(0);
    expect(m("alertpipe_exporter_queue_size", slack)).toBe(0);
    expect(m("alertpipe_exporter_queue_oldest_age_seconds", slack)).toBe(0);
    expect(m("alertpipe_exporter_delivery_latency_seconds_count", { exporter: "slack", kind: "alert" })).toBe(
      1,
    );
    expect(
      m("alertpipe_exporter_delivery_latency_seconds_bucket", {
        exporter: "slack",
        kind: "alert",
        le: "+Inf",
      }),
    ).toBe(1);
    expect(m("alertpipe_state_store_degraded", { backend: "memory" })).toBe(0);
    expect(m("alertpipe_process_uptime_seconds")).toBeGreaterThan(0);
    expect(metrics.types.get("alertpipe_rule_alerts_total")).toBe("counter");
    expect(metrics.types.get("alertpipe_exporter_queue_size")).toBe("gauge");
    expect(metrics.types.get("alertpipe_exporter_delivery_latency_seconds")).toBe("histogram");

    // Every series is alertpipe's; labels name components, rules and keys, never a secret.
    expect(metrics.samples.every((s) => s.name.startsWith("alertpipe_"))).toBe(true);
    for (const secret of [TOKEN, SECRET_PATH, "xyzSecretToken", "T0SECRET1"])
      expect(text).not.toContain(secret);
  });

  it("counts queued notices and their age while the destination fails", async () => {
    api = await startApi({ slack: "initial_backoff: 0.2, max_backoff: 0.2" });
    const harness = api;
    harness.slack.behave(() => ({ status: 503, body: "service_unavailable" }));
    harness.health("svc-a", 10);
    const slack = { exporter: "slack", destination: "default" };
    await expect
      .poll(
        async () => (await scrape(harness)).metrics.value("alertpipe_exporter_send_retries_total", slack),
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(1);
    const { metrics } = await scrape(harness);
    expect(metrics.value("alertpipe_exporter_queue_size", slack)).toBe(1);
    expect(metrics.value("alertpipe_exporter_queue_oldest_age_seconds", slack)).toBeGreaterThan(0);
    expect(metrics.value("alertpipe_exporter_failing_seconds", slack)).toBeGreaterThan(0);
    expect(metrics.value("alertpipe_exporter_sent_notices_total", slack)).toBe(0);

    harness.slack.behave(() => ({ status: 200, body: "ok" }));
    await expect.poll(() => harness.texts().length, { timeout: 10_000 }).toBe(1);
    const after = (await scrape(harness)).metrics;
    expect(after.value("alertpipe_exporter_queue_size", slack)).toBe(0);
    expect(after.value("alertpipe_exporter_failing_seconds", slack)).toBe(0);
    expect(
      after.value("alertpipe_exporter_delivery_latency_seconds_count", { exporter: "slack", kind: "alert" }),
    ).toBe(1);
  });
});
