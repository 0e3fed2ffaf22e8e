// The collector's status document: the seed's getAlertStatus() and getMonitoringStatus() together,
// plus delivery totals, the state store and each component's counters. Redacted on the way out.
import type { ComponentStatus } from "./component.ts";
import type { PipelineGraph } from "./pipeline.ts";
import { redactDeep } from "./secrets.ts";
import type { SeedServices } from "./seed-services.ts";

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export interface StatusExtras {
  readonly startedAt: number;
  readonly state?: object;
}

export function statusReport(
  graph: PipelineGraph,
  services: SeedServices,
  extras: StatusExtras,
): Record<string, unknown> {
  const of = (c: { instance: { status?(): ComponentStatus } }): ComponentStatus =>
    c.instance.status?.() ?? {};
  const exporters = graph.exporters.map((e) => ({
    id: e.id,
    type: e.type,
    configured: e.instance.configured,
    ...of(e),
  }));
  const alertStatus = services.alerts.getAlertStatus();
  // Both report the throttle and the cooldown list; getAlertStatus()'s shape wins.
  const {
    alert_throttle: _sameThrottle,
    cooldowns: _sameCooldowns,
    ...monitoring
  } = services.monitoring.getMonitoringStatus();
  const totals = { delivered: 0, pending: 0, retried: 0, failed: 0 };
  for (const d of Object.values(alertStatus.delivery)) {
    const counts = (d ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += num(counts[key]);
  }
  return redactDeep({
    status: "ok",
    uptime_seconds: Math.round((Date.now() - extras.startedAt) / 1000),
    ...alertStatus,
    clients: { ...alertStatus.clients, console_fallback: [...graph.consoleFallbackKinds] },
    delivery_totals: totals,
    ...monitoring,
    state: extras.state,
    receivers: graph.receivers.map((r) => ({ id: r.id, type: r.type, ...of(r) })),
    processors: graph.processors.map((p) => ({ id: p.id, type: p.type, pipeline: p.pipeline, ...of(p) })),
    exporters,
  });
}
