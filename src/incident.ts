// Incidents as every reader of a notice sees them (exporters, replay, rule tests, the API): how
// many alerts one stands for, its members' offsets and durations in words, and the capability a
// component offers to say which incident an alert belongs to.
import { formatNumber } from "../processors/rules/alerts.ts";
import type { Alert, IncidentInfo } from "./signal.ts";

/** How many alerts an incident notice accounts for: those listed and those counted. */
export function incidentSize(info: IncidentInfo): number {
  let n = info.members.length;
  for (const s of info.summarised ?? []) n += s.count;
  return n;
}

/** An incident notice that groups more than its cause (one of a single alert reads like that alert). */
export function groupsOthers(alert: Alert): boolean {
  return alert.incident !== undefined && incidentSize(alert.incident) > 1;
}

/** "30 s", "2 min", "1 min 30 s", "1 h 5 min": durations people read. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h === 0) return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** "+30 s": a member's firing after the incident's start. */
export function offsetText(ms: number): string {
  return `+${durationText(ms)}`;
}

/** "40 %", "12 failures", "15": an alert's value with its unit, or "" without one. */
export function valueWithUnit(alert: Alert): string {
  if (alert.value === undefined || Number.isNaN(alert.value)) return "";
  const unit = alert.unit && alert.unit !== "1" ? alert.unit : "";
  return unit === "%"
    ? `${formatNumber(alert.value)} %`
    : `${formatNumber(alert.value)}${unit ? ` ${unit}` : ""}`;
}

/** Where an alert stands in an incident, as a component tracking incidents knows it. */
export interface IncidentMembership {
  readonly id: string;
  /** Rule name of the incident's likely cause. */
  readonly cause: string;
  /** The fingerprint the incident's notices carry (its cause's): what cooldown, silences and the ledger see. */
  readonly fingerprint: string;
  readonly role: "cause" | "member";
  /** Alerts in the incident, this one included. */
  readonly alerts: number;
}

/** A component that groups alerts into incidents (the `incidents` processor). */
export interface IncidentDirectory {
  /** The open incident an alert fingerprint belongs to, if any. */
  incidentOf(fingerprint: string): IncidentMembership | undefined;
}

export function isIncidentDirectory(value: unknown): value is IncidentDirectory {
  return typeof (value as Partial<IncidentDirectory> | null)?.incidentOf === "function";
}
