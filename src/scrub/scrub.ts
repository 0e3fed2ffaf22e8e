// Scrubbing PII and secrets out of every string of a notice (alerts, digests, error events),
// and out of Sentry events in beforeSend.
import type { Alert, Digest, ErrorEvent, Item } from "../signal.ts";
import { SCRUB_PATTERNS, type ScrubPattern } from "./patterns.ts";

/** Keys whose values are identifiers or enums, never user text: kept as they are. */
const EXEMPT_KEYS = new Set([
  "kind",
  "status",
  "severity",
  "comparison",
  "unit",
  "route",
  "traceId",
  "spanId",
  "parentSpanId",
  "trace_id",
  "span_id",
  "parent_span_id",
  "event_id",
  "timestamp",
  "start_timestamp",
  "level",
  "platform",
  "type",
]);

/** Keys whose values are secrets whatever they look like. */
const SECRET_KEY =
  /(?:^|[_.-])(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|authorization|cookie|dsn)$/i;

export interface Scrubber {
  text(value: string): string;
  /** Deep copy of a JSON-like value with every string scrubbed (exempt keys kept). */
  value<T>(value: T): T;
  item<T extends Item>(item: T): T;
}

export function createScrubber(extra: readonly ScrubPattern[] = []): Scrubber {
  const patterns = [...SCRUB_PATTERNS, ...extra];
  const text = (value: string): string => {
    if (value.length < 5) return value;
    let out = value;
    for (const p of patterns) {
      p.regex.lastIndex = 0;
      out = typeof p.replace === "string" ? out.replace(p.regex, p.replace) : out.replace(p.regex, p.replace);
    }
    return out;
  };
  const deep = (value: unknown, key?: string): unknown => {
    if (key !== undefined && EXEMPT_KEYS.has(key)) return value;
    if (typeof value === "string") return key !== undefined && SECRET_KEY.test(key) ? "[token]" : text(value);
    if (Array.isArray(value)) return value.map((v) => deep(v));
    if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[text(k)] = deep(v, k);
      return out;
    }
    return value;
  };
  const value = <T>(v: T): T => deep(v) as T;
  const item = <T extends Item>(it: T): T => {
    if (it.kind === "alert" || it.kind === "digest" || it.kind === "error") return value(it);
    return it;
  };
  return { text, value, item };
}

export const defaultScrubber = createScrubber();

export const scrubAlert = (a: Alert): Alert => defaultScrubber.value(a);
export const scrubDigest = (d: Digest): Digest => defaultScrubber.value(d);
export const scrubErrorEvent = (e: ErrorEvent): ErrorEvent => defaultScrubber.value(e);
