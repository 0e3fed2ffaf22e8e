// Alert and digest fixtures for exporter and scrub tests (object-style overrides).
import type { Alert, Digest } from "../../src/signal.ts";

export const T0 = Date.UTC(2025, 0, 15, 9, 30, 0);

export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    kind: "alert",
    rule: "rpc_error_rate",
    fingerprint: "rpc_error_rate|service=db-writer",
    status: "firing",
    severity: "critical",
    component: "database",
    labels: { service: "db-writer" },
    summary: "RPC error rate 12.5 % is above 10 %",
    value: 12.5,
    threshold: 10,
    unit: "%",
    comparison: "above",
    startsAt: T0,
    at: T0,
    route: "default",
    ...overrides,
  };
}

export function spikeAlert(overrides: Partial<Alert> = {}): Alert {
  return alert({
    rule: "review_rate_spike",
    fingerprint: "review_rate_spike|platform=shopify|roaster.id=r42",
    severity: "warning",
    component: "normalizer",
    labels: { "roaster.id": "r42", platform: "shopify" },
    summary: "review rate up 61 % over baseline",
    value: 6.6,
    threshold: 50,
    baseline: 4.1,
    details: { increase_percent: 60.98 },
    comparison: "increase",
    ...overrides,
  });
}

export function digest(alerts: readonly Alert[], overrides: Partial<Digest> = {}): Digest {
  return { kind: "digest", route: "default", alerts, windowStart: T0, at: T0 + 300_000, ...overrides };
}
