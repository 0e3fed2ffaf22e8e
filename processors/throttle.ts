// `throttle` processor: at most `max_per_window` messages per rolling `window` per destination
// route. Alerts over the limit are held and released as Digest items (one message each, at most
// `max_digest_alerts` alerts) as soon as the window allows; shutdown flushes what is held.
//
// With a StateStore (context.state) every message is admitted through `throttleAdmit` on the route's
// shared rolling window (atomic across instances on Redis; durable across restarts on SQLite), and
// held alerts are persisted in the key-value namespace `throttle.held/<component id>` (key
// `<route>\u001f<instance id>`, value {route, heldSince, savedAtMs, alerts}), rewritten on every
// change. At start (nothing held yet) an instance adopts every held list it finds on memory/SQLite
// (a previous process of the same file), and on Redis those not rewritten for 2 windows + 1 min
// (their instance is gone), claimed through a cooldown lock so only one instance adopts each; they
// go out as digests when the window allows.
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import type { Alert, Digest, Item } from "../src/signal.ts";
import { andThen, type JsonValue, type MaybePromise, type StateStore } from "../src/state/store.ts";
import { positiveInteger, positiveNumber } from "./rules/schema.ts";
import { Outlets } from "./rules/stream.ts";
import {
  type Emit,
  guarded,
  noticeStream,
  persist,
  RESUBSCRIBE_WAIT_MS,
  Sequencer,
} from "./state-sequence.ts";

export const throttleConfigSchema = z
  .strictObject({
    window: positiveNumber("expected a positive number of seconds").default(300).meta({
      description: "Rolling window, seconds, that max_per_window counts over (ALERT_THROTTLE_WINDOW).",
    }),
    max_per_window: positiveInteger().default(10).meta({
      description:
        "Most messages per rolling window per route (ALERT_MAX_PER_WINDOW); the rest are held and sent as digests, never dropped.",
    }),
    max_digest_alerts: positiveInteger().default(40).meta({
      description: "Most alerts listed in one digest message; more held alerts go out as further digests.",
    }),
  })
  .meta({ description: "Caps messages per route and rolling window; the overflow leaves as digests." });
export type ThrottleConfig = z.output<typeof throttleConfigSchema>;

interface RouteState {
  /** Send times inside the rolling window, oldest first (this instance's own sends). */
  sent: number[];
  held: Alert[];
  heldSince: number;
  timer?: Subscription;
}

/** All throttle state in one object; with a StateStore the window and held alerts are also stored. */
export class ThrottleState {
  readonly routes = new Map<string, RouteState>();
  /** Fingerprints currently firing that went through. */
  readonly active = new Set<string>();
  /** One-shot notices (no resolve follows) by fingerprint, with when they went through: active for a window. */
  readonly oneShots = new Map<string, number>();
  digested = 0;
  digests = 0;
  sentTotal = 0;
}

export interface ThrottleProcessor extends Processor {
  readonly state: ThrottleState;
  status(): {
    active_alerts: number;
    held: number;
    digested: number;
    digests_sent: number;
    sent_total: number;
    sent_in_window: Record<string, number>;
    window_seconds: number;
    max_per_window: number;
  };
  shutdown(): Promise<void>;
}

/** Where a throttle processor keeps its held alerts in the store. */
export const throttleHeldNamespace = (componentId: string) => `throttle.held/${componentId}`;

interface SavedHeld {
  route: string;
  heldSince: number;
  savedAtMs: number;
  alerts: Alert[];
}

const HELD_TTL_MS = 7 * 24 * 3_600_000;

export function createThrottle(
  config: ThrottleConfig,
  scheduler: SchedulerLike,
  logger: Logger,
  store?: { readonly state: StateStore; readonly id: string },
): ThrottleProcessor {
  const state = new ThrottleState();
  const outlets = new Outlets();
  const sequencer = new Sequencer(logger);
  const windowMs = config.window * 1000;
  const heldNs = store && throttleHeldNamespace(store.id);
  const instanceId = store?.state.status().instance_id ?? "local";
  let admissions = 0;

  const routeOf = (name: string): RouteState => {
    let r = state.routes.get(name);
    if (!r) {
      r = { sent: [], held: [], heldSince: 0 };
      state.routes.set(name, r);
    }
    return r;
  };

  const prune = (r: RouteState, now: number) => {
    let drop = 0;
    while (drop < r.sent.length && (r.sent[drop] as number) <= now - windowMs) drop++;
    if (drop > 0) r.sent.splice(0, drop);
  };

  const track = (a: Alert) => {
    if (a.status === "resolved") state.active.delete(a.fingerprint);
    else if (a.oneShot) {
      const now = scheduler.now();
      state.oneShots.set(a.fingerprint, now);
      // Kept for one window only; pruned here too, since nothing may ever read status().
      if (state.oneShots.size > 1000) {
        for (const [fp, at] of state.oneShots) if (at <= now - windowMs) state.oneShots.delete(fp);
      }
    } else state.active.add(a.fingerprint);
  };

  const heldKey = (name: string) => `${name}\u001f${instanceId}`;
  const saveHeld = (name: string, r: RouteState) => {
    if (!store || !heldNs) return;
    const key = heldKey(name);
    if (r.held.length === 0) {
      persist(logger, "throttle.held.delete", () => store.state.delete(heldNs, key));
      return;
    }
    const nowMs = scheduler.now();
    const value: SavedHeld = { route: name, heldSince: r.heldSince, savedAtMs: nowMs, alerts: r.held };
    persist(logger, "throttle.held.set", () =>
      store.state.set(heldNs, key, value as unknown as JsonValue, { ttlMs: HELD_TTL_MS, nowMs }),
    );
  };

  /** May one more message go out on `name` now? The shared window decides when there is a store. */
  const admit = (name: string, r: RouteState, now: number): MaybePromise<boolean> => {
    const local = r.sent.length < config.max_per_window;
    if (!store) return local;
    const id = `${instanceId}:${++admissions}`;
    return guarded(
      logger,
      "throttleAdmit",
      () => store.state.throttleAdmit(name, now, windowMs, config.max_per_window, id),
      () => local,
    );
  };

  /** When the next slot frees on `name`: from the shared window when there is a store. */
  const nextDue = (name: string, r: RouteState, now: number): MaybePromise<number> => {
    const dueOf = (times: readonly number[], retry: boolean) => {
      const over = times.length - config.max_per_window;
      const due =
        over >= 0
          ? (times[over] as number) + windowMs
          : times.length > 0
            ? (times[0] as number) + windowMs
            : now;
      // The shared window refused a slot it shows free (a race): retry a little later, not at once.
      return retry && due <= now ? now + Math.max(1, windowMs / 10) : due;
    };
    if (!store) return dueOf(r.sent, false);
    return guarded(
      logger,
      "throttleWindow",
      () => andThen(store.state.throttleWindow(name, now, windowMs), (times) => dueOf(times, true)),
      () => dueOf(r.sent, true),
    );
  };

  /** Emit up to max_digest_alerts held alerts as one message (a lone alert goes as itself). */
  const releaseOne = (name: string, r: RouteState, now: number, emit: (item: Item) => void) => {
    const batch = r.held.splice(0, config.max_digest_alerts);
    for (const a of batch) track(a);
    state.sentTotal++;
    r.sent.push(now);
    if (batch.length === 1) return emit(batch[0] as Alert);
    const digest: Digest = { kind: "digest", route: name, alerts: batch, windowStart: r.heldSince, at: now };
    state.digests++;
    state.digested += batch.length;
    r.heldSince = now;
    logger.debug({ route: name, alerts: batch.length }, "throttle released a digest");
    emit(digest);
  };

  /** Release held alerts while the window admits them (one admission per message). */
  const drain = (name: string, r: RouteState, at: number): MaybePromise<void> => {
    if (r.held.length === 0) return;
    return andThen(admit(name, r, at), (ok) => {
      if (!ok) return;
      releaseOne(name, r, at, (i) => outlets.next(i));
      return drain(name, r, at);
    });
  };

  const onTimer = (name: string, r: RouteState): MaybePromise<void> => {
    r.timer = undefined;
    const at = scheduler.now();
    prune(r, at);
    if (store && outlets.size === 0 && r.held.length > 0) {
      // Restored before the pipeline subscribed: nobody to hand the digest to yet.
      r.timer = scheduler.schedule(() => runTimer(name, r), RESUBSCRIBE_WAIT_MS);
      return;
    }
    return andThen(drain(name, r, at), () => {
      saveHeld(name, r);
      return schedule(name, r);
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

  const schedule = (name: string, r: RouteState): MaybePromise<void> => {
    if (r.timer || r.held.length === 0) return;
    const now = scheduler.now();
    return andThen(nextDue(name, r, now), (due) => {
      if (r.timer || r.held.length === 0) return;
      r.timer = scheduler.schedule(() => runTimer(name, r), Math.max(0, due - now));
    });
  };

  const hold = (name: string, r: RouteState, item: Alert, now: number): MaybePromise<void> => {
    if (r.held.length === 0) r.heldSince = now;
    r.held.push(item);
    logger.debug({ route: name, held: r.held.length }, "alert held by throttle");
    saveHeld(name, r);
    return schedule(name, r);
  };

  const decide = (item: Alert, emit: Emit): MaybePromise<void> => {
    const now = scheduler.now();
    const name = item.route ?? "default";
    const r = routeOf(name);
    prune(r, now);
    if (r.held.length > 0) return hold(name, r, item, now);
    return andThen(admit(name, r, now), (ok) => {
      if (!ok) return hold(name, r, item, now);
      r.sent.push(now);
      state.sentTotal++;
      track(item);
      emit(item);
    });
  };

  const handle = (item: Item, emit: Emit) => {
    if (item.kind === "liveness") {
      // A rule's firing alert restored after a restart: active (as /status counts), no message.
      state.active.add(item.alert.fingerprint);
      return emit(item);
    }
    if (item.kind !== "alert") return emit(item);
    if (!store) {
      decide(item, emit);
      return;
    }
    sequencer.run(
      () => decide(item, emit),
      (err) => {
        logger.error({ err: String(err) }, "throttle failed on an alert; passing it through");
        emit(item);
      },
    );
  };

  /** Deliver everything held, ignoring the limit: nothing is lost at shutdown. */
  const flushAll = (emit: (item: Item) => void) => {
    const now = scheduler.now();
    for (const [name, r] of state.routes) {
      r.timer?.unsubscribe();
      r.timer = undefined;
      const had = r.held.length > 0;
      while (r.held.length > 0) releaseOne(name, r, now, emit);
      if (had) saveHeld(name, r);
    }
  };

  /** Held lists left by a previous process (or a vanished instance on Redis) are held here again. */
  const restore = (atStart: boolean) => {
    if (!store || !heldNs) return;
    const nowMs = scheduler.now();
    const staleMs = 2 * windowMs + 60_000;
    const adopt = (key: string, saved: SavedHeld): MaybePromise<void> => {
      const claim =
        store.state.backend === "redis"
          ? guarded(
              logger,
              "tryAcquireCooldown",
              () =>
                store.state.tryAcquireCooldown(`${heldNs}\u001fadopt\u001f${key}`, nowMs + staleMs, nowMs),
              () => false,
            )
          : true;
      return andThen(claim, (mine) => {
        if (!mine) return;
        persist(logger, "throttle.held.delete", () => store.state.delete(heldNs, key));
        const r = routeOf(saved.route);
        if (r.held.length === 0) r.heldSince = saved.heldSince;
        r.held.push(...saved.alerts);
        logger.info({ route: saved.route, alerts: saved.alerts.length }, "throttle restored held alerts");
        saveHeld(saved.route, r);
        return schedule(saved.route, r);
      });
    };
    sequencer.run(
      () =>
        andThen(store.state.list(heldNs, nowMs), (entries) => {
          const steps: Array<() => MaybePromise<void>> = [];
          let recheckAt = Number.POSITIVE_INFINITY;
          for (const { key, value } of entries) {
            const saved = value as unknown as SavedHeld;
            if (!Array.isArray(saved?.alerts) || typeof saved.route !== "string") continue;
            // Later checks must not adopt this instance's own live list.
            if (!atStart && key === heldKey(saved.route)) continue;
            if (store.state.backend === "redis" && nowMs - saved.savedAtMs < staleMs) {
              // Maybe a live instance, maybe one that just died: look again once it would be stale.
              recheckAt = Math.min(recheckAt, saved.savedAtMs + staleMs);
              continue;
            }
            steps.push(() => adopt(key, saved));
          }
          if (recheckAt < Number.POSITIVE_INFINITY) {
            recheck?.unsubscribe();
            recheck = scheduler.schedule(() => restore(false), Math.max(0, recheckAt - nowMs) + 1000);
          }
          const next = (i: number): MaybePromise<void> =>
            i < steps.length
              ? andThen((steps[i] as () => MaybePromise<void>)(), () => next(i + 1))
              : undefined;
          return next(0);
        }),
      (err) => logger.warn({ err: String(err) }, "throttle: could not restore held alerts"),
    );
  };
  let recheck: Subscription | undefined;
  restore(true);

  const processor = noticeStream(store?.state, { outlets, sequencer, logger, handle, onComplete: flushAll });

  return {
    state,
    ...processor,
    status() {
      const now = scheduler.now();
      const sentInWindow: Record<string, number> = {};
      let held = 0;
      for (const [name, r] of state.routes) {
        prune(r, now);
        sentInWindow[name] = r.sent.length;
        held += r.held.length;
      }
      for (const [fp, at] of state.oneShots) if (at <= now - windowMs) state.oneShots.delete(fp);
      return {
        active_alerts: state.active.size + state.oneShots.size,
        held,
        digested: state.digested,
        digests_sent: state.digests,
        sent_total: state.sentTotal,
        sent_in_window: sentInWindow,
        window_seconds: config.window,
        max_per_window: config.max_per_window,
      };
    },
    async shutdown() {
      recheck?.unsubscribe();
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
    ),
});
