// Alert fixtures for notice-processor tests.
import type { Alert, AlertLiveness, Severity } from "../../src/signal.ts";

export function alert(
  fingerprint: string,
  status: Alert["status"] = "firing",
  extra: Partial<Alert> & { severity?: Severity } = {},
): Alert {
  const rule = fingerprint.split("{")[0] ?? fingerprint;
  return {
    kind: "alert",
    rule,
    fingerprint,
    status,
    severity: "warning",
    component: "system",
    labels: {},
    summary: `${fingerprint} ${status}`,
    startsAt: 0,
    at: 0,
    route: "default",
    ...extra,
  };
}

/** A rule's word on a restored alert (`confirmed`: fresh data breach again). */
export function liveness(state: AlertLiveness["state"], of: Alert, at = 0): AlertLiveness {
  return { kind: "liveness", state, alert: of, at };
}
