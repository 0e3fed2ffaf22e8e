// Capabilities the API looks for on pipeline components (by shape, never by type name): who knows
// which alerts fire now, through which point their notices have passed, and which incident each
// belongs to.
import { type IncidentMembership, isIncidentDirectory } from "../incident.ts";
import type { Alert } from "../signal.ts";

/** A component that can list the alerts firing now (rules: their firing groups; silence: what passed). */
export interface FiringAlertSource {
  firingAlerts(): readonly Alert[];
}

/** A component notices pass through, which can tell whether a firing alert's notice reached it. */
export interface NoticeLedger {
  hasProcessed(fingerprint: string): boolean;
}

export function isFiringAlertSource(value: unknown): value is FiringAlertSource {
  return typeof (value as Partial<FiringAlertSource> | null)?.firingAlerts === "function";
}

export function isNoticeLedger(value: unknown): value is NoticeLedger {
  return typeof (value as Partial<NoticeLedger> | null)?.hasProcessed === "function";
}

export interface CurrentAlert {
  readonly alert: Alert;
  /** False while no notice of it has passed the pipeline's ledger (e.g. held by a cooldown). */
  readonly processed: boolean;
  /** The open incident it belongs to, when the pipeline groups alerts into incidents. */
  readonly incident?: IncidentMembership;
}

/** Every firing alert the sources know, once per fingerprint (the freshest notice wins). */
export function currentAlerts(components: readonly unknown[]): CurrentAlert[] {
  const byFingerprint = new Map<string, Alert>();
  for (const source of components.filter(isFiringAlertSource)) {
    for (const alert of source.firingAlerts()) {
      const seen = byFingerprint.get(alert.fingerprint);
      if (!seen) byFingerprint.set(alert.fingerprint, alert);
      else if (alert.at >= seen.at)
        byFingerprint.set(alert.fingerprint, { ...alert, startsAt: Math.min(alert.startsAt, seen.startsAt) });
    }
  }
  const ledgers = components.filter(isNoticeLedger);
  const directories = components.filter(isIncidentDirectory);
  return [...byFingerprint.values()].map((alert) => {
    const incident = directories.map((d) => d.incidentOf(alert.fingerprint)).find((m) => m !== undefined);
    // A member's notices are its incident's: they carry the incident's (its cause's) fingerprint.
    const passed = (l: NoticeLedger) =>
      l.hasProcessed(alert.fingerprint) || (incident !== undefined && l.hasProcessed(incident.fingerprint));
    return {
      alert,
      processed: ledgers.length === 0 || ledgers.some(passed),
      ...(incident ? { incident } : {}),
    };
  });
}
