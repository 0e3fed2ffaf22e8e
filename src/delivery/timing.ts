// Clock helpers over the injected RxJS scheduler: abortable sleep, token bucket, backoff.
import type { SchedulerLike } from "rxjs";

/** Longest delay a Node timer takes (2^31 - 1 ms); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Sleep on the scheduler, in steps a Node timer can hold; resolves early (false) when aborted. */
export function schedulerSleep(scheduler: SchedulerLike, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const until = scheduler.now() + Math.max(0, ms);
    let sub: { unsubscribe(): void } | undefined;
    const onAbort = () => {
      sub?.unsubscribe();
      resolve(false);
    };
    const step = () => {
      const left = until - scheduler.now();
      if (left > 0) {
        sub = scheduler.schedule(step, Math.min(left, MAX_TIMER_MS));
        return;
      }
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    };
    sub = scheduler.schedule(step, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Token bucket: `burst` tokens, refilled at `ratePerSecond`. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, burst: number, now: number) {
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#last = now;
  }

  #refill(now: number): void {
    if (now <= this.#last) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
  }

  /** Take one token if available; else return how long to wait (ms) before trying again. */
  tryTake(now: number): number {
    if (now < this.#last) return this.#last - now;
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
  }

  /** After the server said "slow down": one message at `at` (the retry), then the sustained rate, no burst. */
  restartAt(at: number): void {
    this.#tokens = 1;
    this.#last = at;
  }
}

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly random: () => number;
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. attempt starts at 1. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * options.random());
}
