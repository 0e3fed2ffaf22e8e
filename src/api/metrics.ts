// GET /metrics: alertpipe's own telemetry in the Prometheus exposition format (prom-client). One
// snapshot of the collector per scrape feeds every series; secrets are masked on the way out.
import { packageVersion } from "../package-files.ts";
import { redactSecrets } from "../secrets.ts";
import { silenceState } from "../silences/silence.ts";
import {
  alertMetrics,
  processorMetrics,
  receiverMetrics,
  ruleMetrics,
} from "../telemetry/component-metrics.ts";
import { exporterMetrics, processMetrics, stateMetrics } from "../telemetry/delivery-metrics.ts";
import type { CollectorSnapshot, ComponentView, MetricSpec } from "../telemetry/metric-specs.ts";
import { gettableAlerts } from "./alert-view.ts";
import type { ApiContext } from "./context.ts";
import type { Route } from "./router.ts";

export const METRIC_SPECS: readonly MetricSpec[] = [
  ...receiverMetrics,
  ...ruleMetrics,
  ...processorMetrics,
  ...alertMetrics,
  ...exporterMetrics,
  ...stateMetrics,
  ...processMetrics,
];

function views(
  ctx: ApiContext,
  components: ReadonlyArray<{ id: string; type: string; instance: { status?(): object } }>,
): ComponentView[] {
  return components.map((c) => {
    try {
      return { id: c.id, type: c.type, status: { ...(c.instance.status?.() ?? {}) } };
    } catch (error) {
      ctx.logger.warn({ component: c.id, err: String(error) }, "metrics: a component's status failed");
      return { id: c.id, type: c.type, status: {} };
    }
  });
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
};

async function snapshot(ctx: ApiContext, version: string): Promise<CollectorSnapshot> {
  const nowMs = ctx.scheduler.now();
  const [alerts, silences] = await Promise.all([gettableAlerts(ctx), ctx.silences.list(nowMs)]);
  return {
    nowMs,
    uptimeSeconds: (Date.now() - ctx.startedAt) / 1000,
    receivers: views(ctx, ctx.graph.receivers),
    processors: views(ctx, ctx.graph.processors),
    exporters: views(ctx, ctx.graph.exporters),
    state: ctx.state.status(),
    postedAlerts: ctx.intake.status(),
    alertStates: countBy(alerts, (a) => a.status.state),
    silenceStates: countBy(silences, (s) => silenceState(s, nowMs)),
    version,
  };
}

export function metricsRoutes(ctx: ApiContext): Route[] {
  const { metrics } = ctx;
  const version = packageVersion();
  metrics.register(METRIC_SPECS, (name, error) =>
    ctx.logger.warn({ metric: name, err: String(error) }, "metrics: a series failed"),
  );
  return [
    {
      method: "GET",
      path: "/metrics",
      handle: async () => {
        const text = await metrics.render(await snapshot(ctx, version));
        return { status: 200, text: redactSecrets(text), contentType: metrics.contentType };
      },
    },
  ];
}
