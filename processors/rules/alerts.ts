// Building Alert notices from a group's state: summary text, fingerprints, values.
import type { Alert, AlertStatus } from "../../src/signal.ts";
import type { SeriesGroup } from "./group.ts";
import type { ExpectedBand, Reading, RuleSpec } from "./spec.ts";

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toFixed(Math.abs(v) >= 100 ? 1 : 2)));
}

/** "%", "/s" follow the number without a space, other units after one. */
function unitSuffix(unit: string): string {
  if (!unit) return "";
  return unit === "%" || unit.startsWith("/") ? unit : ` ${unit}`;
}

/** "92%", "80/s", "1.5 s". */
function withUnit(v: number | undefined, unit: string, format = formatNumber): string {
  if (v === undefined || Number.isNaN(v)) return "n/a";
  return `${format(v)}${unitSuffix(unit)}`;
}

/** A learned band as people read it: whole numbers from 10 on ("158–194/s"), else two significant digits. */
export function roundedNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 10) return String(Math.round(v));
  return String(Number(v.toPrecision(2)));
}

function bandText(e: ExpectedBand, unit: string): string {
  const low = roundedNumber(e.low);
  const high = roundedNumber(e.high);
  return `${low === high ? `about ${low}` : `${low}–${high}`}${unitSuffix(unit)}`;
}

function hoursText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m} min` : m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** "throughput unusually low: expected 158–194/s at 14:05 UTC, now 80/s (12 robust deviations below)". */
function deviationText(spec: RuleSpec, status: AlertStatus, reading: Reading | undefined): string {
  const e = reading?.expected;
  const now = withUnit(reading?.value, spec.unit, roundedNumber);
  if (!e) return `${spec.rule} resolved (now ${now})`;
  const expected = `${bandText(e, spec.unit)} at ${e.timeOfDay}`;
  if (status === "resolved") {
    return e.settled
      ? `${spec.rule} resolved: ${hoursText(e.deviatingForMs)} off its usual level, now taken as the new normal (usual ${expected}, now ${now})`
      : `${spec.rule} back to normal: expected ${expected}, now ${now}`;
  }
  const side = e.deviations < 0 ? "below" : "above";
  const word = e.deviations < 0 ? "low" : "high";
  const size = roundedNumber(Math.abs(e.deviations));
  return `${spec.rule} unusually ${word}: expected ${expected}, now ${now} (${size} robust deviations ${side})`;
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
  if (spec.comparison === "deviation" && !stale) {
    text = deviationText(spec, status, reading);
  } else if (status === "resolved") {
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
      case "expected":
        return roundedNumber(reading?.expected?.center ?? Number.NaN);
      case "expected_low":
        return roundedNumber(reading?.expected?.low ?? Number.NaN);
      case "expected_high":
        return roundedNumber(reading?.expected?.high ?? Number.NaN);
      case "deviations":
        return formatNumber(reading?.expected?.deviations ?? Number.NaN);
      case "time_of_day":
        return reading?.expected?.timeOfDay ?? "";
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
    startsAt: g.firingSince,
    at: now,
    route: spec.route,
  };
  const expected = reading?.expected;
  if (spec.comparison !== "deviation") {
    alert.threshold = spec.threshold;
    alert.comparison = spec.comparison;
  } else if (expected) {
    // No fixed bound: the side it deviates to, and what was expected (the band's centre as baseline).
    alert.comparison = expected.deviations < 0 ? "below" : "above";
  }
  if (value !== undefined && !Number.isNaN(value)) alert.value = value;
  if (reading?.baseline !== undefined) alert.baseline = reading.baseline;
  if (expected) alert.baseline = expected.center;
  if (spec.unit) alert.unit = spec.unit;
  if (status === "resolved") alert.endsAt = now;
  const details: Record<string, string | number | boolean> = {};
  if (reading?.increase !== undefined) details.increase_percent = Number(reading.increase.toFixed(2));
  if (expected) {
    details.expected_low = Number(expected.low.toPrecision(4));
    details.expected_high = Number(expected.high.toPrecision(4));
    details.robust_deviations = Number(expected.deviations.toFixed(1));
    details.sensitivity = spec.threshold;
    details.time_of_day = expected.timeOfDay;
    if (expected.settled && status === "resolved") details.settled = true;
  }
  if (stale) details.stale = true;
  if (stale && g.restoredFrom !== undefined) details.no_data_since_restart = true;
  if (Object.keys(details).length > 0) alert.details = details;
  return alert;
}
