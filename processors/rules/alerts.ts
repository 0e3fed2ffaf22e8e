// Building Alert notices from a group's state: summary text, fingerprints, values.
import type { Alert, AlertStatus } from "../../src/signal.ts";
import type { SeriesGroup } from "./group.ts";
import type { Reading, RuleSpec } from "./spec.ts";

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toFixed(Math.abs(v) >= 100 ? 1 : 2)));
}

function withUnit(v: number | undefined, unit: string): string {
  if (v === undefined || Number.isNaN(v)) return "n/a";
  if (!unit) return formatNumber(v);
  return unit === "%" ? `${formatNumber(v)}%` : `${formatNumber(v)} ${unit}`;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(", ");
}

/** Why a stale resolve happened: no data for the stale time, or none since a restart. */
function staleText(spec: RuleSpec, g: SeriesGroup): string {
  if (g.restoredFrom === undefined) return `no data for ${formatNumber(spec.staleAfterMs / 1000)} s`;
  return `no data since restart (last data ${new Date(g.restoredFrom).toISOString()})`;
}

function defaultSummary(
  spec: RuleSpec,
  g: SeriesGroup,
  status: AlertStatus,
  reading: Reading | undefined,
  stale: boolean,
): string {
  const value = reading?.value;
  let text: string;
  if (status === "resolved") {
    text = stale
      ? `${spec.rule} resolved: ${staleText(spec, g)}`
      : `${spec.rule} resolved (now ${withUnit(value, spec.unit)})`;
  } else if (spec.type === "spike") {
    text =
      `${spec.rule} up ${formatNumber(reading?.increase ?? Number.NaN)}% over baseline ` +
      `(now ${withUnit(value, spec.unit)}, baseline ${withUnit(reading?.baseline, spec.unit)})`;
  } else {
    text = `${spec.rule} is ${withUnit(value, spec.unit)} (${spec.comparison} ${withUnit(spec.threshold, spec.unit)})`;
  }
  return text;
}

/** Fills {rule} {value} {threshold} {baseline} {increase} {unit} {status} {labels} {labels.NAME}. */
function renderTemplate(
  template: string,
  spec: RuleSpec,
  status: AlertStatus,
  g: SeriesGroup,
  reading: Reading | undefined,
): string {
  return template.replace(/\{([a-z_.\-A-Z0-9]+)\}/g, (whole, name: string) => {
    if (name.startsWith("labels.")) return g.labels[name.slice(7)] ?? "";
    switch (name) {
      case "rule":
        return spec.rule;
      case "value":
        return formatNumber(reading?.value ?? Number.NaN);
      case "threshold":
        return formatNumber(spec.threshold);
      case "baseline":
        return formatNumber(reading?.baseline ?? Number.NaN);
      case "increase":
        return formatNumber(reading?.increase ?? Number.NaN);
      case "unit":
        return spec.unit;
      case "status":
        return status;
      case "labels":
        return labelText(g.labels);
      default:
        return whole;
    }
  });
}

export function buildAlert(
  spec: RuleSpec,
  g: SeriesGroup,
  status: AlertStatus,
  now: number,
  reading: Reading | undefined,
  stale = false,
): Alert {
  let summary = spec.summary
    ? renderTemplate(spec.summary, spec, status, g, reading)
    : defaultSummary(spec, g, status, reading, stale);
  const labels = labelText(g.labels);
  if (!spec.summary && labels) summary += ` for ${labels}`;
  const value = reading?.value;
  const alert: {
    -readonly [K in keyof Alert]: Alert[K];
  } = {
    kind: "alert",
    rule: spec.rule,
    fingerprint: g.fingerprint,
    status,
    severity: spec.severity,
    component: spec.component,
    labels: g.labels,
    summary,
    threshold: spec.threshold,
    comparison: spec.comparison,
    startsAt: g.firingSince,
    at: now,
    route: spec.route,
  };
  if (value !== undefined && !Number.isNaN(value)) alert.value = value;
  if (reading?.baseline !== undefined) alert.baseline = reading.baseline;
  if (spec.unit) alert.unit = spec.unit;
  if (status === "resolved") alert.endsAt = now;
  const details: Record<string, string | number | boolean> = {};
  if (reading?.increase !== undefined) details.increase_percent = Number(reading.increase.toFixed(2));
  if (stale) details.stale = true;
  if (stale && g.restoredFrom !== undefined) details.no_data_since_restart = true;
  if (Object.keys(details).length > 0) alert.details = details;
  return alert;
}
