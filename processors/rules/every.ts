// A periodic action on the injected scheduler, each run a fresh top-level action. RxJS's
// `interval` reschedules one action, which on a VirtualTimeScheduler chains a child action per
// run: two weeks of one-minute ticks (a replay) made 20 000 nested subscriptions, and
// unsubscribing them overflowed the stack.
import { type SchedulerLike, Subscription } from "rxjs";

/** Run `work` every `periodMs` until the returned subscription is unsubscribed. */
export function every(scheduler: SchedulerLike, periodMs: number, work: () => void): Subscription {
  let next: Subscription | undefined;
  let closed = false;
  const plan = (): void => {
    next = scheduler.schedule(() => {
      if (closed) return;
      plan(); // before the work: a throwing tick must not stop the ticks
      work();
    }, periodMs);
  };
  plan();
  return new Subscription(() => {
    closed = true;
    next?.unsubscribe();
  });
}
