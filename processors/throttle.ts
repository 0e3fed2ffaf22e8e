// `throttle` processor: at most `max_per_window` messages per rolling `window` per destination
// route. Alerts over the limit are held and released as Digest items (one message each, at most
// `max_digest_alerts` alerts) as soon as the window allows; shutdown flushes what is held.
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import type { Alert, Digest, Item } from "../src/signal.ts";
import { positiveInteger, positiveNumber } from "./rules/schema.ts";
import { Outlets, statefulProcessor } from "./rules/stream.ts";

export const throttleConfigSchema = z.strictObject({
  /** Rolling window, seconds. */
  window: positiveNumber("expected a positive number of seconds").default(300),
  max_per_window: positiveInteger().default(10),
  max_digest_alerts: positiveInteger().default(40),
});
export type ThrottleConfig = z.output<typeof throttleConfigSchema>;

interface RouteState {
  /** Send times inside the rolling window, oldest first. */
  sent: number[];
  held: Alert[];
  heldSince: number;
  timer?: Subscription;
}

/** All throttle state in one object (a later StateStore persists this). */
export class ThrottleState {
  readonly routes = new Map<string, RouteState>();
  /** Fingerprints currently firing that went through. */
  readonly active = new Set<string>();
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

export function createThrottle(
  config: ThrottleConfig,
  scheduler: SchedulerLike,
  logger: Logger,
): ThrottleProcessor {
  const state = new ThrottleState();
  const outlets = new Outlets();
  const windowMs = config.window * 1000;

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
    else state.active.add(a.fingerprint);
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

  const schedule = (name: string, r: RouteState) => {
    if (r.timer || r.held.length === 0) return;
    const now = scheduler.now();
    const due = r.sent.length > 0 ? (r.sent[0] as number) + windowMs : now;
    r.timer = scheduler.schedule(
      () => {
        r.timer = undefined;
        const at = scheduler.now();
        prune(r, at);
        while (r.held.length > 0 && r.sent.length < config.max_per_window)
          releaseOne(name, r, at, (i) => outlets.next(i));
        schedule(name, r);
      },
      Math.max(0, due - now),
    );
  };

  const handle = (item: Item, emit: (item: Item) => void) => {
    if (item.kind !== "alert") return emit(item);
    const now = scheduler.now();
    const name = item.route ?? "default";
    const r = routeOf(name);
    prune(r, now);
    if (r.held.length === 0 && r.sent.length < config.max_per_window) {
      r.sent.push(now);
      state.sentTotal++;
      track(item);
      return emit(item);
    }
    if (r.held.length === 0) r.heldSince = now;
    r.held.push(item);
    logger.debug({ route: name, held: r.held.length }, "alert held by throttle");
    schedule(name, r);
  };

  /** Deliver everything held, ignoring the limit: nothing is lost at shutdown. */
  const flushAll = (emit: (item: Item) => void) => {
    const now = scheduler.now();
    for (const [name, r] of state.routes) {
      r.timer?.unsubscribe();
      r.timer = undefined;
      while (r.held.length > 0) releaseOne(name, r, now, emit);
    }
  };

  return {
    state,
    ...statefulProcessor(outlets, logger, handle, flushAll),
    status() {
      const now = scheduler.now();
      const sentInWindow: Record<string, number> = {};
      let held = 0;
      for (const [name, r] of state.routes) {
        prune(r, now);
        sentInWindow[name] = r.sent.length;
        held += r.held.length;
      }
      return {
        active_alerts: state.active.size,
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
      flushAll((i) => outlets.next(i));
    },
  };
}

export const throttleFactory = defineFactory({
  kind: "processor",
  type: "throttle",
  configSchema: throttleConfigSchema,
  create: (config, context): ThrottleProcessor => createThrottle(config, context.scheduler, context.logger),
});
