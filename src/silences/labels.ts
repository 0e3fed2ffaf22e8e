// Alert labels as Prometheus and Alertmanager clients see them: OTel attribute keys in Prometheus
// form (`service.name` → `service_name`), plus the alert's rule as `alertname` and its severity.
import type { Alert } from "../signal.ts";

export type LabelSet = Readonly<Record<string, string>>;

/** The OTel → Prometheus label normalisation: every character outside [a-zA-Z0-9_] becomes `_`. */
export function promLabelName(key: string): string {
  const name = key.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `key_${name}` : name;
}

/**
 * Normalise every key; keys that collide after normalisation (`a.b` and `a_b`) have their values
 * joined with `;` in key order, as the OTel Prometheus exporter does.
 */
export function promLabels(labels: LabelSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) {
    const name = promLabelName(key);
    const value = labels[key] as string;
    out[name] = name in out ? `${out[name]};${value}` : value;
  }
  return out;
}

/** What an alert is matched on and shown as: `alertname`, `severity`, `component`, then its labels. */
export function alertLabelSet(alert: Pick<Alert, "rule" | "severity" | "component" | "labels">): LabelSet {
  return {
    severity: alert.severity,
    component: alert.component,
    ...promLabels(alert.labels),
    alertname: alert.rule,
  };
}
