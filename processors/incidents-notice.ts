// An incident as a notice: an Alert about its likely cause (the cause's rule, fingerprint, labels
// and values, so cooldown, escalation, throttle, silences and scrub treat it as that alert) whose
// severity is the highest of its members', with every member listed in `incident`. Also its id,
// the choice of cause, and its record in the state store.
import { createHash } from "node:crypto";
import { durationText, offsetText, valueWithUnit } from "../src/incident.ts";
import type { Alert, DigestSummary, IncidentMember, Severity } from "../src/signal.ts";
import type { JsonValue } from "../src/state/store.ts";
import type { Incident, IncidentBook, Member } from "./incidents-book.ts";
import type { Topology } from "./incidents-topology.ts";

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
/** Members named in a notice's one-line summary (all are listed in `incident.members`). */
const SUMMARY_MEMBERS = 5;

/** Stable and the same on every instance fed the same alerts: the first member and when it fired. */
export function incidentId(fingerprint: string, startsAt: number): string {
  return createHash("sha256").update(`${fingerprint}\u001f${startsAt}`).digest("hex").slice(0, 16);
}

/**
 * The likely cause: the member that fired first; of those that fired within `tieMs` of it
 * ("together"), the most upstream in the topology, then the earliest, then the first to arrive.
 */
export function chooseCause(incident: Incident, tieMs: number, topology: Topology): string {
  const members = [...incident.members.values()];
  const first = Math.min(...members.map((m) => m.startsAt));
  let best: Member | undefined;
  for (const m of members) {
    if (m.startsAt - first > tieMs) continue;
    if (!best) {
      best = m;
      continue;
    }
    const depth = topology.depth(m.firing.component) - topology.depth(best.firing.component);
    if (depth < 0 || (depth === 0 && m.startsAt < best.startsAt)) best = m;
  }
  return (best as Member).fingerprint;
}

/** The cause first, then by when they began firing (then by arrival). */
export function orderedMembers(incident: Incident): Member[] {
  const cause = incident.members.get(incident.causeFp);
  const rest = [...incident.members.values()]
    .filter((m) => m !== cause)
    .sort((a, b) => a.startsAt - b.startsAt);
  return cause ? [cause, ...rest] : rest;
}

/** The highest severity among the members: an incident is critical when any of them is. */
export function highestSeverity(members: Iterable<Member>): Severity {
  let s: Severity = "info";
  for (const m of members) if (RANK[m.alert.severity] > RANK[s]) s = m.alert.severity;
  return s;
}

function counted(members: readonly Member[]): DigestSummary[] {
  const byRule = new Map<string, { -readonly [K in keyof DigestSummary]: DigestSummary[K] }>();
  for (const m of members) {
    const key = `${m.alert.rule}\u001f${m.alert.status}`;
    const s = byRule.get(key);
    if (!s) {
      byRule.set(key, {
        rule: m.alert.rule,
        status: m.alert.status,
        severity: m.alert.severity,
        count: 1,
        examples: [m.alert.labels],
      });
      continue;
    }
    s.count++;
    if (RANK[m.alert.severity] > RANK[s.severity]) s.severity = m.alert.severity;
    if (s.examples.length < 3) s.examples = [...s.examples, m.alert.labels];
  }
  return [...byRule.values()];
}

function summaryOf(
  incident: Incident,
  members: readonly Member[],
  status: "firing" | "resolved",
  now: number,
) {
  const cause = members[0] as Member;
  if (members.length === 1) return (status === "resolved" ? cause.alert : cause.firing).summary;
  if (status === "resolved")
    return `${cause.alert.summary}; incident of ${members.length} alerts resolved after ${durationText(now - incident.startsAt)}`;
  const others = members.slice(1);
  const named = others.slice(0, SUMMARY_MEMBERS).map((m) => {
    const value = valueWithUnit(m.firing);
    return `${offsetText(m.startsAt - incident.startsAt)} ${m.firing.rule}${value ? ` ${value}` : ""}`;
  });
  const more = others.length > SUMMARY_MEMBERS ? `, +${others.length - SUMMARY_MEMBERS} more` : "";
  return `${cause.firing.summary}; ${others.length} related: ${named.join(", ")}${more}`;
}

/** The incident's notice now: firing (opening or update) or resolved (every member resolved). */
export function incidentNotice(
  incident: Incident,
  status: "firing" | "resolved",
  now: number,
  maxMembers: number,
): Alert {
  const members = orderedMembers(incident);
  const cause = members[0] as Member;
  // Values as the cause fired, or (resolved) as it resolved.
  const base = status === "resolved" ? cause.alert : cause.firing;
  const listed = members.slice(0, maxMembers);
  const rest = members.slice(maxMembers);
  const list: IncidentMember[] = listed.map((m) => ({
    alert: m.alert,
    offsetMs: m.startsAt - incident.startsAt,
    ...(m === cause || m.reason === undefined ? {} : { reason: m.reason }),
  }));
  const notice: { -readonly [K in keyof Alert]: Alert[K] } = {
    kind: "alert",
    rule: base.rule,
    fingerprint: base.fingerprint,
    status,
    severity: highestSeverity(members),
    component: base.component,
    labels: base.labels,
    summary: summaryOf(incident, members, status, now),
    startsAt: incident.startsAt,
    at: now,
    incident: {
      id: incident.id,
      cause: base.rule,
      members: list,
      ...(rest.length > 0 ? { summarised: counted(rest) } : {}),
      revision: incident.revision,
      ...(status === "resolved" ? { durationMs: now - incident.startsAt } : {}),
    },
  };
  for (const key of ["value", "threshold", "baseline", "unit", "comparison", "route", "details"] as const) {
    if (base[key] !== undefined) (notice as Record<string, unknown>)[key] = base[key];
  }
  if (status === "resolved") notice.endsAt = now;
  return notice;
}

/** A member's resolve made up when its rule no longer reports it (restored, never mentioned again). */
export function unreportedResolve(m: Member, now: number): Alert {
  return {
    ...m.firing,
    status: "resolved",
    at: now,
    endsAt: now,
    summary: `${m.firing.rule} resolved: not reported by its rule since the restart`,
    details: { ...m.firing.details, stale: true, no_data_since_restart: true },
  };
}

// ---- the state store record ----

interface SavedMember {
  fingerprint: string;
  alert: Alert;
  firing: Alert;
  startsAt: number;
  firedAt: number;
  reason?: string;
}

interface SavedIncident {
  id: string;
  startsAt: number;
  phase: "pending" | "open";
  dueAt: number;
  causeFp: string;
  lastFiredAt: number;
  revision: number;
  members: SavedMember[];
}

export function savedIncident(incident: Incident): JsonValue {
  const saved: SavedIncident = {
    id: incident.id,
    startsAt: incident.startsAt,
    phase: incident.phase,
    dueAt: incident.dueAt,
    causeFp: incident.causeFp,
    lastFiredAt: incident.lastFiredAt,
    revision: incident.revision,
    members: [...incident.members.values()].map((m) => ({
      fingerprint: m.fingerprint,
      alert: m.alert,
      firing: m.firing,
      startsAt: m.startsAt,
      firedAt: m.firedAt,
      ...(m.reason === undefined ? {} : { reason: m.reason }),
    })),
  };
  return saved as unknown as JsonValue;
}

const isAlert = (v: unknown): v is Alert => (v as Alert | undefined)?.kind === "alert";

/** Rebuild a stored incident into `book`; its members await word from their rules. */
export function restoreIncident(book: IncidentBook, value: JsonValue): Incident | undefined {
  const saved = value as unknown as SavedIncident;
  if (typeof saved?.id !== "string" || !Array.isArray(saved.members) || book.incidents.has(saved.id)) return;
  const members = saved.members.filter(
    (m) =>
      typeof m?.fingerprint === "string" &&
      isAlert(m.alert) &&
      isAlert(m.firing) &&
      !book.member(m.fingerprint),
  );
  const [first, ...rest] = members;
  if (!first) return;
  const incident = book.open(saved.id, first.firing, first.firedAt, saved.dueAt, first.startsAt);
  incident.phase = saved.phase === "open" ? "open" : "pending";
  incident.revision = saved.revision;
  for (const m of rest) book.add(incident, m.firing, m.firedAt, m.reason, m.startsAt);
  for (const m of members) {
    const member = incident.members.get(m.fingerprint) as Member;
    book.update(member, m.alert);
    member.firing = m.firing;
    member.firedAt = m.firedAt;
    member.awaitingWord = m.alert.status === "firing";
  }
  incident.startsAt = saved.startsAt;
  incident.causeFp = incident.members.has(saved.causeFp) ? saved.causeFp : first.fingerprint;
  incident.lastFiredAt = saved.lastFiredAt;
  return incident;
}
