// The operating API on the status endpoint: every resource's routes on one server. A resource is a
// file exporting `(ctx: ApiContext) => Route[]`; add it to the list below.
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { ResolvedConfig } from "../config/load.ts";
import type { PipelineGraph } from "../pipeline.ts";
import { SilenceRegistry } from "../silences/registry.ts";
import type { StateStore } from "../state/store.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { AlertIntake } from "./alert-intake.ts";
import { alertRoutes } from "./am-alerts.ts";
import { silenceRoutes } from "./am-silences.ts";
import { statusRoutes } from "./am-status.ts";
import type { ApiContext } from "./context.ts";
import { healthRoutes } from "./health.ts";
import { metricsRoutes } from "./metrics.ts";
import type { Route } from "./router.ts";
import { type ApiServer, startApiServer } from "./server.ts";
import { webViewRoutes } from "./web-view.ts";

export type { ApiContext } from "./context.ts";
export type { ApiServer } from "./server.ts";

export function apiRoutes(ctx: ApiContext): Route[] {
  return [
    ...healthRoutes(ctx),
    ...metricsRoutes(ctx),
    ...statusRoutes(ctx),
    ...alertRoutes(ctx),
    ...silenceRoutes(ctx),
    ...webViewRoutes(ctx),
  ];
}

/** Serve the routes on `service.status.endpoint`, guarded by `service.status.auth.token`. */
export function serveApi(ctx: ApiContext): Promise<ApiServer> {
  const { endpoint, auth, max_request_body_size } = ctx.config.service.status;
  return startApiServer({
    endpoint,
    routes: apiRoutes(ctx),
    token: auth.token,
    maxBodyBytes: max_request_body_size,
    logger: ctx.logger,
  });
}

export interface OperatingApiOptions {
  readonly config: ResolvedConfig;
  readonly graph: PipelineGraph;
  readonly state: StateStore;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly startedAt: number;
  status(): Record<string, unknown>;
  readonly telemetry: Telemetry;
}

/** The API of a started pipeline: its server, and the intake of posted alerts restored and running. */
export async function startOperatingApi(options: OperatingApiOptions): Promise<ApiServer> {
  const { config, graph, state, scheduler } = options;
  const logger = options.logger.child({ component: "api" });
  const intake = new AlertIntake({
    submit: (alert) => graph.submit(alert),
    scheduler,
    logger,
    state,
    resolveTimeoutMs: config.service.status.resolve_timeout * 1000,
  });
  // prom-client is loaded here, only when the status endpoint is served.
  const { MetricsRegistry } = await import("../telemetry/registry.ts");
  const metrics = new MetricsRegistry(options.telemetry);
  const server = await serveApi({
    ...options,
    logger,
    silences: SilenceRegistry.for(state),
    intake,
    metrics,
  });
  try {
    await intake.start();
  } catch (err) {
    logger.warn({ err: String(err) }, "posted alerts of the previous run could not be restored");
  }
  return {
    ...server,
    close: async () => {
      await server.close();
      intake.shutdown();
    },
  };
}
