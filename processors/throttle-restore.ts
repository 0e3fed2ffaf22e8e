// Adopting holds a throttle finds in the store at start: on memory/SQLite every hold (a previous
// process of the same file); on Redis those of this instance's own previous run at once, and others
// only once their owner has not rewritten them for 2 windows + 1 min (that instance is gone), claimed
// through a cooldown lock so one instance adopts each, and looked at again later while they might
// still be live.
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { isPreviousRun } from "../src/state/instance-id.ts";
import { andThen, type MaybePromise, type StateStore } from "../src/state/store.ts";
import { guarded, type Sequencer } from "./state-sequence.ts";
import type { HeldStore, SavedHold } from "./throttle-held.ts";

export interface RestoreOptions {
  readonly store: StateStore;
  readonly held: HeldStore;
  readonly sequencer: Sequencer;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly windowMs: number;
  /** Hold the saved alerts here again (their store entries are ours to replace). */
  adopt(saved: SavedHold): MaybePromise<void>;
}

/** Start adopting; `stop` cancels the later checks. */
export function restoreHolds(o: RestoreOptions): { stop(): void } {
  const staleMs = 2 * o.windowMs + 60_000;
  const redis = o.store.backend === "redis";
  let recheck: Subscription | undefined;

  const claim = (saved: SavedHold, nowMs: number): MaybePromise<boolean> =>
    !redis
      ? true
      : guarded(
          o.logger,
          "tryAcquireCooldown",
          () =>
            o.store.tryAcquireCooldown(
              `${o.held.namespace}\u001fadopt\u001f${saved.route}\u001f${saved.owner}`,
              nowMs + staleMs,
              nowMs,
            ),
          () => false,
        );

  const look = (atStart: boolean) => {
    const nowMs = o.scheduler.now();
    o.sequencer.run(
      () =>
        andThen(o.held.load(nowMs), (holds) => {
          const steps: Array<() => MaybePromise<void>> = [];
          let recheckAt = Number.POSITIVE_INFINITY;
          for (const saved of holds) {
            // Later checks must not adopt this instance's own live hold.
            if (!atStart && saved.owner === o.held.owner) continue;
            const live = nowMs - saved.savedAtMs < staleMs && !isPreviousRun(saved.owner, o.held.owner);
            if (redis && live) {
              // Maybe a live instance, maybe one that just died: look again once it would be stale.
              recheckAt = Math.min(recheckAt, saved.savedAtMs + staleMs);
              continue;
            }
            steps.push(() => andThen(claim(saved, nowMs), (mine) => (mine ? o.adopt(saved) : undefined)));
          }
          if (recheckAt < Number.POSITIVE_INFINITY) {
            recheck?.unsubscribe();
            recheck = o.scheduler.schedule(() => look(false), Math.max(0, recheckAt - nowMs) + 1000);
          }
          const next = (i: number): MaybePromise<void> =>
            i < steps.length
              ? andThen((steps[i] as () => MaybePromise<void>)(), () => next(i + 1))
              : undefined;
          return next(0);
        }),
      (err) => o.logger.warn({ err: String(err) }, "throttle: could not restore held alerts"),
    );
  };
  look(true);
  return { stop: () => recheck?.unsubscribe() };
}
