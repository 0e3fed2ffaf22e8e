// The throttle's rolling window per route: may a message go out now, when does the next slot free,
// and the stamp the delivery lane keeps the window with at send time. With a store the store's
// shared window log decides (atomic on Redis, durable on SQLite); its failure falls back to the
// route's own send times, so a store problem never costs an alert.
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { Alert, Digest, SendWindow } from "../src/signal.ts";
import { andThen, type MaybePromise, type StateStore } from "../src/state/store.ts";
import { guarded } from "./state-sequence.ts";
import { iso, type RouteState } from "./throttle-state.ts";

export class ThrottleWindow {
  readonly #windowMs: number;
  readonly #max: number;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  readonly #store: StateStore | undefined;

  constructor(
    windowMs: number,
    max: number,
    scheduler: SchedulerLike,
    logger: Logger,
    store: StateStore | undefined,
  ) {
    this.#windowMs = windowMs;
    this.#max = max;
    this.#scheduler = scheduler;
    this.#logger = logger;
    this.#store = store;
  }

  /** Once per hold, when its first release is known: how many are held and when the digest goes. */
  announce(name: string, r: RouteState): void {
    if (r.announced) return;
    r.announced = true;
    // Logged after the current batch of alerts, so the count says what this burst held.
    this.#scheduler.schedule(() => {
      if (r.held.size === 0) return;
      const due = r.dueAt;
      this.#logger.info(
        {
          route: name,
          held: r.held.size,
          max_per_window: this.#max,
          window_seconds: this.#windowMs / 1000,
          next_digest_at: iso(due),
          in_seconds: due === undefined ? undefined : Math.max(0, (due - this.#scheduler.now()) / 1000),
        },
        "throttle is holding alerts over max_per_window: they go out as a digest when the window allows",
      );
    }, 0);
  }

  /** Forget the route's send times that left the window. */
  prune(r: RouteState, now: number): void {
    let drop = 0;
    while (drop < r.sent.length && (r.sent[drop] as number) <= now - this.#windowMs) drop++;
    if (drop > 0) r.sent.splice(0, drop);
  }

  /** What the delivery lane needs to keep the window at send time (only with a store: it keeps the log). */
  stamp<T extends Alert | Digest>(item: T, route: string, id: string): T {
    if (!this.#store) return item;
    const sendWindow: SendWindow = { route, id, windowMs: this.#windowMs, max: this.#max };
    return { ...item, sendWindow };
  }

  /** May message `id` go out on `name` now? */
  admit(name: string, r: RouteState, now: number, id: string): MaybePromise<boolean> {
    const local = r.sent.length < this.#max;
    const store = this.#store;
    if (!store) return local;
    return guarded(
      this.#logger,
      "throttleAdmit",
      () => store.throttleAdmit(name, now, this.#windowMs, this.#max, id),
      () => local,
    );
  }

  /**
   * When the next slot frees on `name` (from the store's send times when there is one). `refused`:
   * the window just refused a message, so a free-looking window is a race: retry a little later.
   */
  nextDue(name: string, r: RouteState, now: number, refused: boolean): MaybePromise<number> {
    const windowMs = this.#windowMs;
    const dueOf = (times: readonly number[], retry: boolean) => {
      const over = times.length - this.#max;
      const due =
        over >= 0
          ? (times[over] as number) + windowMs
          : times.length > 0
            ? (times[0] as number) + windowMs
            : now;
      return retry && due <= now ? now + Math.max(1, windowMs / 10) : due;
    };
    const store = this.#store;
    if (!store) return dueOf(r.sent, false);
    return guarded(
      this.#logger,
      "throttleWindow",
      () => andThen(store.throttleWindow(name, now, windowMs), (times) => dueOf(times, refused)),
      () => dueOf(r.sent, refused),
    );
  }
}
