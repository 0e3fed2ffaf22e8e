// The seed's ThresholdMonitoringService, built ON the rule processors: checkAllThresholds() reads
// their current breaches, processThresholdBreaches() pushes alerts into the same downstream chain
// (cooldown → escalation → throttle → exporters) through an injection point after the rules.
import { merge, type OperatorFunction, type SchedulerLike, Subject, type Subscription } from "rxjs";
import type { RuleProcessor } from "../processors/rules/rule-engine.ts";
import type { ComponentStatus, Processor } from "./component.ts";
import type { Alert, Item } from "./signal.ts";

/** A rule's current breach, as the firing alert it stands for. */
export type Breach = Alert & { readonly status: "firing" };

/** Splices externally produced alerts into a stream: place its operator right after the rules. */
export interface InjectionPoint {
  readonly operator: OperatorFunction<Item, Item>;
  inject(alerts: readonly Alert[]): void;
  close(): void;
}

export function createInjectionPoint(): InjectionPoint {
  const injected = new Subject<Item>();
  return {
    operator: (source) => merge(source, injected),
    inject(alerts) {
      for (const a of alerts) injected.next(a);
    },
    close: () => injected.complete(),
  };
}

export interface MonitoringServiceOptions {
  readonly rules: readonly RuleProcessor[];
  /** Delivers alerts into the chain after the rules (see createInjectionPoint). */
  readonly inject: (alerts: readonly Alert[]) => void | Promise<void>;
  readonly scheduler: SchedulerLike;
  /** Downstream processors whose status is reported (cooldown's active_cooldowns…). */
  readonly cooldown?: Processor;
  readonly throttle?: Processor;
  readonly escalation?: Processor;
}

export interface MonitoringStatus {
  monitoring_active: boolean;
  thresholds_configured: number;
  active_cooldowns: number;
  firing: number;
  pending: number;
  breaches_processed: number;
  last_check: string | null;
  last_check_breaches: number;
  rules: ComponentStatus[];
  cooldowns: unknown[];
  alert_throttle: ComponentStatus | null;
  escalation: ComponentStatus | null;
}

export class ThresholdMonitoringService {
  private readonly options: MonitoringServiceOptions;
  private processed = 0;
  private lastCheck: number | undefined;
  private lastCheckBreaches = 0;
  private active = true;

  constructor(options: MonitoringServiceOptions) {
    this.options = options;
  }

  /** Every group of every rule that breaches right now (fired or still pending `for`). */
  async checkAllThresholds(): Promise<Breach[]> {
    const out: Breach[] = [];
    for (const rule of this.options.rules) {
      for (const a of rule.breaches()) out.push({ ...a, status: "firing" });
    }
    this.lastCheck = this.options.scheduler.now();
    this.lastCheckBreaches = out.length;
    return out;
  }

  /** Send breaches through the downstream chain: cooldown, escalation and throttle all apply. */
  async processThresholdBreaches(breaches: readonly Breach[]): Promise<number> {
    if (breaches.length === 0) return 0;
    const now = this.options.scheduler.now();
    await this.options.inject(breaches.map((b) => ({ ...b, at: now })));
    this.processed += breaches.length;
    return breaches.length;
  }

  getMonitoringStatus(): MonitoringStatus {
    const rules = this.options.rules.map((r) => r.status());
    const cooldown = this.options.cooldown?.status?.() as
      | { active_cooldowns?: number; cooldowns?: unknown[] }
      | undefined;
    let firing = 0;
    let pending = 0;
    for (const s of rules) {
      firing += typeof s.firing === "number" ? s.firing : 0;
      pending += typeof s.pending === "number" ? s.pending : 0;
    }
    return {
      monitoring_active: this.active,
      thresholds_configured: this.options.rules.length,
      active_cooldowns: cooldown?.active_cooldowns ?? 0,
      firing,
      pending,
      breaches_processed: this.processed,
      last_check: this.lastCheck === undefined ? null : new Date(this.lastCheck).toISOString(),
      last_check_breaches: this.lastCheckBreaches,
      rules,
      cooldowns: cooldown?.cooldowns ?? [],
      alert_throttle: this.options.throttle?.status?.() ?? null,
      escalation: this.options.escalation?.status?.() ?? null,
    };
  }

  /** Marks the service inactive (the runtime calls this when its pipeline stops). */
  stop(): void {
    this.active = false;
  }
}

export interface StandaloneMonitoring {
  readonly service: ThresholdMonitoringService;
  /** Feed signals (metric points, spans) to the rules. */
  ingest(item: Item): void;
  /** Complete the chain: held digests flush, subscriptions end. */
  stop(): void;
}

/**
 * A self-contained chain for tests and embedding: signals → rules → (injection) → downstream
 * processors (e.g. cooldown, escalation, throttle) → `deliver`.
 */
export function createStandaloneMonitoring(options: {
  rules: readonly RuleProcessor[];
  downstream: readonly Processor[];
  scheduler: SchedulerLike;
  deliver: (item: Item) => void;
  cooldown?: Processor;
  throttle?: Processor;
  escalation?: Processor;
}): StandaloneMonitoring {
  const signals = new Subject<Item>();
  const injection = createInjectionPoint();
  let stream = signals.asObservable();
  for (const r of options.rules) stream = stream.pipe(r.operator);
  stream = stream.pipe(injection.operator);
  for (const p of options.downstream) stream = stream.pipe(p.operator);
  const subscription: Subscription = stream.subscribe(options.deliver);
  const service = new ThresholdMonitoringService({
    rules: options.rules,
    inject: (alerts) => injection.inject(alerts),
    scheduler: options.scheduler,
    ...(options.cooldown ? { cooldown: options.cooldown } : {}),
    ...(options.throttle ? { throttle: options.throttle } : {}),
    ...(options.escalation ? { escalation: options.escalation } : {}),
  });
  return {
    service,
    ingest: (item) => signals.next(item),
    stop() {
      service.stop();
      signals.complete();
      injection.close();
      subscription.unsubscribe();
    },
  };
}
