// How one delivery attempt ended, as the queue needs to know it to decide what happens next.

export type DeliveryOutcome =
  | { readonly ok: true; readonly status?: number }
  /** Never retried: recorded with its reason (invalid_payload, channel_is_archived, 403 …). */
  | { readonly ok: false; readonly kind: "permanent"; readonly reason: string; readonly status?: number }
  /** Wait `retryAfterMs` (the server's Retry-After) when given, else back off. */
  | {
      readonly ok: false;
      readonly kind: "rate_limited";
      readonly reason: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
    }
  /** 5xx, network errors, timeouts: exponential backoff with jitter. */
  | { readonly ok: false; readonly kind: "transient"; readonly reason: string; readonly status?: number };

/** Thrown by a custom exporter to say "do not retry this". */
export class PermanentDeliveryError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = "PermanentDeliveryError";
    this.status = status;
  }
}

/** Thrown by a custom exporter to say "the server asked us to wait". */
export class RateLimitedDeliveryError extends Error {
  readonly retryAfterMs?: number;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = "RateLimitedDeliveryError";
    this.retryAfterMs = retryAfterMs;
  }
}

/** Map a thrown error to an outcome: the two error classes above, else transient. */
export function outcomeFromError(error: unknown): DeliveryOutcome {
  if (error instanceof PermanentDeliveryError)
    return { ok: false, kind: "permanent", reason: error.message, status: error.status };
  if (error instanceof RateLimitedDeliveryError)
    return { ok: false, kind: "rate_limited", reason: error.message, retryAfterMs: error.retryAfterMs };
  const reason = error instanceof Error ? error.message : String(error);
  return { ok: false, kind: "transient", reason };
}

/** HTTP status → outcome kind, shared by the Slack and Sentry exporters. */
export function classifyHttpStatus(
  status: number,
  reason: string,
  retryAfterHeader?: string | null,
): DeliveryOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  if (status === 429)
    return {
      ok: false,
      kind: "rate_limited",
      reason,
      status,
      retryAfterMs: parseRetryAfter(retryAfterHeader),
    };
  if (status >= 500 || status === 408) return { ok: false, kind: "transient", reason, status };
  return { ok: false, kind: "permanent", reason, status };
}

/** Retry-After: delta seconds (Slack's form) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
