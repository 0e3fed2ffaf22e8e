// Alerts of a database cascade (and unrelated ones) for incidents tests, and the incident notices
// the incidents processor makes of them in virtual time.
import { Subject } from "rxjs";
import { createIncidents, incidentsConfigSchema } from "../../processors/incidents.ts";
import type { Alert, Item } from "../../src/signal.ts";
import { alert } from "./alerts.ts";
import { testContext } from "./context.ts";
import { VirtualClock } from "./virtual-clock.ts";

const SEC = 1000;

/** An alert at `at` (its firing start, or, resolved, its end), as a rule sends it. */
const timed = (fingerprint: string, status: Alert["status"], at: number, extra: Partial<Alert>) =>
  alert(fingerprint, status, {
    ...extra,
    startsAt: at,
    at,
    ...(status === "resolved" ? { endsAt: at } : {}),
  });

export const db = (status: Alert["status"] = "firing", at = 0) =>
  timed("database_failures{}", status, at, {
    severity: "critical",
    component: "database",
    value: 12,
    unit: "failures",
    threshold: 5,
    summary: "database_failures is 12 failures (above 5)",
  });
export const rpc = (status: Alert["status"] = "firing", at = 30 * SEC) =>
  timed("rpc_error_rate{}", status, at, {
    severity: "critical",
    component: "database",
    value: 40,
    unit: "%",
  });
export const health = (status: Alert["status"] = "firing", at = 60 * SEC, service = "roaster-scraper") =>
  timed(`system_health{service.name="${service}"}`, status, at, {
    severity: "critical",
    component: "system",
    labels: { "service.name": service },
    value: 15,
  });
export const disk = (host: string, status: Alert["status"] = "firing", at = 45 * SEC) =>
  timed(`disk_usage{host.name="${host}"}`, status, at, {
    severity: "critical",
    component: "system",
    labels: { "host.name": host, "system.filesystem.mountpoint": "/data" },
    value: 95,
    unit: "%",
  });
export const memory = (host: string, status: Alert["status"] = "firing", at = 0) =>
  timed(`memory_usage{host.name="${host}"}`, status, at, {
    component: "system",
    labels: { "host.name": host },
    value: 92,
    unit: "%",
  });

/** What the incidents processor sends for `alerts`, each arriving at its `at` (ms from 0). */
export function incidentNotices(alerts: readonly Alert[], config: Record<string, unknown> = {}): Alert[] {
  const clock = new VirtualClock();
  const context = testContext({ scheduler: clock.scheduler });
  const processor = createIncidents(incidentsConfigSchema.parse(config), clock.scheduler, context.logger);
  const input = new Subject<Item>();
  const out: Alert[] = [];
  input.pipe(processor.operator).subscribe((item) => {
    if (item.kind === "alert") out.push(item);
  });
  for (const a of alerts) {
    if (a.at > clock.now()) clock.advanceTo(a.at);
    input.next(a);
  }
  clock.settle();
  input.complete();
  return out;
}
