// `incidents` processor: one fault, one message, cause first. Placed after the rules and before
// cooldown, it groups related alerts (incidents-relate.ts) that fire within `window` of an open
// incident's last firing into that incident, and sends the incident instead of its alerts: one
// notice when it opens (at the end of the instant, or after `tie_window`, so it names the cause of
// what fired together), an update when members join (cooldown coalesces updates per incident, as
// it does re-fires of one alert), and one when every member has resolved, with its duration.
//
// An incident notice is an Alert about its likely cause (incidents-notice.ts): cooldown,
// escalation, throttle, silences and scrub act on it as on that alert; a single alert's incident
// reads exactly like the alert. Every member alert is in the incident's notices, or passes as
// itself (one-shot alerts, and the resolve of an alert no incident knows, such as one fired before
// the processor was enabled). With a StateStore open incidents are stored in the key-value
// namespace `incidents/<component id>` (key: this run's instance id and the incident id) and
// restored at start (on Redis only those of this instance's earlier run); a rule's word on
// a restored member (AlertLiveness) is passed on as word on its incident, and a member its rule
// never mentions again (a rule removed) is resolved after ORPHAN_GRACE_MS.
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { defineFactory } from "../src/component.ts";
import { operatorFromStages } from "../src/fuse.ts";
import type { IncidentMembership } from "../src/incident.ts";
import type { Alert, AlertLiveness, Item } from "../src/signal.ts";
import { isPreviousRun } from "../src/state/instance-id.ts";
import { andThen, type StateStore } from "../src/state/store.ts";
import { type Incident, IncidentBook, type Member } from "./incidents-book.ts";
import {
  type IncidentsConfig,
  type IncidentsProcessor,
  type IncidentsStatus,
  incidentsConfigSchema,
} from "./incidents-config.ts";
import {
  chooseCause,
  highestSeverity,
  incidentId,
  incidentNotice,
  restoreIncident,
  savedIncident,
  unreportedResolve,
} from "./incidents-notice.ts";
import { SEED_TOPOLOGY, Topology, topologyProblems } from "./incidents-topology.ts";
import { Outlets } from "./rules/stream.ts";
import { type Emit, noticeStream, persist, Sequencer } from "./state-sequence.ts";

export { type IncidentsConfig, type IncidentsProcessor, type IncidentsStatus, incidentsConfigSchema };

/** Where an incidents processor keeps its open incidents in the store. */
export const incidentsNamespace = (componentId: string) => `incidents/${componentId}`;
/** A stored incident outlives its last change by this much (a long outage keeps rewriting it). */
const RECORD_TTL_MS = 7 * 24 * 3_600_000;
/** A restored member its rule has not mentioned by then is taken as gone (its rule was removed). */
export const ORPHAN_GRACE_MS = 15 * 60_000;
const STATUS_LISTED = 20;

function listed<T>(items: Iterable<T>, max: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= max) break;
    out.push(item);
  }
  return out;
}

export function createIncidents(
  config: IncidentsConfig,
  scheduler: SchedulerLike,
  logger: Logger,
  store?: { readonly state: StateStore; readonly id: string },
): IncidentsProcessor {
  const topology = new Topology(config.topology ?? SEED_TOPOLOGY);
  const book = new IncidentBook({ identity: config.group_by, hostKey: config.host_label, topology });
  const outlets = new Outlets();
  const sequencer = new Sequencer(logger);
  const windowMs = config.window * 1000;
  const tieMs = config.tie_window * 1000;
  const ns = store && incidentsNamespace(store.id);
  // Records are this run's (key: owner, incident id): instances sharing Redis each keep their own.
  const self = store?.state.status().instance_id ?? "local";
  const keyOf = (incident: Incident) => `${self}\u001f${incident.id}`;
  const counts = { opened: 0, updates: 0, resolved: 0, alerts_grouped: 0, restored: 0 };
  /** Incidents with a notice owed (opening or update) at the next flush. */
  const owed = new Set<Incident>();
  const unsaved = new Set<Incident>();
  let flushTimer: Subscription | undefined;
  const timers = new Set<Subscription>();

  const later = (work: () => void, delayMs: number) => {
    const t: Subscription = scheduler.schedule(() => {
      timers.delete(t);
      work();
    }, delayMs);
    timers.add(t);
  };

  /** Notices go out at the end of the instant: after a ratio rule's own end-of-batch check. */
  const flushSoon = () => {
    if (flushTimer) return;
    flushTimer = scheduler.schedule(() => {
      flushTimer = scheduler.schedule(() => {
        flushTimer = undefined;
        flush((item) => outlets.next(item));
      });
    });
  };

  const save = () => {
    if (!store || !ns) return;
    const nowMs = scheduler.now();
    for (const incident of unsaved) {
      const value = savedIncident(incident);
      persist(logger, "incidents.set", () =>
        store.state.set(ns, keyOf(incident), value, { ttlMs: RECORD_TTL_MS, nowMs }),
      );
    }
    unsaved.clear();
  };

  const changed = (incident: Incident) => {
    unsaved.add(incident);
    if (incident.phase === "open") incident.updateOwed = true;
    owed.add(incident);
    flushSoon();
  };

  const send = (incident: Incident, status: "firing" | "resolved", emit: Emit) => {
    incident.revision++;
    emit(incidentNotice(incident, status, scheduler.now(), config.max_members));
  };

  const openNow = (incident: Incident, emit: Emit) => {
    incident.causeFp = chooseCause(incident, tieMs, topology);
    const cause = incident.members.get(incident.causeFp) as Member;
    // A cause that joined after the first member: the first now needs its reason too.
    for (const m of incident.members.values())
      if (m !== cause && m.reason === undefined) m.reason = book.reasonFor(m, cause);
    incident.phase = "open";
    incident.updateOwed = false;
    counts.opened++;
    unsaved.add(incident);
    logger.debug({ incident: incident.id, alerts: incident.members.size }, "incident opened");
    send(incident, "firing", emit);
  };

  const flush = (emit: Emit) => {
    const now = scheduler.now();
    for (const incident of owed) {
      if (incident.phase === "pending") {
        if (incident.dueAt > now) continue;
        openNow(incident, emit);
      } else if (incident.updateOwed) {
        incident.updateOwed = false;
        counts.updates++;
        send(incident, "firing", emit);
      }
      owed.delete(incident);
    }
    save();
  };

  const close = (incident: Incident, emit: Emit) => {
    if (incident.phase === "pending") openNow(incident, emit); // its firing was never sent
    owed.delete(incident);
    unsaved.delete(incident);
    book.close(incident);
    counts.resolved++;
    if (store && ns) persist(logger, "incidents.delete", () => store.state.delete(ns, keyOf(incident)));
    logger.debug({ incident: incident.id }, "incident resolved");
    send(incident, "resolved", emit);
  };

  const fired = (alert: Alert, now: number) => {
    const member = book.member(alert.fingerprint);
    if (member) {
      // A member firing again (or a breach sent again): news for the next update.
      book.update(member, alert);
      member.firedAt = now;
      member.awaitingWord = undefined;
      member.incident.lastFiredAt = now;
      return changed(member.incident);
    }
    const found = book.find(alert, now, windowMs);
    if (found) {
      book.add(found.incident, alert, now, found.reason);
      counts.alerts_grouped++;
      return changed(found.incident);
    }
    const incident = book.open(incidentId(alert.fingerprint, alert.startsAt), alert, now, now + tieMs);
    if (tieMs > 0) later(flushSoon, tieMs);
    changed(incident);
  };

  const resolvedAlert = (alert: Alert, emit: Emit) => {
    const member = book.member(alert.fingerprint);
    if (!member) return emit(alert); // fired before this processor knew of it: its own resolve
    book.update(member, alert);
    member.awaitingWord = undefined;
    if (member.incident.firing === 0) return close(member.incident, emit);
    unsaved.add(member.incident);
    flushSoon(); // written at the end of the instant; its next notice shows it resolved
  };

  /** A rule's word on a restored member is word on its incident (restored, or confirmed by data). */
  const live = (item: AlertLiveness, emit: Emit) => {
    const member = book.member(item.alert.fingerprint);
    if (!member) return emit(item);
    member.awaitingWord = undefined;
    if (item.state === "confirmed") book.update(member, item.alert);
    const incident = member.incident;
    if (incident.phase === "pending") return; // its opening notice is still to come
    emit({ ...item, alert: incidentNotice(incident, "firing", scheduler.now(), config.max_members) });
  };

  const handle = (item: Item, emit: Emit) => {
    if (item.kind === "liveness") return live(item, emit);
    if (item.kind !== "alert" || item.oneShot || item.incident || item.status === "escalated")
      return emit(item);
    if (item.status === "resolved") return resolvedAlert(item, emit);
    fired(item, scheduler.now());
  };

  /** Members restored but never mentioned by their rule since the start: resolved, so the incident can end. */
  const sweepOrphans = () => {
    for (const incident of [...book.incidents.values()]) {
      let any = false;
      for (const m of incident.members.values()) {
        if (!m.awaitingWord) continue;
        m.awaitingWord = undefined;
        book.update(m, unreportedResolve(m, scheduler.now()));
        any = true;
      }
      if (!any) continue;
      logger.info(
        { incident: incident.id },
        "incident members not reported by their rules since the restart: resolved",
      );
      if (incident.firing === 0) close(incident, (i) => outlets.next(i));
      else unsaved.add(incident);
    }
    save();
  };

  /** While the stored incidents load (a Redis round trip), alerts queue behind them, in order. */
  let restoring = false;
  const restore = () => {
    if (!store || !ns) return;
    restoring = true;
    sequencer.run(
      () =>
        andThen(store.state.list(ns, scheduler.now()), (entries) => {
          restoring = false;
          const shared = store.state.backend === "redis";
          for (const { key, value } of entries) {
            // On Redis another live instance's incidents are its own; this instance's earlier run's are ours.
            const owner = key.split("\u001f")[0] as string;
            if (shared && owner !== self && !isPreviousRun(owner, self)) continue;
            const incident = restoreIncident(book, value);
            if (!incident) continue;
            counts.restored++;
            // Under this run's key first, then the earlier run's goes (a crash between keeps one).
            unsaved.add(incident);
            save();
            if (key !== keyOf(incident))
              persist(logger, "incidents.delete", () => store.state.delete(ns, key));
            if (incident.phase === "pending") {
              owed.add(incident);
              flushSoon();
            }
          }
          if (counts.restored > 0) later(sweepOrphans, ORPHAN_GRACE_MS);
        }),
      (err) => {
        restoring = false;
        logger.warn({ err: String(err) }, "incidents: could not restore open incidents");
      },
    );
  };

  const status = (): IncidentsStatus => ({
    enabled: config.enabled,
    restoring,
    open_incidents: book.size,
    // Rule names and counts only: the status endpoint is unauthenticated, label values may be personal.
    incidents: listed(book.incidents.values(), STATUS_LISTED).map((i) => ({
      id: i.id,
      cause: (i.members.get(i.causeFp) as Member).firing.rule,
      alerts: i.members.size,
      firing: i.firing,
      severity: highestSeverity(i.members.values()),
      since: new Date(i.startsAt).toISOString(),
    })),
    ...counts,
  });

  const incidentOf = (fingerprint: string): IncidentMembership | undefined => {
    const member = book.member(fingerprint);
    if (!member) return undefined;
    const incident = member.incident;
    const cause = incident.members.get(incident.causeFp) as Member;
    return {
      id: incident.id,
      cause: cause.firing.rule,
      fingerprint: incident.causeFp,
      role: member === cause ? "cause" : "member",
      alerts: incident.members.size,
    };
  };

  if (!config.enabled) {
    return {
      operator: operatorFromStages([(emit) => ({ push: emit })]),
      stage: (emit) => ({ push: emit }),
      status,
      incidentOf: () => undefined,
      shutdown: async () => {},
    };
  }
  restore();
  const processor = noticeStream(store?.state, {
    outlets,
    sequencer,
    logger,
    handle: (item, emit) => {
      if (!restoring) return handle(item, emit);
      sequencer.run(
        () => handle(item, emit),
        (err) => {
          logger.error({ err: String(err) }, "incidents failed on an alert; passing it through");
          emit(item);
        },
      );
    },
    // Shutdown: what is owed goes now (an opening still waiting for tie_window included).
    onComplete: (emit) => {
      for (const incident of owed) incident.dueAt = Math.min(incident.dueAt, scheduler.now());
      flush(emit);
    },
  });
  return {
    ...processor,
    status,
    incidentOf,
    async shutdown() {
      await sequencer.idle();
      flushTimer?.unsubscribe();
      for (const t of timers) t.unsubscribe();
      save();
    },
  };
}

export const incidentsFactory = defineFactory({
  kind: "processor",
  type: "incidents",
  configSchema: incidentsConfigSchema,
  validate: (config) => topologyProblems(config.topology ?? {}),
  create: (config, context): IncidentsProcessor =>
    createIncidents(
      config,
      context.scheduler,
      context.logger,
      context.state ? { state: context.state, id: context.id } : undefined,
    ),
});
