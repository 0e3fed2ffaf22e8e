// Alerts posted to /api/v2/alerts (by Prometheus, or anything speaking to an Alertmanager) become
// pipeline alerts after the rules: a new firing enters once; the re-posts Prometheus makes every
// evaluation only refresh it (no new notice); an endsAt in the past resolves it; one not posted
// again before its endsAt (or resolve_timeout without one) resolves as stale, saying so. The firing
// set is kept in the state store (namespace `api.alerts`), so a restart still resolves them.
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { fingerprintOf } from "../../processors/rules/matchers.ts";
import type { Alert, Severity } from "../signal.ts";
import type { JsonValue, StateStore } from "../state/store.ts";
import type { FiringAlertSource } from "./sources.ts";

export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly startsAt?: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

export interface AlertIntakeOptions {
  /** Where alerts enter the pipeline (after the rules). */
  readonly submit: (alert: Alert) => void;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly state: StateStore;
  /** A firing alert posted without endsAt resolves this long after its last post. */
  readonly resolveTimeoutMs: number;
}

export const POSTED_ALERTS_NAMESPACE = "api.alerts";
const RECORD_GRACE_MS = 24 * 3_600_000;
const MAX_TIMER_MS = 24 * 3_600_000;

const SEVERITIES: Readonly<Record<string, Severity>> = {
  critical: "critical",
  page: "critical",
  error: "critical",
  high: "critical",
  fatal: "critical",
  emergency: "critical",
  warning: "warning",
  warn: "warning",
  medium: "warning",
  info: "info",
  informational: "info",
  notice: "info",
  low: "info",
  none: "info",
};

/** Go's zero time and other pre-epoch values mean "not given". */
function timeOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

const numberOf = (text: string | undefined) => {
  const n = text === undefined || text.trim() === "" ? Number.NaN : Number(text);
  return Number.isFinite(n) ? n : undefined;
};

/** Why Alertmanager (and we) refuse a posted alert, or undefined. */
export function postedAlertProblem(p: PostableAlert): string | undefined {
  if (Object.keys(p.labels).length === 0) return "at least one label pair required";
  if (!p.labels.alertname) return "labels.alertname is required";
  const starts = timeOf(p.startsAt);
  const ends = timeOf(p.endsAt);
  if (starts !== undefined && ends !== undefined && ends < starts)
    return "start time must be before end time";
  return undefined;
}

/** The pipeline alert a posted one stands for (firing; the caller decides about resolving). */
export function alertFromPosted(p: PostableAlert, now: number): Alert {
  const { alertname, ...labels } = p.labels;
  const rule = alertname as string;
  const { summary, ...notes } = p.annotations ?? {};
  const details: Record<string, string> = { ...notes };
  if (p.generatorURL) details.generator_url = p.generatorURL;
  const alert: { -readonly [K in keyof Alert]: Alert[K] } = {
    kind: "alert",
    rule,
    fingerprint: fingerprintOf(rule, labels),
    status: "firing",
    severity: SEVERITIES[(labels.severity ?? "").toLowerCase()] ?? "warning",
    component: labels.component ?? labels.job ?? "external",
    labels,
    summary: summary ?? notes.description ?? notes.message ?? `${rule} is firing`,
    startsAt: Math.min(timeOf(p.startsAt) ?? now, now),
    at: now,
    route: "default",
  };
  const value = numberOf(notes.value);
  const threshold = numberOf(notes.threshold);
  if (value !== undefined) alert.value = value;
  if (threshold !== undefined) alert.threshold = threshold;
  if (Object.keys(details).length > 0) alert.details = details;
  return alert;
}

interface Firing {
  alert: Alert;
  /** When it resolves unless posted again. */
  expiresAt: number;
  timer?: Subscription;
}

export class AlertIntake implements FiringAlertSource {
  readonly #o: AlertIntakeOptions;
  readonly #firing = new Map<string, Firing>();
  readonly #counts = {
    received: 0,
    fired: 0,
    refreshed: 0,
    resolved: 0,
    stale_resolved: 0,
    resolves_ignored: 0,
  };

  constructor(options: AlertIntakeOptions) {
    this.#o = options;
  }

  /** Take up the firing alerts a previous process left; any whose time ran out resolve now. */
  async start(): Promise<void> {
    const now = this.#o.scheduler.now();
    const entries = await this.#o.state.list(POSTED_ALERTS_NAMESPACE, now);
    for (const { key, value } of entries) {
      const saved = value as unknown as { alert?: Alert; expiresAt?: number } | null;
      if (saved?.alert?.kind !== "alert" || typeof saved.expiresAt !== "number") continue;
      const firing: Firing = { alert: saved.alert, expiresAt: saved.expiresAt };
      this.#firing.set(key, firing);
      this.#arm(key, firing);
    }
    if (entries.length > 0) this.#o.logger.info({ alerts: entries.length }, "posted alerts restored");
  }

  /** Posted alerts, already validated (postedAlertProblem). */
  async receive(alerts: readonly PostableAlert[]): Promise<void> {
    for (const posted of alerts) {
      this.#counts.received++;
      const now = this.#o.scheduler.now();
      const alert = alertFromPosted(posted, now);
      const endsAt = timeOf(posted.endsAt);
      const known = this.#firing.get(alert.fingerprint);
      if (endsAt !== undefined && endsAt <= now) {
        // Prometheus re-sends resolved alerts for a while: only a firing we announced gets a resolve.
        if (!known) {
          this.#counts.resolves_ignored++;
          continue;
        }
        await this.#end(alert.fingerprint, known, { ...alert, startsAt: known.alert.startsAt, endsAt });
        this.#counts.resolved++;
        continue;
      }
      const expiresAt = endsAt ?? now + this.#o.resolveTimeoutMs;
      if (known) {
        // A re-post of a firing alert: fresher values and deadline, no new notice.
        known.alert = { ...alert, startsAt: known.alert.startsAt };
        known.expiresAt = expiresAt;
        this.#counts.refreshed++;
        await this.#save(alert.fingerprint, known);
        this.#arm(alert.fingerprint, known);
        continue;
      }
      const firing: Firing = { alert, expiresAt };
      this.#firing.set(alert.fingerprint, firing);
      this.#counts.fired++;
      this.#arm(alert.fingerprint, firing);
      this.#o.submit(alert);
      await this.#save(alert.fingerprint, firing);
    }
  }

  firingAlerts(): Alert[] {
    return [...this.#firing.values()].map((f) => f.alert);
  }

  /** When a firing posted alert resolves unless posted again. */
  expiresAt(fingerprint: string): number | undefined {
    return this.#firing.get(fingerprint)?.expiresAt;
  }

  status(): Record<string, number> {
    return { firing: this.#firing.size, ...this.#counts };
  }

  shutdown(): void {
    for (const f of this.#firing.values()) f.timer?.unsubscribe();
  }

  #arm(fingerprint: string, firing: Firing): void {
    firing.timer?.unsubscribe();
    const { scheduler } = this.#o;
    const delay = Math.max(0, firing.expiresAt - scheduler.now());
    // Past ~24 days a timer would overflow to "now": wake up daily and look again.
    firing.timer = scheduler.schedule(
      () => {
        if (this.#firing.get(fingerprint) !== firing) return;
        if (firing.expiresAt > scheduler.now()) return this.#arm(fingerprint, firing);
        this.#counts.stale_resolved++;
        const stale: Alert = {
          ...firing.alert,
          summary: `${firing.alert.summary} (resolved: not posted again by ${new Date(firing.expiresAt).toISOString()})`,
          endsAt: firing.expiresAt,
          details: { ...firing.alert.details, stale: true },
        };
        this.#end(fingerprint, firing, stale).catch((err: unknown) =>
          this.#o.logger.error({ err: String(err) }, "posted alert: stale resolve failed"),
        );
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  async #end(fingerprint: string, firing: Firing, last: Alert): Promise<void> {
    firing.timer?.unsubscribe();
    this.#firing.delete(fingerprint);
    this.#o.submit({ ...last, status: "resolved", at: this.#o.scheduler.now() });
    await this.#persist("delete", () => this.#o.state.delete(POSTED_ALERTS_NAMESPACE, fingerprint));
  }

  async #save(fingerprint: string, firing: Firing): Promise<void> {
    const nowMs = this.#o.scheduler.now();
    const value = { alert: firing.alert, expiresAt: firing.expiresAt } as unknown as JsonValue;
    const ttlMs = Math.max(0, firing.expiresAt - nowMs) + RECORD_GRACE_MS;
    await this.#persist("set", () =>
      this.#o.state.set(POSTED_ALERTS_NAMESPACE, fingerprint, value, { ttlMs, nowMs }),
    );
  }

  /** A store problem never costs an alert: the notice went (or goes) out, the record is best effort. */
  async #persist(op: string, write: () => unknown): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.#o.logger.warn({ err: String(err), op: `api.alerts.${op}` }, "state store write failed");
    }
  }
}
