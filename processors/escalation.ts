// `escalation` processor: an alert of an escalating severity (critical by default) still firing
// `delay` minutes after its first notice is emitted again as `escalated` on the escalation route,
// and again at each further level. A resolve cancels what is pending. Place it after cooldown.
//
// With a StateStore (context.state) each tracked alert is persisted in the key-value namespace
// `escalation/<component id>` (key: fingerprint, value {alert, firstNoticeAt, level}), written when
// tracking starts, when the alert's values change and after each level; a resolve deletes it. At
// start the records are restored but not armed: an alert is only as live as its data, so nothing
// escalates until fresh data confirm it since the start (the rule's AlertLiveness `confirmed`, or a
// firing notice); then an escalation that fell due while the process was down fires at once, the
// later levels on the first notice's clock. Without data the rule resolves it stale, which deletes
// the record. One whose record was deleted (resolved, here or on another instance) is dropped when
// its timer comes. Each level is sent by one instance only (a cooldown lock per fingerprint, first
// notice and level).
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import { duration } from "../src/config/duration.ts";
import type { Alert, AlertLiveness, Item } from "../src/signal.ts";
import { andThen, type JsonValue, type MaybePromise, type StateStore } from "../src/state/store.ts";
import { severitySchema } from "./rules/schema.ts";
import { Outlets } from "./rules/stream.ts";
import {
  type Emit,
  guarded,
  noticeStream,
  persist,
  RESUBSCRIBE_WAIT_MS,
  Sequencer,
} from "./state-sequence.ts";

const minutes = () => duration("m");

export const escalationConfigSchema = z
  .strictObject({
    delay: minutes().prefault(15).meta({
      description:
        "Time after its first notice a still-firing alert is escalated: minutes, or a duration like 1h (ALERT_ESCALATION_DELAY); used when `levels` is empty.",
    }),
    levels: z.array(minutes()).prefault([]).meta({
      description:
        "Time after the first notice for each escalation level (minutes, or 15m, 1h…), ascending; [] = [delay].",
    }),
    severities: z
      .array(severitySchema)
      .min(1)
      .default(["critical"])
      .meta({ description: "Severities that escalate: info, warning, critical." }),
    route: z.string().default("escalation").meta({
      description:
        "Route of escalated notices, with its own throttle window; Slack sends it to escalation_webhook_url when set, else to the main channel with @channel. Empty = the alert's own route.",
    }),
  })
  .meta({
    description:
      "Sends a critical alert again, marked escalated, when it is still firing `delay` minutes after its first notice (past its cooldown). Place it after cooldown.",
  });
export type EscalationConfig = z.output<typeof escalationConfigSchema>;

interface Tracked {
  alert: Alert;
  readonly firstNoticeAt: number;
  /** Levels already sent. */
  level: number;
  timer?: Subscription;
  /** Seen firing since this process started (a restored record is not, until data confirm it). */
  confirmed: boolean;
}

/** All escalation state in one object; with a StateStore each tracked alert is also stored. */
export class EscalationState {
  readonly tracked = new Map<string, Tracked>();
  escalated = 0;
  readonly escalatedByRule = new Map<string, number>();
  cancelled = 0;
}

export interface EscalationProcessor extends Processor {
  readonly state: EscalationState;
  status(): {
    tracked: number;
    pending_escalations: number;
    /** Restored from before a restart, waiting for fresh data before any escalation. */
    awaiting_data: number;
    escalated: number;
    /** Escalations sent, per rule. */
    escalated_by_rule: Record<string, number>;
    cancelled: number;
    levels_minutes: number[];
  };
  shutdown(): Promise<void>;
}

/** Where an escalation processor keeps its tracked alerts in the store. */
export const escalationNamespace = (componentId: string) => `escalation/${componentId}`;

interface SavedTracked {
  alert: Alert;
  firstNoticeAt: number;
  level: number;
}

/** Kept this long past the last level, so a long outage still finds the record. */
const RECORD_GRACE_MS = 24 * 3_600_000;

export function createEscalation(
  config: EscalationConfig,
  scheduler: SchedulerLike,
  logger: Logger,
  store?: { readonly state: StateStore; readonly id: string },
): EscalationProcessor {
  const state = new EscalationState();
  const outlets = new Outlets();
  const sequencer = new Sequencer(logger);
  const levels = config.levels.length > 0 ? config.levels : [config.delay];
  const severities = new Set(config.severities);
  const ns = store && escalationNamespace(store.id);
  const lastLevelMs = (levels.at(-1) as number) * 60_000;

  const save = (fingerprint: string, t: Tracked) => {
    if (!store || !ns) return;
    const nowMs = scheduler.now();
    const value: SavedTracked = { alert: t.alert, firstNoticeAt: t.firstNoticeAt, level: t.level };
    const ttlMs = Math.max(0, t.firstNoticeAt + lastLevelMs - nowMs) + RECORD_GRACE_MS;
    persist(logger, "escalation.set", () =>
      store.state.set(ns, fingerprint, value as unknown as JsonValue, { ttlMs, nowMs }),
    );
  };
  const forget = (fingerprint: string) => {
    if (!store || !ns) return;
    persist(logger, "escalation.delete", () => store.state.delete(ns, fingerprint));
  };
  const savedOf = (value: JsonValue | undefined): SavedTracked | undefined => {
    const saved = value as unknown as SavedTracked | undefined;
    return saved && typeof saved.firstNoticeAt === "number" && saved.alert?.kind === "alert"
      ? saved
      : undefined;
  };

  const arm = (fingerprint: string, t: Tracked) => {
    const minutesAt = levels[t.level];
    if (minutesAt === undefined) return;
    const due = t.firstNoticeAt + minutesAt * 60_000;
    t.timer = scheduler.schedule(() => onDue(fingerprint), Math.max(0, due - scheduler.now()));
  };

  const onDue = (fingerprint: string) => {
    if (!store) return fire(fingerprint);
    sequencer.run(
      () => fireShared(fingerprint),
      (err) => {
        logger.error({ err: String(err), fingerprint }, "escalation check failed; escalating locally");
        fire(fingerprint);
      },
    );
  };

  /** With a store: escalate only if no resolve deleted the record and no other instance sent the level. */
  const fireShared = (fingerprint: string): MaybePromise<void> => {
    const t = state.tracked.get(fingerprint);
    if (!t || !store || !ns) return;
    t.timer = undefined;
    if (outlets.size === 0) {
      t.timer = scheduler.schedule(() => onDue(fingerprint), RESUBSCRIBE_WAIT_MS);
      return;
    }
    const nowMs = scheduler.now();
    const record = guarded(
      logger,
      "escalation.get",
      () => store.state.get(ns, fingerprint, nowMs),
      () => ({ alert: t.alert, firstNoticeAt: t.firstNoticeAt, level: t.level }) as unknown as JsonValue,
    );
    return andThen(record, (value) => {
      if (state.tracked.get(fingerprint) !== t) return;
      const saved = savedOf(value);
      if (!saved || saved.firstNoticeAt !== t.firstNoticeAt) {
        // Resolved (here before a restart, or on another instance) since it was armed.
        state.tracked.delete(fingerprint);
        state.cancelled++;
        logger.debug({ fingerprint }, "escalation dropped: the alert was resolved");
        return;
      }
      if (saved.level > t.level) {
        t.level = saved.level; // another instance sent these levels
        return arm(fingerprint, t);
      }
      const lockKey = `escalation\u001f${ns}\u001f${fingerprint}\u001f${t.firstNoticeAt}\u001f${t.level}`;
      const lock = guarded(
        logger,
        "tryAcquireCooldown",
        () => store.state.tryAcquireCooldown(lockKey, t.firstNoticeAt + lastLevelMs + RECORD_GRACE_MS, nowMs),
        () => true,
      );
      return andThen(lock, (mine) => {
        if (state.tracked.get(fingerprint) !== t) return;
        if (mine) return fire(fingerprint);
        t.level++;
        save(fingerprint, t);
        arm(fingerprint, t);
      });
    });
  };

  const fire = (fingerprint: string) => {
    const t = state.tracked.get(fingerprint);
    if (!t) return;
    t.timer = undefined;
    const minutesAt = levels[t.level] as number;
    t.level++;
    state.escalated++;
    state.escalatedByRule.set(t.alert.rule, (state.escalatedByRule.get(t.alert.rule) ?? 0) + 1);
    const escalated: Alert = {
      ...t.alert,
      status: "escalated",
      escalationLevel: t.level,
      route: config.route || t.alert.route,
      at: scheduler.now(),
      details: { ...t.alert.details, escalated_after_minutes: minutesAt },
    };
    logger.debug({ fingerprint, level: t.level }, "alert escalated");
    save(fingerprint, t);
    outlets.next(escalated);
    arm(fingerprint, t);
  };

  /** Bookkeeping for an alert already passed on. */
  const track = (item: Alert): MaybePromise<void> => {
    const t = state.tracked.get(item.fingerprint);
    if (item.status === "resolved") {
      if (t) {
        t.timer?.unsubscribe();
        state.tracked.delete(item.fingerprint);
        if (t.level < levels.length) state.cancelled++;
      }
      forget(item.fingerprint);
      return;
    }
    if (item.status !== "firing" || item.oneShot || !severities.has(item.severity)) return;
    if (t) {
      t.alert = item; // newer values for the eventual escalation; the clock keeps the first notice
      save(item.fingerprint, t);
      if (!t.confirmed) {
        // Fresh data since the restart: the restored record's timers resume.
        t.confirmed = true;
        logger.debug({ fingerprint: item.fingerprint }, "restored escalation confirmed by data");
        arm(item.fingerprint, t);
      }
      return;
    }
    const now = scheduler.now();
    // Another instance (or this one before a restart) may track the same firing: keep its clock.
    const existing =
      !store || !ns
        ? undefined
        : guarded(
            logger,
            "escalation.get",
            () => store.state.get(ns, item.fingerprint, now),
            () => undefined,
          );
    return andThen(existing, (value) => {
      if (state.tracked.has(item.fingerprint)) return;
      const saved = savedOf(value);
      const fresh: Tracked = saved
        ? { alert: item, firstNoticeAt: saved.firstNoticeAt, level: saved.level, confirmed: true }
        : { alert: item, firstNoticeAt: now, level: 0, confirmed: true };
      state.tracked.set(item.fingerprint, fresh);
      save(item.fingerprint, fresh);
      arm(item.fingerprint, fresh);
    });
  };

  /** A rule's word on a restored alert: `confirmed` is fresh data, as a firing notice is. */
  const live = (item: AlertLiveness): MaybePromise<void> =>
    item.state === "confirmed" ? track(item.alert) : undefined;

  const handle = (item: Item, emit: Emit) => {
    emit(item);
    if (item.kind !== "alert" && item.kind !== "liveness") return;
    const step = () => (item.kind === "alert" ? track(item) : live(item));
    const fingerprint = item.kind === "alert" ? item.fingerprint : item.alert.fingerprint;
    if (!store) {
      step();
      return;
    }
    sequencer.run(step, (err) =>
      logger.error({ err: String(err), fingerprint }, "escalation tracking failed"),
    );
  };

  /** Records left by a previous process: tracked again, armed once data confirm them. */
  const restore = () => {
    if (!store || !ns) return;
    sequencer.run(
      () =>
        andThen(store.state.list(ns, scheduler.now()), (entries) => {
          for (const { key, value } of entries) {
            const saved = savedOf(value);
            if (!saved || saved.level >= levels.length || state.tracked.has(key)) continue;
            const t: Tracked = {
              alert: saved.alert,
              firstNoticeAt: saved.firstNoticeAt,
              level: saved.level,
              confirmed: false,
            };
            state.tracked.set(key, t);
          }
        }),
      (err) => logger.warn({ err: String(err) }, "escalation: could not restore tracked alerts"),
    );
  };
  restore();

  const processor = noticeStream(store?.state, { outlets, sequencer, logger, handle });

  return {
    state,
    ...processor,
    status() {
      let pending = 0;
      let awaiting = 0;
      for (const t of state.tracked.values()) {
        if (!t.confirmed) awaiting++;
        else if (t.level < levels.length) pending++;
      }
      return {
        tracked: state.tracked.size,
        pending_escalations: pending,
        awaiting_data: awaiting,
        escalated: state.escalated,
        escalated_by_rule: Object.fromEntries(state.escalatedByRule),
        cancelled: state.cancelled,
        levels_minutes: levels,
      };
    },
    *alertMarks() {
      for (const [fingerprint, t] of state.tracked) {
        if (!t.confirmed) yield { fingerprint, mark: "awaiting_data" as const };
        if (t.level > 0) yield { fingerprint, mark: "escalated" as const, level: t.level };
        const next = levels[t.level];
        if (t.confirmed && next !== undefined)
          yield {
            fingerprint,
            mark: "escalation_due" as const,
            until: t.firstNoticeAt + next * 60_000,
            level: t.level + 1,
          };
      }
    },
    async shutdown() {
      await sequencer.idle();
      for (const t of state.tracked.values()) t.timer?.unsubscribe();
    },
  };
}

export const escalationFactory = defineFactory({
  kind: "processor",
  type: "escalation",
  configSchema: escalationConfigSchema,
  validate(config) {
    for (let i = 1; i < config.levels.length; i++) {
      if ((config.levels[i] as number) <= (config.levels[i - 1] as number)) {
        return [{ path: ["levels", i], message: "expected levels in ascending minutes" }];
      }
    }
    return [];
  },
  create: (config, context): EscalationProcessor =>
    createEscalation(
      config,
      context.scheduler,
      context.logger,
      context.state ? { state: context.state, id: context.id } : undefined,
    ),
});
