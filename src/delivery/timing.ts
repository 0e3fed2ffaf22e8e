// Clock helpers over the injected RxJS scheduler: abortable sleep, token bucket, backoff.
import type { SchedulerLike } from "rxjs";

/** Sleep on the scheduler; resolves early (false) when aborted. */
export function schedulerSleep(scheduler: SchedulerLike, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      sub.unsubscribe();
      resolve(false);
    };
    const sub = scheduler.schedule(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      },
      Math.max(0, ms),
    );
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
    const elapsed = Math.max(0, now - this.#last);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
    this.#last = now;
  }

  /** Take one token if available; else return how long to wait (ms) before trying again. */
  tryTake(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
  }

  /** After the server said "slow down": no burst right after the wait. */
  drain(now: number): void {
    this.#refill(now);
    this.#tokens = Math.min(this.#tokens, 0);
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
