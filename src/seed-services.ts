// The users' guide's service objects, bound to a running pipeline: they read its processors and
// feed its stream, so cooldown, escalation, throttle and scrubbing apply to what they send.
import type { SchedulerLike } from "rxjs";
import type { RuleProcessor } from "../processors/rules/rule-engine.ts";
import { ComprehensiveAlertService } from "./alert-service.ts";
import type { Processor } from "./component.ts";
import { ThresholdMonitoringService } from "./monitoring-service.ts";
import type { PipelineGraph } from "./pipeline.ts";
import { SentryIntegration } from "./sentry-integration.ts";

const RULE_TYPES = new Set(["threshold", "spike", "anomaly"]);

export interface SeedServices {
  readonly monitoring: ThresholdMonitoringService;
  readonly alerts: ComprehensiveAlertService;
  readonly sentry: SentryIntegration;
}

export function bindSeedServices(graph: PipelineGraph, scheduler: SchedulerLike): SeedServices {
  const first = (type: string): Processor | undefined =>
    graph.processors.find((p) => p.type === type)?.instance;
  const rules = graph.processors
    .filter((p) => RULE_TYPES.has(p.type))
    .map((p) => p.instance as RuleProcessor);
  const submit = (item: Parameters<PipelineGraph["submit"]>[0]) => graph.submit(item);
  const throttle = first("throttle");
  const cooldown = first("cooldown");
  const spike = rules.find((r) => r.spec.rule === "review_rate_spike");
  return {
    monitoring: new ThresholdMonitoringService({
      rules,
      // Submitted alerts enter before the rules, which pass them on to cooldown and the rest.
      inject: (alerts) => {
        for (const a of alerts) submit(a);
      },
      scheduler,
      cooldown,
      throttle,
      escalation: first("escalation"),
    }),
    alerts: new ComprehensiveAlertService({
      submit,
      scheduler,
      throttle,
      cooldown,
      exporters: graph.exporters,
      reviewSpikeThreshold: spike?.spec.threshold,
    }),
    sentry: new SentryIntegration({ submit, scheduler }),
  };
}
