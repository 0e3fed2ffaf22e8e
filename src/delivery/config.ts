// Config keys every queued exporter shares (rate, retries, shutdown deadline), with defaults.
import { z } from "zod";
import type { ComponentContext } from "../component.ts";
import type { Outbox } from "./outbox.ts";
import type { DeliveryQueueOptions } from "./queue.ts";

/** Booleans as YAML gives them, plus the usual env spellings ("1", "yes", "on"; YAML reads a bare 1 as a number). */
export const boolish = z
  .union(
    [
      z.boolean(),
      z.literal([0, 1]),
      z.enum([
        "true",
        "false",
        "1",
        "0",
        "yes",
        "no",
        "on",
        "off",
        "TRUE",
        "FALSE",
        "True",
        "False",
        "Yes",
        "No",
        "",
      ]),
    ],
    { error: "expected true or false" },
  )
  .transform((v) =>
    typeof v === "boolean" ? v : ["true", "1", "yes", "on"].includes(String(v).toLowerCase()),
  );

/** A boolean whose empty value (`SLACK_ALERTS_ENABLED=` in a .env file) means its default, not false. */
export const boolishOr = (fallback: boolean) =>
  z
    .union([z.literal(""), boolish], { error: "expected true or false" })
    .optional()
    .transform((v): boolean => (v === "" || v === undefined ? fallback : v));

const seconds = (def: number) => z.coerce.number().nonnegative().default(def);

export const deliveryConfigShape = {
  /** Sustained messages per second per destination. */
  rate_per_second: z.coerce.number().positive().default(1),
  /** Short burst allowance per destination. */
  burst: z.coerce.number().int().min(1).default(3),
  /** Attempts before a transient failure becomes permanent (0 = no limit). */
  max_attempts: z.coerce.number().int().nonnegative().default(0),
  /**
   * Seconds an entry may wait on a failing destination before it is given up (0 = no limit), Retry-After
   * waits included; entries that waited that long behind the same outage are given up together.
   */
  max_retry_time: seconds(3600),
  /** Longest Retry-After honoured, seconds: a longer one (a day, or a value past Node's timer) waits this long. */
  max_retry_after: z.coerce.number().positive().default(300),
  initial_backoff: seconds(1),
  max_backoff: seconds(60),
  /** Per-request timeout, seconds. */
  timeout: seconds(10),
  /** Seconds shutdown() keeps draining before reporting what is left. */
  shutdown_timeout: seconds(10),
  max_pending: z.coerce.number().int().min(1).default(10_000),
  /** Log every attempt (ALERT_LOG_ATTEMPTS). */
  log_attempts: boolishOr(false),
  /** State-store outbox: seconds an instance holds an entry it delivers (renewed while it retries). */
  lease: z.coerce.number().positive().default(30),
  /**
   * State-store outbox: seconds an identical notice (same fingerprint, status, start, escalation level)
   * collapses into the first. Keep it below the shortest cooldown: a still-firing alert re-notified
   * after its cooldown is the same identity. 0 turns it off.
   */
  dedupe_window: seconds(10),
};

export const deliveryConfigSchema = z.strictObject(deliveryConfigShape);
export type DeliveryConfig = z.output<typeof deliveryConfigSchema>;

/** Queue options from a parsed config section; ALERT_LOG_ATTEMPTS also turns attempt logging on. */
export function queueOptionsFrom<P>(
  config: DeliveryConfig,
  context: ComponentContext,
  extra: { secrets?: readonly string[]; outbox?: Outbox<P>; random?: () => number } = {},
): DeliveryQueueOptions<P> {
  const envLog = ["true", "1", "yes", "on"].includes((context.env.ALERT_LOG_ATTEMPTS ?? "").toLowerCase());
  return {
    scheduler: context.scheduler,
    logger: context.logger,
    ratePerSecond: config.rate_per_second,
    burst: config.burst,
    maxAttempts: config.max_attempts,
    maxRetryTimeMs: config.max_retry_time * 1000,
    maxRetryAfterMs: config.max_retry_after * 1000,
    initialBackoffMs: config.initial_backoff * 1000,
    maxBackoffMs: config.max_backoff * 1000,
    logAttempts: config.log_attempts || envLog,
    maxPending: config.max_pending,
    ...extra,
  };
}
