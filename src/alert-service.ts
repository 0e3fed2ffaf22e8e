// The guide's ComprehensiveAlertService: manual alerts (system failure, review-rate spike) become
// Alert items submitted into the pipeline after the rules, so cooldown, escalation and throttle
// apply to them exactly as to rule alerts; getAlertStatus() reads the pipeline's components.
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { fingerprintOf } from "../processors/rules/matchers.ts";
import type { ComponentStatus, Exporter } from "./component.ts";
import type { DeliveryStatus } from "./delivery/queue.ts";
import type { ItemSink } from "./sentry-integration.ts";
import type { Alert } from "./signal.ts";

export interface AlertServiceOptions {
  /** Pipeline entry point after the rules (the monitoring service's injection point). */
  readonly submit: ItemSink;
  readonly scheduler?: SchedulerLike;
  /** Processors whose status is reported (throttle → alert_throttle, cooldown → cooldowns). */
  readonly throttle?: { status?(): ComponentStatus };
  readonly cooldown?: { status?(): ComponentStatus };
  /** The pipeline's exporters by id ("slack", "sentry/errors" …): client flags and delivery status. */
  readonly exporters?: ReadonlyArray<{ readonly id: string; readonly instance: Exporter }>;
  /** review_rate_spike threshold (percent increase) shown on manual spike alerts. */
  readonly reviewSpikeThreshold?: number;
}

export interface SystemFailureInput {
  readonly component: string;
  readonly failureType: string;
  readonly errorMessage: string;
  readonly systemState?: Readonly<Record<string, unknown>>;
}

export interface ReviewRateSpikeInput {
  readonly roasterId: string;
  readonly platform: string;
  /** Review rate now, percent. */
  readonly currentRate: number;
  /** Review rate over the baseline window, percent. */
  readonly baselineRate: number;
  readonly increasePercent: number;
}

export interface AlertStatus {
  readonly alert_throttle: {
    readonly active_alerts: number;
    readonly held: number;
    readonly digested: number;
    readonly [key: string]: unknown;
  };
  readonly cooldowns: { readonly active_cooldowns: number; readonly [key: string]: unknown };
  readonly clients: { readonly slack_configured: boolean; readonly sentry_configured: boolean };
  readonly delivery: Readonly<Record<string, DeliveryStatus | undefined>>;
  readonly alerts_submitted: number;
}

const typeOf = (id: string) => id.split("/")[0] ?? id;

function detailsFrom(
  state: Readonly<Record<string, unknown>> | undefined,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(state ?? {})) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
    else if (v !== undefined) out[k] = JSON.stringify(v) ?? String(v);
  }
  return out;
}

export class ComprehensiveAlertService {
  readonly #o: AlertServiceOptions;
  readonly #scheduler: SchedulerLike;
  #submitted = 0;

  constructor(options: AlertServiceOptions) {
    this.#o = options;
    this.#scheduler = options.scheduler ?? asyncScheduler;
  }

  async sendSystemFailureAlert(input: SystemFailureInput): Promise<Alert> {
    const now = this.#scheduler.now();
    const labels = { component: input.component, failure_type: input.failureType };
    const alert: Alert = {
      kind: "alert",
      rule: "system_failure",
      fingerprint: fingerprintOf("system_failure", labels),
      status: "firing",
      severity: "critical",
      component: input.component,
      labels,
      summary: `${input.component} failure (${input.failureType}): ${input.errorMessage}`,
      startsAt: now,
      at: now,
      route: "default",
      oneShot: true,
      details: { error_message: input.errorMessage, ...detailsFrom(input.systemState) },
    };
    await this.#send(alert);
    return alert;
  }

  async sendReviewRateSpikeAlert(input: ReviewRateSpikeInput): Promise<Alert> {
    const now = this.#scheduler.now();
    const labels = { "roaster.id": input.roasterId, platform: input.platform };
    const alert: Alert = {
      kind: "alert",
      rule: "review_rate_spike",
      fingerprint: fingerprintOf("review_rate_spike", labels),
      status: "firing",
      severity: "warning",
      component: "normalizer",
      labels,
      summary:
        `review rate up ${input.increasePercent}% over baseline ` +
        `(now ${input.currentRate}%, baseline ${input.baselineRate}%) for roaster ${input.roasterId} on ${input.platform}`,
      value: input.currentRate,
      baseline: input.baselineRate,
      threshold: this.#o.reviewSpikeThreshold ?? 50,
      unit: "%",
      comparison: "increase",
      startsAt: now,
      at: now,
      route: "default",
      oneShot: true,
      details: { increase_percent: input.increasePercent },
    };
    await this.#send(alert);
    return alert;
  }

  async #send(alert: Alert): Promise<void> {
    this.#submitted++;
    await this.#o.submit(alert);
  }

  getAlertStatus(): AlertStatus {
    const throttle = (this.#o.throttle?.status?.() ?? {}) as Record<string, unknown>;
    const cooldown = (this.#o.cooldown?.status?.() ?? {}) as Record<string, unknown>;
    const exporters = this.#o.exporters ?? [];
    const configured = (type: string) =>
      exporters.some((e) => typeOf(e.id) === type && e.instance.configured);
    const delivery: Record<string, DeliveryStatus | undefined> = {};
    for (const { id, instance } of exporters) {
      const d = (instance.status?.() as { delivery?: DeliveryStatus } | undefined)?.delivery;
      if (d) delivery[id] = d;
    }
    const num = (v: unknown) => (typeof v === "number" ? v : 0);
    return {
      alert_throttle: {
        ...throttle,
        active_alerts: num(throttle.active_alerts),
        held: num(throttle.held),
        digested: num(throttle.digested),
      },
      cooldowns: { ...cooldown, active_cooldowns: num(cooldown.active_cooldowns) },
      clients: { slack_configured: configured("slack"), sentry_configured: configured("sentry") },
      delivery,
      alerts_submitted: this.#submitted,
    };
  }
}
