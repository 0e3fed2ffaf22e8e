// What the web view shows, gathered from the running collector: the firing alerts with what each
// notice processor is doing about them, the silences, delivery health per destination, readiness
// and the recent notices. Everything here is data; render.ts turns it into escaped HTML.
import type { AlertMark } from "../../component.ts";
import type { Alert, AlertStatus, Severity } from "../../signal.ts";
import { alertLabelSet } from "../../silences/labels.ts";
import { isActive, type Silence, sortSilences } from "../../silences/silence.ts";
import type { StateStoreStatus } from "../../state/store.ts";
import type { JournalEntry } from "../../telemetry/notice-journal.ts";
import { alertViews } from "../alert-view.ts";
import { annotationsOf, type GettableAlert, type GettableSilence, gettableSilence } from "../am-shapes.ts";
import type { ApiContext } from "../context.ts";
import { type DestinationHealth, destinationHealth, readinessChecks } from "../health.ts";

export interface UiAlert {
  readonly gettable: GettableAlert;
  readonly rule: string;
  readonly severity: Severity;
  readonly status: AlertStatus;
  readonly component: string;
  /** Scrubbed of PII, as Slack gets it. */
  readonly summary: string;
  readonly value?: string;
  readonly threshold?: string;
  readonly baseline?: string;
  /** Its labels in Prometheus form, without alertname, severity and component (shown apart). */
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAt: number;
  readonly updatedAt: number;
  readonly marks: readonly AlertMark[];
  /** Equality matchers a silence of exactly this alert would have. */
  readonly silenceMatchers: Readonly<Record<string, string>>;
}

export interface UiModel {
  /** The pipeline's clock, ms: alerts, silences and notices are on it. */
  readonly nowMs: number;
  readonly instance: string;
  readonly startedAt: number;
  readonly tokenRequired: boolean;
  readonly ready: { readonly ok: boolean; readonly reasons: readonly string[] };
  readonly store: StateStoreStatus;
  readonly receivers: readonly string[];
  readonly alerts: readonly UiAlert[];
  readonly silences: readonly GettableSilence[];
  readonly destinations: readonly DestinationHealth[];
  /** Newest first. */
  readonly timeline: readonly JournalEntry[];
  readonly timelineHours: number;
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, warning: 1, info: 2 };

/** A value as people read it: 4 significant digits, with its unit. */
export function quantity(value: number | undefined, unit: string | undefined): string | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const text = String(Number(value.toPrecision(4)));
  if (!unit || unit === "1") return text;
  return unit === "%" ? `${text} %` : `${text} ${unit}`;
}

function thresholdText(a: Alert): string | undefined {
  const t = quantity(a.threshold, a.unit);
  if (t === undefined) return undefined;
  if (a.comparison === "below") return `< ${t}`;
  if (a.comparison === "increase") return `+${t} over baseline`;
  return `> ${t}`;
}

function uiAlert(a: Alert, gettable: GettableAlert, marks: readonly AlertMark[]): UiAlert {
  const { alertname, severity: _s, component: _c, ...labels } = alertLabelSet(a);
  const baseline =
    a.comparison === "increase" ? quantity(a.baseline, a.unit === "%" ? "%" : a.unit) : undefined;
  return {
    gettable,
    rule: a.rule,
    severity: a.severity,
    status: a.status,
    component: a.component,
    summary: annotationsOf(a).summary ?? a.summary,
    ...(quantity(a.value, a.unit) !== undefined ? { value: quantity(a.value, a.unit) } : {}),
    ...(thresholdText(a) !== undefined ? { threshold: thresholdText(a) } : {}),
    ...(baseline !== undefined ? { baseline } : {}),
    labels,
    startsAt: a.startsAt,
    updatedAt: a.at,
    marks,
    silenceMatchers: { alertname: alertname ?? a.rule, ...labels },
  };
}

function alertsOf(ctx: ApiContext, active: readonly Silence[], nowMs: number): UiAlert[] {
  const marks = new Map<string, AlertMark[]>();
  for (const p of ctx.graph.processors) {
    for (const mark of p.instance.alertMarks?.(nowMs) ?? []) {
      const list = marks.get(mark.fingerprint) ?? [];
      list.push(mark);
      marks.set(mark.fingerprint, list);
    }
  }
  return alertViews(ctx, active, nowMs)
    .map(({ alert, gettable }) => uiAlert(alert, gettable, marks.get(alert.fingerprint) ?? []))
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        b.startsAt - a.startsAt ||
        (a.gettable.fingerprint < b.gettable.fingerprint ? -1 : 1),
    );
}

export async function uiModel(ctx: ApiContext): Promise<UiModel> {
  const nowMs = ctx.scheduler.now();
  const all = await ctx.silences.list(nowMs);
  const active = all.filter((s) => isActive(s, nowMs));
  const checks = readinessChecks(ctx);
  const store = ctx.state.status();
  return {
    nowMs,
    instance: store.instance_id,
    startedAt: ctx.startedAt,
    tokenRequired: ctx.config.service.status.auth.token !== "",
    ready: {
      ok: checks.every((c) => c.ok),
      reasons: checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`),
    },
    store,
    receivers: ctx.graph.receivers.map((r) => r.id),
    alerts: alertsOf(ctx, active, nowMs),
    silences: sortSilences(all, nowMs).map((s) => gettableSilence(s, nowMs)),
    destinations: destinationHealth(ctx),
    timeline: ctx.telemetry.journal.recent(nowMs).reverse(),
    timelineHours: ctx.telemetry.journal.maxAgeMs / 3_600_000,
  };
}
