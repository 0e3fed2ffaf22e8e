// Virtual time: a VirtualTimeScheduler advanced explicitly, so `alertpipe test rules`, `alertpipe
// replay` and the tests run hours of cooldowns, windows and escalations in milliseconds.
import { VirtualTimeScheduler } from "rxjs";

export class VirtualClock {
  readonly scheduler = new VirtualTimeScheduler();

  /** `start`: the clock's first reading, ms since the epoch (0 for processor tests). */
  constructor(start = 0) {
    this.scheduler.frame = start;
  }

  now(): number {
    return this.scheduler.now();
  }

  /** Run every action due up to `time` (ms), then leave the clock at `time`. */
  advanceTo(time: number): void {
    if (time < this.scheduler.frame)
      throw new Error(`cannot go back from ${this.scheduler.frame} to ${time}`);
    this.scheduler.maxFrames = time;
    this.scheduler.flush();
    this.scheduler.frame = time;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.scheduler.frame + ms);
  }

  /** Run what is due now (zero-delay actions such as a ratio rule's end-of-batch check). */
  settle(): void {
    this.advanceTo(this.scheduler.frame);
  }
}
