// `throttle` processor: at most `max_per_window` messages per rolling `window` per route. The
// overflow is held and released as digests (at most `max_digest_alerts` listed; past
// `max_held_alerts` counted per rule and status) as soon as the window allows; nothing is dropped.
// A digest made upstream (a silence's "while silenced") takes a slot too; over the limit it is held
// whole and sent as its own message when the window allows.
// With a StateStore, admissions go through the store's shared window (atomic on Redis, durable on
// SQLite) and are stamped (`sendWindow`) so the delivery lane keeps the window at send time
// (src/delivery/send-window.ts); held alerts are stored incrementally (throttle-held.ts) and
// adopted after a restart or an instance's death (throttle-restore.ts).
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import { z } from "zod";
import { defineFactory } from "../src/component.ts";
import { duration } from "../src/config/duration.ts";
import { type Alert, type Digest, digestCount, type Item } from "../src/signal.ts";
import { andThen, type MaybePromise, type StateStore } from "../src/state/store.ts";
import type { NoticeSink } from "../src/telemetry/notices.ts";
import { positiveInteger } from "./rules/schema.ts";
import { Outlets } from "./rules/stream.ts";
import { type Emit, noticeStream, RESUBSCRIBE_WAIT_MS, Sequencer } from "./state-sequence.ts";
import {
  HELD_TTL_MS,
  HeldAlerts,
  HeldStore,
  type SavedHold,
  throttleHeldNamespace,
} from "./throttle-held.ts";
import { restoreHolds } from "./throttle-restore.ts";
import {
  heldMarks,
  iso,
  type RouteState,
  type ThrottleProcessor,
  ThrottleState,
  type ThrottleStatus,
  throttleStatus,
} from "./throttle-state.ts";
import { ThrottleWindow } from "./throttle-window.ts";

export { type ThrottleProcessor, ThrottleState, type ThrottleStatus, throttleHeldNamespace };

export const throttleConfigSchema = z
  .strictObject({
    window: duration("s").prefault(300).meta({
      description:
        "Rolling window max_per_window counts over: seconds, or a duration like 5m (ALERT_THROTTLE_WINDOW).",
    }),
    max_per_window: positiveInteger().default(10).meta({
      description:
        "Most messages per rolling window per route (ALERT_MAX_PER_WINDOW), counted when they reach the destination; the rest are held and sent as digests, never dropped.",
    }),
    max_digest_alerts: positiveInteger().default(40).meta({
      description: "Most alerts listed in one digest message; more held alerts go out as further digests.",
    }),
    max_held_alerts: positiveInteger().optional().meta({
      description:
        "Held alerts listed one by one per route (default max_per_window × max_digest_alerts); past it they are counted per rule and status in the digest.",
    }),
  })
  .meta({ description: "Caps messages per route and rolling window; the overflow leaves as digests." });
export type ThrottleConfig = z.output<typeof throttleConfigSchema>;

/** Alerts and digests made upstream (a silence's) each take a slot of the window. */
const THROTTLED_KINDS: readonly Item["kind"][] = ["alert", "digest", "liveness"];

export function createThrottle(
  config: ThrottleConfig,
  scheduler: SchedulerLike,
  logger: Logger,
  store?: { readonly state: StateStore; readonly id: string },
  notices?: { readonly sink: NoticeSink; readonly id: string },
): ThrottleProcessor {
  const state = new ThrottleState();
  const outlets = new Outlets();
  const sequencer = new Sequencer(logger);
  const windowMs = config.window * 1000;
  const maxHeld = config.max_held_alerts ?? config.max_per_window * config.max_digest_alerts;
  const heldNs = store && throttleHeldNamespace(store.id);
  const instanceId = store?.state.status().instance_id ?? "local";
  const held =
    store && heldNs
      ? new HeldStore(store.state, heldNs, instanceId, logger, scheduler.now(), HELD_TTL_MS)
      : undefined;
  // Memory state keeps nothing past shutdown: what is held leaves in one message per route.
  const lastWordOnly = store?.state.backend === "memory";
  let oneShotsPruneAt = 1000;
  const window = new ThrottleWindow(windowMs, config.max_per_window, scheduler, logger, store?.state);
  const prune = (r: RouteState, now: number) => window.prune(r, now);
  const stamp = <T extends Alert | Digest>(item: T, route: string, id: string) =>
    window.stamp(item, route, id);

  const routeOf = (name: string): RouteState => {
    let r = state.routes.get(name);
    if (!r) {
      r = { sent: [], held: new HeldAlerts(), heldSince: 0, announced: false };
      state.routes.set(name, r);
    }
    return r;
  };

  const pruneOneShots = (now: number) => {
    for (const [fp, at] of state.oneShots) if (at <= now - windowMs) state.oneShots.delete(fp);
  };

  const track = (a: Alert) => {
    if (a.status === "resolved") state.active.delete(a.fingerprint);
    else if (a.oneShot) {
      const now = scheduler.now();
      state.oneShots.set(a.fingerprint, now);
      // Kept for one window only; pruned here too (amortised: the map may hold a storm's worth).
      if (state.oneShots.size > oneShotsPruneAt) {
        pruneOneShots(now);
        oneShotsPruneAt = Math.max(1000, 2 * state.oneShots.size);
      }
    } else state.active.add(a.fingerprint);
  };

  /**
   * Emit the next held message: a held digest as it is, else up to `limit` held alerts (and the
   * summary) as one digest; a lone alert goes as itself.
   */
  const releaseOne = (name: string, r: RouteState, now: number, id: string, emit: (item: Item) => void) => {
    state.sentTotal++;
    r.sent.push(now);
    const upstream = r.held.takeDigest();
    if (upstream) {
      if (upstream.key !== undefined) held?.remove([upstream.key]);
      return emit(stamp(upstream.digest, name, id));
    }
    const { alerts, keys, summary } = r.held.take(config.max_digest_alerts);
    held?.remove(keys);
    if (summary) held?.summary(name, r.held, now);
    if (alerts.length === 1 && !summary) return emit(stamp(alerts[0] as Alert, name, id));
    const digest: Digest = {
      kind: "digest",
      route: name,
      alerts,
      ...(summary ? { summarised: summary } : {}),
      windowStart: r.heldSince,
      at: now,
    };
    state.digests++;
    state.digested += digestCount(digest);
    r.heldSince = now;
    emit(stamp(digest, name, id));
  };

  /** Release held alerts while the window admits them (one admission per message). */
  const drain = (name: string, r: RouteState, at: number): MaybePromise<void> => {
    if (r.held.size === 0) return;
    const id = randomUUID();
    return andThen(window.admit(name, r, at, id), (ok) => {
      if (!ok) return;
      releaseOne(name, r, at, id, (i) => outlets.next(i));
      return drain(name, r, at);
    });
  };

  const onTimer = (name: string, r: RouteState): MaybePromise<void> => {
    r.timer = undefined;
    r.dueAt = undefined;
    const at = scheduler.now();
    prune(r, at);
    if (store && outlets.size === 0 && r.held.size > 0) {
      // Restored before the pipeline subscribed: nobody to hand the digest to yet.
      r.timer = scheduler.schedule(() => runTimer(name, r), RESUBSCRIBE_WAIT_MS);
      return;
    }
    const before = { digests: state.digests, alerts: state.digested, sent: state.sentTotal };
    return andThen(drain(name, r, at), () => {
      if (r.held.size === 0) {
        held?.clear(name);
        r.announced = false;
      } else held?.hold(name, r.heldSince, at);
      return andThen(schedule(name, r), () => {
        if (state.sentTotal === before.sent) return;
        logger.info(
          {
            route: name,
            digests: state.digests - before.digests,
            alerts: state.digested - before.alerts,
            still_held: r.held.size,
            next_digest_at: iso(r.dueAt),
          },
          "throttle released held alerts",
        );
      });
    });
  };
  const runTimer = (name: string, r: RouteState) => {
    if (!store) {
      onTimer(name, r);
      return;
    }
    sequencer.run(
      () => onTimer(name, r),
      (err) => logger.error({ err: String(err), route: name }, "throttle release failed"),
    );
  };

  const schedule = (name: string, r: RouteState, refused = true): MaybePromise<void> => {
    if (r.timer || r.held.size === 0) return;
    const now = scheduler.now();
    return andThen(window.nextDue(name, r, now, refused), (due) => {
      if (r.timer || r.held.size === 0) return;
      r.dueAt = Math.max(now, due);
      r.timer = scheduler.schedule(() => runTimer(name, r), r.dueAt - now);
      window.announce(name, r);
    });
  };

  /**
   * Keep one more alert: listed while under the bound, else counted in the summary. Tracked as active
   * now, in arrival order with its firing or resolve, since it goes out either way.
   */
  const keep = (name: string, r: RouteState, item: Alert, now: number, since = now) => {
    if (r.held.size === 0) {
      r.heldSince = since;
      held?.hold(name, since, now);
    }
    track(item);
    if (r.held.listed < maxHeld) return r.held.list(item, held?.add(name, item, now));
    r.held.summarise(item);
    state.summarised++;
    held?.summary(name, r.held, now);
  };

  /** Keep a digest made upstream (a silence's) whole: it goes out as one message of its own. */
  const keepDigest = (name: string, r: RouteState, digest: Digest, now: number, since = now) => {
    if (r.held.size === 0) {
      r.heldSince = since;
      held?.hold(name, since, now);
    }
    r.held.holdDigest(digest, held?.addDigest(name, digest, now));
  };

  const hold = (name: string, r: RouteState, item: Alert | Digest, now: number): MaybePromise<void> => {
    if (item.kind === "alert") keep(name, r, item, now);
    else {
      keepDigest(name, r, item, now);
      state.delayedDigests++;
    }
    notices?.sink.record({ outcome: "held", item, component: notices.id, at: now });
    logger.debug({ route: name, held: r.held.size }, `${item.kind} held by throttle`);
    return schedule(name, r);
  };

  /** An alert, or a digest made upstream: one message in the window, held while the route is over it. */
  const decide = (item: Alert | Digest, emit: Emit): MaybePromise<void> => {
    const now = scheduler.now();
    const name = item.route ?? "default";
    const r = routeOf(name);
    prune(r, now);
    if (r.held.size > 0) return hold(name, r, item, now);
    const id = randomUUID();
    return andThen(window.admit(name, r, now, id), (ok) => {
      if (!ok) return hold(name, r, item, now);
      r.sent.push(now);
      state.sentTotal++;
      if (item.kind === "alert") track(item);
      emit(stamp(item, name, id));
    });
  };

  const handle = (item: Item, emit: Emit) => {
    if (item.kind === "liveness") {
      // A rule's firing alert restored after a restart: active (as /status counts), no message.
      state.active.add(item.alert.fingerprint);
      return emit(item);
    }
    if (item.kind !== "alert" && item.kind !== "digest") return emit(item);
    if (!store) {
      decide(item, emit);
      return;
    }
    sequencer.run(
      () => decide(item, emit),
      (err) => {
        logger.error(
          { err: String(err) },
          `throttle failed on ${item.kind === "alert" ? "an alert" : "a digest"}; passing it through`,
        );
        emit(item);
      },
    );
  };

  /** Deliver everything held, ignoring the limit (the delivery lane still paces it): nothing is lost. */
  const flushAll = (emit: (item: Item) => void) => {
    const now = scheduler.now();
    for (const [name, r] of state.routes) {
      r.timer?.unsubscribe();
      r.timer = undefined;
      if (r.held.size === 0) continue;
      const count = r.held.size;
      if (lastWordOnly) {
        const folded = r.held.foldAfter(config.max_digest_alerts);
        state.summarised += folded.length;
        held?.remove(folded.keys);
      }
      let messages = 0;
      for (; r.held.size > 0; messages++) releaseOne(name, r, now, randomUUID(), emit);
      held?.clear(name);
      r.announced = false;
      logger.info({ route: name, alerts: count, messages }, "throttle flushed held alerts at shutdown");
    }
  };

  /** Hold again what a previous process (or a vanished instance on Redis) held. */
  const adopt = (saved: SavedHold): MaybePromise<void> => {
    held?.remove(saved.keys);
    const now = scheduler.now();
    const r = routeOf(saved.route);
    for (const a of saved.alerts) keep(saved.route, r, a, now, saved.heldSince);
    for (const d of saved.digests) keepDigest(saved.route, r, d, now, saved.heldSince);
    if (saved.summary.length > 0) {
      if (r.held.size === 0) {
        r.heldSince = saved.heldSince;
        held?.hold(saved.route, saved.heldSince, now);
      }
      r.held.merge(saved.summary);
      held?.summary(saved.route, r.held, now);
    }
    logger.info(
      {
        route: saved.route,
        alerts: saved.alerts.length + saved.summary.reduce((n, s) => n + s.count, 0),
        digests: saved.digests.length,
      },
      "throttle restored held alerts",
    );
    return schedule(saved.route, r, false);
  };

  const restoring =
    store && held
      ? restoreHolds({ store: store.state, held, sequencer, scheduler, logger, windowMs, adopt })
      : undefined;

  const processor = noticeStream(store?.state, {
    outlets,
    sequencer,
    logger,
    handle,
    onComplete: flushAll,
    kinds: THROTTLED_KINDS,
  });

  return {
    state,
    ...processor,
    status() {
      const now = scheduler.now();
      for (const r of state.routes.values()) prune(r, now);
      pruneOneShots(now);
      return throttleStatus(state, { ...config, max_held_alerts: maxHeld });
    },
    alertMarks: () => heldMarks(state),
    async shutdown() {
      restoring?.stop();
      await sequencer.idle();
      flushAll((i) => outlets.next(i));
    },
  };
}

export const throttleFactory = defineFactory({
  kind: "processor",
  type: "throttle",
  configSchema: throttleConfigSchema,
  create: (config, context): ThrottleProcessor =>
    createThrottle(
      config,
      context.scheduler,
      context.logger,
      context.state ? { state: context.state, id: context.id } : undefined,
      context.notices ? { sink: context.notices, id: context.id } : undefined,
    ),
});
