// `cooldown` processor: per alert fingerprint, a firing notified within its rule's cooldown is not
// notified again. A suppressed firing still firing when the cooldown ends is released then (so a
// real re-fire is never lost); its resolve is dropped if the firing never went out. Resolves of
// notified firings, escalations and every non-alert item pass.
//
// With a StateStore (context.state) the deadlines live in the store: a firing passes only if
// `tryAcquireCooldown` succeeds (atomic across instances sharing Redis, durable across restarts with
// SQLite), and a held firing is released at its deadline only if this instance re-acquires the
// cooldown (else another instance notified it: it is dropped). Held firings are persisted in the
// key-value namespace `cooldown.held/<component id>` (key: fingerprint, value {rule, until, alert})
// and restored at start; a restored one is released only once fresh data confirm its alert since
// the start (the rule's AlertLiveness `confirmed`, or a firing), never on the clock alone: without
// data the rule resolves it stale, and the resolve drops it. A resolve is announced by one
// instance only: it takes the lock `<fingerprint>\u001fresolve` until the current cooldown
// deadline (no deadline → it passes).
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import { duration } from "../src/config/duration.ts";
import { groupsOthers } from "../src/incident.ts";
import { type Alert, type AlertLiveness, fingerprintHash, type Item } from "../src/signal.ts";
import { andThen, type JsonValue, type MaybePromise, type StateStore } from "../src/state/store.ts";
import { Outlets } from "./rules/stream.ts";
import {
  type Emit,
  guarded,
  noticeStream,
  persist,
  RESUBSCRIBE_WAIT_MS,
  Sequencer,
} from "./state-sequence.ts";

const minutes = () => duration("m", { zero: true });

export const cooldownConfigSchema = z
  .strictObject({
    default: minutes().prefault(5).meta({
      description:
        "Cooldown for rules not listed in `rules`: minutes, fractions allowed, or a duration like 90s; 0 = none.",
    }),
    rules: z.record(z.string(), minutes()).prefault({}).meta({
      description:
        "Cooldown per rule name: minutes, fractions allowed (0.5 = 30 s), or a duration (30m, 1h30m), e.g. memory_usage: 30.",
    }),
  })
  .meta({
    description:
      "Per alert fingerprint, one notice per cooldown: a re-fire inside it is held and sent when the cooldown ends if still firing.",
  });
export type CooldownConfig = z.output<typeof cooldownConfigSchema>;

interface CooldownEntry {
  readonly rule: string;
  until: number;
  /** A firing suppressed during the cooldown, released at `until` if no resolve came first. */
  held?: Alert;
  timer?: Subscription;
  /** A firing went out and its resolve has not: the reader is owed the green resolve. */
  open?: boolean;
  /** Restored held firing: not released until fresh data confirm the alert. */
  awaiting?: boolean;
}

/** All cooldown state in one object; with a StateStore the deadlines and held firings are also stored. */
export class CooldownState {
  readonly entries = new Map<string, CooldownEntry>();
  suppressed = 0;
  passed = 0;
  released = 0;
}

export interface CooldownProcessor extends Processor {
  readonly state: CooldownState;
  status(): {
    active_cooldowns: number;
    cooldowns: { fingerprint: string; rule: string; until: string }[];
    suppressed: number;
    passed: number;
    released: number;
  };
  shutdown(): Promise<void>;
}

/** Where a cooldown processor keeps its held firings in the store. */
export const cooldownHeldNamespace = (componentId: string) => `cooldown.held/${componentId}`;
/** Grace beyond the deadline for which a persisted held firing is kept (a restart within it releases it). */
const HELD_GRACE_MS = 24 * 3_600_000;

export function createCooldown(
  config: CooldownConfig,
  scheduler: SchedulerLike,
  logger: Logger,
  store?: { readonly state: StateStore; readonly id: string },
): CooldownProcessor {
  const state = new CooldownState();
  const outlets = new Outlets();
  const sequencer = new Sequencer(logger);
  const durationMs = (rule: string) => (config.rules[rule] ?? config.default) * 60_000;
  const heldNs = store && cooldownHeldNamespace(store.id);
  // Entries are pruned when the map doubles, not on every alert: a storm of distinct ones stays O(1).
  let pruneAt = 1000;

  const prune = (now: number) => {
    for (const [fp, e] of state.entries) if (e.until <= now && !e.held) state.entries.delete(fp);
  };

  const saveHeld = (fingerprint: string, e: CooldownEntry) => {
    if (!store || !heldNs || !e.held) return;
    const now = scheduler.now();
    const value = {
      rule: e.rule,
      until: e.until,
      open: e.open !== false,
      alert: e.held as unknown as JsonValue,
    };
    const ttlMs = Math.max(0, e.until - now) + HELD_GRACE_MS;
    persist(logger, "cooldown.held.set", () =>
      store.state.set(heldNs, fingerprint, value, { ttlMs, nowMs: now }),
    );
  };
  const forgetHeld = (fingerprint: string) => {
    if (!store || !heldNs) return;
    persist(logger, "cooldown.held.delete", () => store.state.delete(heldNs, fingerprint));
  };

  /** The store's answer on whether `fingerprint` may be notified now (local decision on failure). */
  const acquire = (fingerprint: string, rule: string, now: number): MaybePromise<boolean> => {
    if (!store) return true;
    const local = state.entries.get(fingerprint);
    return guarded(
      logger,
      "tryAcquireCooldown",
      () => store.state.tryAcquireCooldown(fingerprint, now + durationMs(rule), now),
      () => !(local && now < local.until),
    );
  };

  /**
   * Hold a firing until `until`; `counted` is false for one restored from before a restart. An entry
   * first seen here was notified elsewhere (another instance, before a restart): its resolve is owed
   * unless the stored record says otherwise (the store's resolve lock keeps it to one announcement).
   */
  const hold = (item: Alert, until: number, counted = true, open = true) => {
    const now = scheduler.now();
    let e = state.entries.get(item.fingerprint);
    if (!e) {
      e = { rule: item.rule, until, open };
      state.entries.set(item.fingerprint, e);
    }
    if (until > e.until) e.until = until;
    if (counted) {
      state.suppressed++;
      e.awaiting = undefined; // a firing now: fresh data
    }
    logger.debug({ fingerprint: item.fingerprint, until: e.until }, "alert suppressed by cooldown");
    if (!e.timer) e.timer = scheduler.schedule(() => release(item.fingerprint), Math.max(0, e.until - now));
    e.held = item;
    saveHeld(item.fingerprint, e);
  };

  const release = (fingerprint: string) => {
    const waiting = state.entries.get(fingerprint);
    if (waiting?.awaiting) {
      waiting.timer = undefined; // released when data confirm it (confirm), dropped by its resolve
      logger.debug({ fingerprint }, "restored held firing waits for fresh data");
      return;
    }
    if (!store) return releaseNow(fingerprint, true);
    sequencer.run(
      () => {
        const e = state.entries.get(fingerprint);
        if (!e?.held) return;
        if (outlets.size === 0) {
          // Restored before the pipeline subscribed: nobody to hand it to yet.
          e.timer = scheduler.schedule(() => release(fingerprint), RESUBSCRIBE_WAIT_MS);
          return;
        }
        const now = scheduler.now();
        return andThen(acquire(fingerprint, e.rule, now), (acquired) => releaseNow(fingerprint, acquired));
      },
      (err) => {
        logger.error({ err: String(err), fingerprint }, "cooldown release failed; releasing locally");
        releaseNow(fingerprint, true);
      },
    );
  };

  const releaseNow = (fingerprint: string, acquired: boolean) => {
    const e = state.entries.get(fingerprint);
    if (!e?.held) return;
    const now = scheduler.now();
    const alert: Alert = { ...e.held, at: now };
    e.held = undefined;
    e.timer = undefined;
    forgetHeld(fingerprint);
    // Either way the firing is announced now (here, or by the instance that re-took the cooldown).
    e.open = true;
    if (!acquired) {
      logger.debug({ fingerprint }, "cooldown re-taken elsewhere; held firing dropped");
      return;
    }
    e.until = now + durationMs(e.rule);
    state.released++;
    logger.debug({ fingerprint }, "cooldown over; releasing the still-firing alert");
    outlets.next(alert);
  };

  const pass = (item: Alert, now: number, emit: Emit) => {
    if (state.entries.size > pruneAt) {
      prune(now);
      pruneAt = Math.max(1000, 2 * state.entries.size);
    }
    state.entries.set(item.fingerprint, { rule: item.rule, until: now + durationMs(item.rule), open: true });
    state.passed++;
    emit(item);
  };

  /** Resolve of a notified firing: with a store, only the first instance announces it. */
  const resolve = (item: Alert, now: number, emit: Emit): MaybePromise<void> => {
    if (!store) return emit(item);
    const local = state.entries.get(item.fingerprint)?.until;
    const deadline = guarded(
      logger,
      "getCooldown",
      () => store.state.getCooldown(item.fingerprint, now),
      () => local,
    );
    return andThen(deadline, (until) => {
      if (until === undefined || until <= now) return emit(item);
      const lock = guarded(
        logger,
        "tryAcquireCooldown",
        () => store.state.tryAcquireCooldown(`${item.fingerprint}\u001fresolve`, until, now),
        () => true,
      );
      return andThen(lock, (first) => {
        if (first) return emit(item);
        logger.debug({ fingerprint: item.fingerprint }, "resolve already announced by another instance");
      });
    });
  };

  const decide = (item: Alert, emit: Emit): MaybePromise<void> => {
    const now = scheduler.now();
    const e = state.entries.get(item.fingerprint);
    if (item.status === "resolved") {
      if (e?.held) {
        e.timer?.unsubscribe();
        e.held = undefined;
        e.timer = undefined;
        forgetHeld(item.fingerprint);
        if (!e.open && !groupsOthers(item)) {
          // The held firing was a re-fire after an announced resolve: neither went out, neither will.
          // (An incident's resolve that lists other alerts is news, not a repeat: it goes.)
          state.suppressed++;
          logger.debug({ fingerprint: item.fingerprint }, "resolve of a suppressed firing dropped");
          return;
        }
        // The held one only repeated a firing the reader saw: that firing's resolve is owed.
      }
      if (e) e.open = false;
      return resolve(item, now, emit);
    }
    if (e && now < e.until) return hold(item, e.until);
    return andThen(acquire(item.fingerprint, item.rule, now), (acquired) => {
      if (acquired) return pass(item, now, emit);
      // Running elsewhere (another instance, or before a restart): hold it until the deadline.
      const deadline = guarded(
        logger,
        "getCooldown",
        () => store?.state.getCooldown(item.fingerprint, now),
        () => undefined,
      );
      return andThen(deadline, (until) => hold(item, until ?? now));
    });
  };

  /** A rule confirmed a restored alert with fresh data: its held firing may go when due. */
  const confirm = (item: AlertLiveness) => {
    const e = state.entries.get(item.alert.fingerprint);
    if (item.state !== "confirmed" || !e?.awaiting) return;
    e.awaiting = undefined;
    if (e.held && !e.timer) {
      const wait = Math.max(0, e.until - scheduler.now());
      e.timer = scheduler.schedule(() => release(item.alert.fingerprint), wait);
    }
  };

  const handle = (item: Item, emit: Emit) => {
    if (item.kind === "liveness") {
      const step = () => {
        confirm(item);
        emit(item);
      };
      if (!store) return step();
      return sequencer.run(step, (err) => {
        logger.error({ err: String(err) }, "cooldown failed on an alert's liveness; passing it on");
        emit(item);
      });
    }
    if (item.kind !== "alert" || item.status === "escalated") return emit(item);
    if (!store) {
      decide(item, emit);
      return;
    }
    sequencer.run(
      () => decide(item, emit),
      (err) => {
        logger.error({ err: String(err) }, "cooldown failed on an alert; passing it through");
        emit(item);
      },
    );
  };

  /** Held firings persisted before a restart: held again, released at their deadline. */
  const restore = () => {
    if (!store || !heldNs) return;
    sequencer.run(
      () =>
        andThen(store.state.list(heldNs, scheduler.now()), (entries) => {
          for (const { key, value } of entries) {
            const saved = value as unknown as { rule: string; until: number; open?: boolean; alert: Alert };
            if (typeof saved?.until !== "number" || saved.alert?.kind !== "alert") continue;
            if (state.entries.get(key)?.held) continue;
            hold(saved.alert, saved.until, false, saved.open !== false);
            const e = state.entries.get(key);
            if (e) e.awaiting = true;
          }
        }),
      (err) => logger.warn({ err: String(err) }, "cooldown: could not restore held firings"),
    );
  };
  restore();

  const processor = noticeStream(store?.state, { outlets, sequencer, logger, handle });

  return {
    state,
    ...processor,
    status() {
      const now = scheduler.now();
      prune(now);
      const cooldowns = [...state.entries]
        .filter(([, e]) => e.until > now)
        // Hashed: the status endpoint is unauthenticated and label values may be personal.
        .map(([fp, e]) => ({
          fingerprint: fingerprintHash(fp),
          rule: e.rule,
          until: new Date(e.until).toISOString(),
        }));
      return {
        active_cooldowns: cooldowns.length,
        cooldowns,
        suppressed: state.suppressed,
        passed: state.passed,
        released: state.released,
      };
    },
    *alertMarks(now) {
      for (const [fingerprint, e] of state.entries)
        if (e.until > now) yield { fingerprint, mark: "cooldown" as const, until: e.until };
    },
    async shutdown() {
      await sequencer.idle();
      for (const e of state.entries.values()) e.timer?.unsubscribe();
    },
  };
}

export const cooldownFactory = defineFactory({
  kind: "processor",
  type: "cooldown",
  configSchema: cooldownConfigSchema,
  create: (config, context): CooldownProcessor =>
    createCooldown(
      config,
      context.scheduler,
      context.logger,
      context.state ? { state: context.state, id: context.id } : undefined,
    ),
});
