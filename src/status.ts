// The collector's status document: the seed's getAlertStatus() and getMonitoringStatus() fields
// together, derived from the running components. Secrets never enter it (redacted on the way out).
import type { ComponentStatus } from "./component.ts";
import type { PipelineGraph } from "./pipeline.ts";
import { redactDeep } from "./secrets.ts";

const RULE_TYPES = new Set(["threshold", "spike"]);
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export interface StatusExtras {
  readonly startedAt: number;
  readonly state?: object;
}

export function statusReport(graph: PipelineGraph, extras: StatusExtras): Record<string, unknown> {
  const of = (c: { instance: { status?(): ComponentStatus } }): ComponentStatus =>
    c.instance.status?.() ?? {};
  const processors = graph.processors.map((p) => ({
    id: p.id,
    type: p.type,
    pipeline: p.pipeline,
    status: of(p),
  }));
  const exporters = graph.exporters.map((e) => ({
    id: e.id,
    type: e.type,
    configured: e.instance.configured,
    status: of(e),
  }));
  const receivers = graph.receivers.map((r) => ({ id: r.id, type: r.type, status: of(r) }));

  const byType = (type: string) => processors.filter((p) => p.type === type);
  const throttle = byType("throttle");
  const cooldown = byType("cooldown");
  const rules = processors.filter((p) => RULE_TYPES.has(p.type));
  const sum = (list: typeof processors, key: string) => list.reduce((n, p) => n + num(p.status[key]), 0);
  const exporterSum = (key: string) => exporters.reduce((n, e) => n + num(e.status[key]), 0);
  const configured = (type: string) => exporters.some((e) => e.type === type && e.configured);

  return redactDeep({
    status: "ok",
    uptime_seconds: Math.round((Date.now() - extras.startedAt) / 1000),
    // getAlertStatus()
    alert_throttle: {
      active_alerts: sum(throttle, "active_alerts"),
      held: sum(throttle, "held"),
      digested: sum(throttle, "digested"),
      window_seconds: throttle[0]?.status.window_seconds,
      max_per_window: throttle[0]?.status.max_per_window,
    },
    clients: {
      slack_configured: configured("slack"),
      sentry_configured: configured("sentry"),
      console_fallback: graph.usesConsoleFallback,
    },
    delivery: {
      delivered: exporterSum("delivered"),
      pending: exporterSum("pending"),
      retried: exporterSum("retried"),
      failed: exporterSum("failed"),
    },
    // getMonitoringStatus()
    thresholds_configured: rules.length,
    active_cooldowns: sum(cooldown, "active_cooldowns"),
    firing: sum(rules, "firing"),
    state: extras.state,
    receivers,
    processors,
    exporters,
  });
}
