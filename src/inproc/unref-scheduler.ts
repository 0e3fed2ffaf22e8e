// A wall-clock RxJS scheduler whose timers do not keep the process alive: an alert pipeline running
// inside a scraper must let the scraper exit when its work is done (register flushes on beforeExit).
import { type SchedulerAction, type SchedulerLike, Subscription } from "rxjs";

class UnrefAction<T> extends Subscription implements SchedulerAction<T> {
  private readonly work: (this: SchedulerAction<T>, state?: T) => void;
  private handle: NodeJS.Timeout | undefined;

  constructor(work: (this: SchedulerAction<T>, state?: T) => void) {
    super(() => {
      if (this.handle) clearTimeout(this.handle);
      this.handle = undefined;
    });
    this.work = work;
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    if (this.handle) clearTimeout(this.handle);
    const handle = setTimeout(() => this.execute(handle, state), Math.max(0, delay));
    handle.unref();
    this.handle = handle;
    return this;
  }

  private execute(handle: NodeJS.Timeout, state?: T): void {
    if (this.closed || this.handle !== handle) return;
    this.handle = undefined;
    try {
      this.work.call(this, state);
    } catch (err) {
      this.unsubscribe();
      throw err;
    }
    // Like RxJS's AsyncAction: an action that did not reschedule itself is finished.
    if (this.handle === undefined) this.unsubscribe();
  }
}

export class UnrefScheduler implements SchedulerLike {
  now(): number {
    return Date.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new UnrefAction<T>(work).schedule(state, delay);
  }
}
