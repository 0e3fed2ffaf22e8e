// When a failed delivery is tried again, and when the queue gives up on it. Retry time counts while
// the destination fails (Retry-After waits included), from when the entry started waiting on it, so a
// lane stuck behind its head entry gives up on every entry that waited that long at once.
import type { DeliveryOutcome } from "./outcome.ts";
import { backoffDelay } from "./timing.ts";

export interface RetryPolicy {
  /** Attempts before giving up (0 = no limit). */
  readonly maxAttempts: number;
  /** Time an entry may wait on a failing destination, ms (0 = no limit). */
  readonly maxRetryTimeMs: number;
  /** Longest Retry-After honoured, ms; longer asks are cut to this. */
  readonly maxRetryAfterMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly random: () => number;
}

/**
 * When an entry enqueued at `enqueuedAt` stops being retried: `max_retry_time` after it started
 * waiting on a destination failing since `failingSince`. Undefined while the destination works.
 */
export function retryDeadline(
  policy: RetryPolicy,
  enqueuedAt: number,
  failingSince: number | undefined,
): number | undefined {
  if (policy.maxRetryTimeMs <= 0 || failingSince === undefined) return undefined;
  return Math.max(enqueuedAt, failingSince) + policy.maxRetryTimeMs;
}

export type RetryDecision =
  | {
      readonly retry: true;
      readonly delayMs: number;
      /** The server's Retry-After, when it was longer than max_retry_after. */
      readonly cappedRetryAfterMs?: number;
    }
  | { readonly retry: false; readonly reason: string };

type RetriableOutcome = Extract<DeliveryOutcome, { kind: "transient" | "rate_limited" }>;

/** Retry (after how long) or give up, after the `attempts`-th attempt failed with `outcome`. */
export function decideRetry(
  policy: RetryPolicy,
  outcome: RetriableOutcome,
  reason: string,
  attempts: number,
  deadline: number | undefined,
  now: number,
): RetryDecision {
  const gaveUp = (why = "") => ({
    retry: false as const,
    reason: `gave up after ${attempts} attempts${why}: ${reason}`,
  });
  if (policy.maxAttempts > 0 && attempts >= policy.maxAttempts) return gaveUp();
  if (deadline !== undefined && now >= deadline)
    return gaveUp(` (max_retry_time ${seconds(policy.maxRetryTimeMs)} s)`);
  const asked = outcome.kind === "rate_limited" ? outcome.retryAfterMs : undefined;
  if (asked !== undefined) {
    const delayMs = Math.min(asked, policy.maxRetryAfterMs);
    // Sending before the server allows it would only be refused again.
    if (deadline !== undefined && now + delayMs > deadline)
      return gaveUp(
        ` (Retry-After ${seconds(delayMs)} s ends past max_retry_time ${seconds(policy.maxRetryTimeMs)} s)`,
      );
    return asked > delayMs ? { retry: true, delayMs, cappedRetryAfterMs: asked } : { retry: true, delayMs };
  }
  const backoff = backoffDelay(attempts, {
    initialMs: policy.initialBackoffMs,
    maxMs: policy.maxBackoffMs,
    random: policy.random,
  });
  // Our own backoff is cut short so the last attempt happens at the deadline, not after it.
  return { retry: true, delayMs: deadline === undefined ? backoff : Math.min(backoff, deadline - now) };
}

/**
 * Why an entry not tried yet is given up without an attempt (its deadline passed while it waited
 * behind others on the failing destination), or undefined when it is to be tried.
 */
export function expiredUntried(
  policy: RetryPolicy,
  deadline: number | undefined,
  now: number,
  failingSince: number,
  lastError: string,
): string | undefined {
  if (deadline === undefined || now < deadline) return undefined;
  return (
    `gave up without an attempt: waited past max_retry_time (${seconds(policy.maxRetryTimeMs)} s)` +
    ` while the destination failed for ${seconds(now - failingSince)} s; last error: ${lastError}`
  );
}

const seconds = (ms: number): number => Math.round(ms / 100) / 10;
