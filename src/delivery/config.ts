// Config keys every queued exporter shares (rate, retries, shutdown deadline), with defaults.
import { z } from "zod";
import type { ComponentContext } from "../component.ts";
import { duration } from "../config/duration.ts";
import type { Outbox } from "./outbox.ts";
import type { DeliveryQueueOptions } from "./queue.ts";
import { storeSendLog } from "./send-window.ts";

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
    .default(fallback)
    .transform((v): boolean => (v === "" ? fallback : v));

/** Seconds (a bare number) or a duration (`30s`, `5m`, `1h`). */
const seconds = (def: number, description: string) =>
  duration("s", { zero: true }).prefault(def).meta({ description });

/** Sending rate per destination; exporters with their own default (Sentry) use this one field. */
export const ratePerSecondField = (def: number) =>
  z.coerce.number().positive().default(def).meta({
    description:
      "Sustained sending rate per destination, messages per second (fractions allowed); a Slack webhook takes about 1 per second.",
  });

/** Burst allowance per destination, beside `rate_per_second`. */
export const burstField = (def: number) =>
  z.coerce.number().int().min(1).default(def).meta({
    description: "Messages a destination may receive back to back before `rate_per_second` paces them.",
  });

export const deliveryConfigShape = {
  rate_per_second: ratePerSecondField(1),
  burst: burstField(3),
  max_attempts: z.coerce.number().int().nonnegative().default(0).meta({
    description:
      "Attempts before a transient failure (5xx, timeout, network error) is recorded as permanently undeliverable; 0 = no limit (max_retry_time still applies).",
  }),
  max_retry_time: seconds(
    3600,
    "Seconds a message may wait on a failing destination (Retry-After waits included) before it is recorded as permanently undeliverable; messages that waited that long behind the same outage are given up together. 0 = no limit.",
  ),
  max_retry_after: duration("s").prefault(300).meta({
    description:
      "Longest Retry-After honoured, seconds: a longer one (a day, or past Node's timer range) waits this long instead.",
  }),
  initial_backoff: seconds(
    1,
    "Seconds before the first retry of a transient failure; doubles each attempt (with jitter) up to max_backoff. A 429's Retry-After wins.",
  ),
  max_backoff: seconds(60, "Longest wait between two retries, seconds."),
  timeout: seconds(
    10,
    "Seconds one delivery attempt (one HTTP request) may take before it counts as a transient failure.",
  ),
  shutdown_timeout: seconds(
    10,
    "Seconds shutdown keeps delivering pending messages before it reports what is left undelivered.",
  ),
  max_pending: z.coerce.number().int().min(1).default(10_000).meta({
    description:
      "Most messages waiting per destination; past it a new message is recorded as failed (queue full), never dropped in silence.",
  }),
  log_attempts: boolishOr(false).meta({
    description:
      "Log every delivery attempt (status, attempt, latency; destination redacted). ALERT_LOG_ATTEMPTS=true turns it on too.",
  }),
  lease: duration("s").prefault(30).meta({
    description:
      "Durable state store only: seconds an instance holds a pending message it delivers (renewed while it retries); another instance takes over once it lapses.",
  }),
  // Keep it below the shortest cooldown: a still-firing alert re-notified after its cooldown is the same identity.
  dedupe_window: seconds(
    10,
    "Durable state store only: seconds within which an identical notice (same fingerprint, status, start and escalation level, e.g. from two instances) is sent once; 0 = off.",
  ),
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
    // Throttled messages are counted where they leave: in the store's throttle logs.
    ...(context.state ? { sendLog: storeSendLog(context.state, context.logger) } : {}),
    ...extra,
  };
}
