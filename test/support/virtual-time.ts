// Drive a VirtualTimeScheduler while real I/O (local HTTP) happens: jump to the next timer only
// when nothing is on the wire, so queues run a 30-second outage in milliseconds.
import { setImmediate as tick } from "node:timers/promises";
import type { VirtualTimeScheduler } from "rxjs";

export interface DriveOptions {
  /** True while a request is on the wire (virtual time must not move then). */
  readonly busy: () => boolean;
  readonly done: () => boolean;
  /** Fail instead of looping forever. */
  readonly maxVirtualMs?: number;
}

export async function driveVirtualTime(
  scheduler: VirtualTimeScheduler,
  options: DriveOptions,
): Promise<void> {
  const limit = options.maxVirtualMs ?? 3_600_000;
  let idleRounds = 0;
  while (!options.done()) {
    await tick();
    if (options.done()) break;
    if (options.busy()) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const next = scheduler.actions[0];
    if (!next) {
      if (++idleRounds > 2000) throw new Error("virtual time driver: nothing scheduled and not done");
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    idleRounds = 0;
    if (next.delay > limit) throw new Error(`virtual time driver: passed ${limit} ms without finishing`);
    scheduler.maxFrames = next.delay;
    scheduler.flush();
  }
}
