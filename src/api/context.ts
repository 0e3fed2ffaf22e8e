// What the API's resources are given: the running pipeline and the services around it. New
// resources (metrics, health probes, the web view) take what they need from here.
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { ResolvedConfig } from "../config/load.ts";
import type { PipelineGraph } from "../pipeline.ts";
import type { SilenceRegistry } from "../silences/registry.ts";
import type { StateStore } from "../state/store.ts";
import type { MetricsRegistry } from "../telemetry/registry.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import type { AlertIntake } from "./alert-intake.ts";

export interface ApiContext {
  readonly config: ResolvedConfig;
  readonly graph: PipelineGraph;
  readonly state: StateStore;
  readonly silences: SilenceRegistry;
  /** Alerts posted to /api/v2/alerts, as they enter the pipeline. */
  readonly intake: AlertIntake;
  /** The clock of everything the API decides (the pipeline's scheduler). */
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  /** Wall-clock start of the collector, ms. */
  readonly startedAt: number;
  /** The /status document. */
  status(): Record<string, unknown>;
  /** The journal of recent notices (and the delivery latency it times). */
  readonly telemetry: Telemetry;
  /** What /metrics renders. */
  readonly metrics: MetricsRegistry;
}
