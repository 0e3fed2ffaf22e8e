// Probes: /healthz and /-/healthy answer as the OTel Collector's health_check extension does;
// /-/ready answers 503 with the reason while the state store is degraded or a destination has been
// failing past its retry time, and 200 again once it recovers.
import { afterEach, describe, expect, it } from "vitest";
import { goDuration } from "../src/api/health.ts";
import { MemoryStateStore } from "../src/state/memory-store.ts";
import type { StateStoreStatus } from "../src/state/store.ts";
import { type ApiHarness, startApi } from "./support/api.ts";
import { replies } from "./support/fake-slack.ts";

/** A memory store whose health the test decides. */
class DegradableStore extends MemoryStateStore {
  reason: string | undefined;
  override status(): StateStoreStatus {
    const healthy = super.status();
    if (this.reason === undefined) return healthy;
    return { ...healthy, degraded: true, degraded_since_ms: Date.now(), degraded_reason: this.reason };
  }
}

interface Probe {
  status: string;
  upSince: string;
  uptime: string;
  reason?: string;
  checks?: Array<{ check: string; ok: boolean; detail: string }>;
}

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const probe = async (path: string) => {
  const res = await (api as ApiHarness).request("GET", path);
  return { code: res.status, body: (await res.json()) as Probe };
};

describe("health probes", () => {
  it("formats uptime as Go's time.Duration does", () => {
    expect(goDuration(0)).toBe("0s");
    expect(goDuration(250)).toBe("250ms");
    expect(goDuration(1500)).toBe("1.5s");
    expect(goDuration(61_000)).toBe("1m1s");
    expect(goDuration(3_600_000)).toBe("1h0m0s");
    expect(goDuration(3_723_456)).toBe("1h2m3.456s");
  });

  it("/healthz and /-/healthy: alive, in the health_check extension's shape", async () => {
    api = await startApi();
    for (const path of ["/healthz", "/-/healthy"]) {
      const { code, body } = await probe(path);
      expect(code).toBe(200);
      expect(body).toEqual({
        status: "Server available",
        upSince: expect.any(String),
        uptime: expect.any(String),
      });
      expect(Date.parse(body.upSince)).toBeLessThanOrEqual(Date.now());
      expect(body.uptime).toMatch(/^(\d+h)?(\d+m)?[\d.]+(ms|s)$/);
    }
    expect((await api.request("HEAD", "/-/healthy")).status).toBe(200);
  });

  it("/-/ready: 200 with its checks; 503 naming the reason while the state store is degraded", async () => {
    const state = new DegradableStore();
    api = await startApi({ state });
    const ready = await probe("/-/ready");
    expect(ready.code).toBe(200);
    expect(ready.body.status).toBe("Server available");
    expect(ready.body.checks).toEqual([
      { check: "receiver otlp", ok: true, detail: "listening" },
      { check: "state store memory", ok: true, detail: "open" },
    ]);

    state.reason = "cannot write /data/state.db: SQLITE_FULL (13) database or disk is full";
    const degraded = await probe("/-/ready");
    expect(degraded.code).toBe(503);
    expect(degraded.body).toMatchObject({
      status: "Server not available",
      upSince: "0001-01-01T00:00:00Z",
      uptime: "",
      reason: "state store memory: cannot write /data/state.db: SQLITE_FULL (13) database or disk is full",
    });
    // Alive all along: only readiness fails.
    expect((await probe("/-/healthy")).code).toBe(200);

    state.reason = undefined;
    const back = await probe("/-/ready");
    expect(back.code).toBe(200);
    // Ready since the recovery, not since the start.
    expect(Date.parse(back.body.upSince)).toBeGreaterThan(Date.parse(ready.body.upSince));
  });

  it("/-/ready: 503 while a destination fails past its retry time, 200 once it delivers again", async () => {
    api = await startApi({ slack: "max_retry_time: 1, initial_backoff: 0.2, max_backoff: 0.2" });
    const { slack } = api;
    slack.behave(() => replies.unavailable);
    api.health("svc-a", 10);
    await expect.poll(async () => (await probe("/-/ready")).code, { timeout: 15_000 }).toBe(503);
    const { body } = await probe("/-/ready");
    expect(body.reason).toMatch(
      /^exporter slack → 127\.0\.0\.1:\d+\/services\/T\*\*\*: failing since \S+Z \([\d.]+ s, past its retry time of 1 s\): gave up after \d+ attempts .*503 service_unavailable$/,
    );
    expect(body.reason).not.toContain("xyzSecretToken");

    slack.behave(() => replies.ok);
    api.health("svc-b", 10);
    await expect.poll(async () => (await probe("/-/ready")).code, { timeout: 15_000 }).toBe(200);
  });
});
