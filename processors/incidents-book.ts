// The open incidents and their members, indexed so that a new alert finds the incidents it may
// join without scanning all of them (a storm of 10 000 unrelated alerts stays linear).
import type { Alert } from "../src/signal.ts";
import { indexKeys, lookupKeys, type RelateOptions, relation } from "./incidents-relate.ts";

export interface Member {
  readonly fingerprint: string;
  readonly incident: Incident;
  /** Its latest notice: firing, or resolved (set through IncidentBook.update). */
  alert: Alert;
  /** Its latest firing notice (the values it fired with). */
  firing: Alert;
  /** When it first began firing in this incident (its alert's startsAt then). */
  readonly startsAt: number;
  /** Scheduler time of its latest firing. */
  firedAt: number;
  /** Why it belongs (set when it joins; for the first member, once the cause is chosen). */
  reason?: string;
  /** Restored after a restart and not yet mentioned by its rule (liveness or a notice). */
  awaitingWord?: boolean;
}

export interface Incident {
  readonly id: string;
  /** The first member's firing start: the incident's start. */
  startsAt: number;
  /** pending: waiting for `tie_window` (or the end of the instant) before its opening notice. */
  phase: "pending" | "open";
  /** When a pending incident opens (scheduler ms). */
  dueAt: number;
  /** The likely cause's fingerprint, settled when the incident opens. */
  causeFp: string;
  /** In joining order. */
  readonly members: Map<string, Member>;
  /** Scheduler time of the latest firing of any member: later alerts join within `window` of it. */
  lastFiredAt: number;
  /** Members whose latest notice is a firing: at 0 the incident is over. */
  firing: number;
  /** Notices sent so far. */
  revision: number;
  /** Members changed since its last notice: an update is owed at the end of the instant. */
  updateOwed: boolean;
}

/** How many members the lookup checks per new alert at most (bounds the work in a storm). */
const MAX_CANDIDATES = 2_000;

export class IncidentBook {
  readonly incidents = new Map<string, Incident>();
  readonly #byFingerprint = new Map<string, Member>();
  readonly #index = new Map<string, Set<Member>>();
  readonly #options: RelateOptions;

  constructor(options: RelateOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.incidents.size;
  }

  member(fingerprint: string): Member | undefined {
    return this.#byFingerprint.get(fingerprint);
  }

  open(id: string, first: Alert, now: number, dueAt: number, startsAt = first.startsAt): Incident {
    const incident: Incident = {
      id,
      startsAt,
      phase: "pending",
      dueAt,
      causeFp: first.fingerprint,
      members: new Map(),
      lastFiredAt: now,
      firing: 0,
      revision: 0,
      updateOwed: false,
    };
    this.incidents.set(id, incident);
    this.add(incident, first, now, undefined, startsAt);
    return incident;
  }

  add(
    incident: Incident,
    alert: Alert,
    now: number,
    reason: string | undefined,
    startsAt = alert.startsAt,
  ): Member {
    const member: Member = {
      fingerprint: alert.fingerprint,
      incident,
      alert,
      firing: alert,
      startsAt,
      firedAt: now,
      ...(reason === undefined ? {} : { reason }),
    };
    incident.members.set(alert.fingerprint, member);
    if (alert.status !== "resolved") incident.firing++;
    incident.startsAt = Math.min(incident.startsAt, startsAt);
    incident.lastFiredAt = Math.max(incident.lastFiredAt, now);
    this.#byFingerprint.set(alert.fingerprint, member);
    for (const key of indexKeys(alert, this.#options)) {
      let set = this.#index.get(key);
      if (!set) {
        set = new Set();
        this.#index.set(key, set);
      }
      set.add(member);
    }
    return member;
  }

  /** A member's latest notice (a firing keeps its values as the ones it fired with). */
  update(member: Member, alert: Alert): void {
    const was = member.alert.status !== "resolved";
    const is = alert.status !== "resolved";
    member.incident.firing += Number(is) - Number(was);
    member.alert = alert;
    if (is) member.firing = alert;
  }

  /** The incident is over: forget it and its members. */
  close(incident: Incident): void {
    this.incidents.delete(incident.id);
    for (const member of incident.members.values()) {
      if (this.#byFingerprint.get(member.fingerprint) === member)
        this.#byFingerprint.delete(member.fingerprint);
      for (const key of indexKeys(member.firing, this.#options)) {
        const set = this.#index.get(key);
        set?.delete(member);
        if (set?.size === 0) this.#index.delete(key);
      }
    }
  }

  /** Why `member` belongs with the cause (or, related through others, with the first it relates to). */
  reasonFor(member: Member, cause: Member): string | undefined {
    const direct = relation(member.firing, cause.firing, this.#options);
    if (direct) return direct;
    for (const other of member.incident.members.values()) {
      if (other === member) continue;
      const reason = relation(member.firing, other.firing, this.#options);
      if (reason) return reason;
    }
    return undefined;
  }

  /**
   * The open incident `alert` joins, with why: among those whose last firing is within `windowMs`,
   * the one fired most recently that has a related member (its cause checked first).
   */
  find(alert: Alert, now: number, windowMs: number): { incident: Incident; reason: string } | undefined {
    const byIncident = new Map<Incident, Set<Member>>();
    let checked = 0;
    scan: for (const key of lookupKeys(alert, this.#options)) {
      for (const m of this.#index.get(key) ?? []) {
        if (now - m.incident.lastFiredAt > windowMs) continue;
        if (++checked > MAX_CANDIDATES) break scan;
        const found = byIncident.get(m.incident);
        if (found) found.add(m);
        else byIncident.set(m.incident, new Set([m]));
      }
    }
    const ranked = [...byIncident.keys()].sort(
      (a, b) => b.lastFiredAt - a.lastFiredAt || a.startsAt - b.startsAt,
    );
    for (const incident of ranked) {
      const members = [...(byIncident.get(incident) as Set<Member>)];
      members.sort(
        (a, b) => Number(b.fingerprint === incident.causeFp) - Number(a.fingerprint === incident.causeFp),
      );
      for (const m of members) {
        const reason = relation(alert, m.firing, this.#options);
        if (reason) return { incident, reason };
      }
    }
    return undefined;
  }
}
