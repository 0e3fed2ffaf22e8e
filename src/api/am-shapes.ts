// Alertmanager v2 JSON shapes (api/v2/openapi.yaml): gettableAlert, gettableSilence, and the
// conversions from alertpipe's alerts and silences. Label names are shown in Prometheus form.
import type { IncidentMembership } from "../incident.ts";
import { defaultScrubber } from "../scrub/scrub.ts";
import { type Alert, fingerprintHash } from "../signal.ts";
import { alertLabelSet, type LabelSet } from "../silences/labels.ts";
import type { Matcher } from "../silences/matchers.ts";
import { type Silence, type SilenceState, silenceState, silences } from "../silences/silence.ts";

export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  receivers: Array<{ name: string }>;
  status: { state: "active" | "suppressed" | "unprocessed"; silencedBy: string[]; inhibitedBy: string[] };
  generatorURL?: string;
}

export interface GettableSilence {
  id: string;
  status: { state: SilenceState };
  updatedAt: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

const numberText = (v: number) => String(Number(v.toPrecision(12)));

/** Summary, values and details; free text is scrubbed of PII as it would be for Slack. */
export function annotationsOf(alert: Alert): Record<string, string> {
  const out: Record<string, string> = { summary: alert.summary };
  for (const [k, v] of Object.entries(alert.details ?? {})) if (k !== "generator_url") out[k] = String(v);
  const values: Array<[string, number | string | undefined]> = [
    ["value", alert.value],
    ["threshold", alert.threshold],
    ["baseline", alert.baseline],
    ["unit", alert.unit],
    ["comparison", alert.comparison],
    ["escalation_level", alert.escalationLevel],
  ];
  for (const [k, v] of values) {
    if (v === undefined || v === "" || k in out) continue;
    out[k] = typeof v === "number" ? numberText(v) : v;
  }
  return defaultScrubber.value(out);
}

/** An incident member's annotations: which incident, its likely cause, this alert's part in it. */
function incidentAnnotations(m: IncidentMembership | undefined): Record<string, string> {
  if (!m) return {};
  return {
    incident_id: m.id,
    incident_cause: m.cause,
    incident_role: m.role,
    incident_alerts: String(m.alerts),
  };
}

export interface AlertViewInput {
  readonly alert: Alert;
  readonly processed: boolean;
  /** The open incident it belongs to. */
  readonly incident?: IncidentMembership;
  /** Active silences, to find those muting it. */
  readonly active: readonly Silence[];
  readonly receivers: readonly string[];
  readonly nowMs: number;
  /** When the alert resolves unless refreshed (a posted alert's endsAt). */
  readonly endsAt: number;
}

export function gettableAlert(input: AlertViewInput): GettableAlert {
  const { alert, nowMs } = input;
  const labels: LabelSet = alertLabelSet(alert);
  const silencedBy = input.active.filter((s) => silences(s, labels, nowMs)).map((s) => s.id);
  const state = silencedBy.length > 0 ? "suppressed" : input.processed ? "active" : "unprocessed";
  const generator = alert.details?.generator_url;
  return {
    labels: { ...labels },
    annotations: { ...annotationsOf(alert), ...incidentAnnotations(input.incident) },
    startsAt: iso(alert.startsAt),
    endsAt: iso(input.endsAt),
    updatedAt: iso(alert.at),
    // 16 hex digits as Alertmanager shows them; the same hash as /status, never the label values.
    fingerprint: fingerprintHash(alert.fingerprint),
    receivers: input.receivers.map((name) => ({ name })),
    status: { state, silencedBy, inhibitedBy: [] },
    ...(typeof generator === "string" ? { generatorURL: generator } : {}),
  };
}

export function gettableSilence(s: Silence, nowMs: number): GettableSilence {
  return {
    id: s.id,
    status: { state: silenceState(s, nowMs) },
    updatedAt: iso(s.updatedAt),
    matchers: s.matchers.map((m) => ({
      name: m.name,
      value: m.value,
      isRegex: m.isRegex,
      isEqual: m.isEqual,
    })),
    startsAt: iso(s.startsAt),
    endsAt: iso(s.endsAt),
    createdBy: s.createdBy,
    comment: s.comment,
  };
}
