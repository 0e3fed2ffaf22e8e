// Scrubbing PII and secrets out of every string of a notice (alerts, digests, error events),
// and out of Sentry events in beforeSend. By value everywhere: no key is exempt (label names and
// values are the sender's to choose), numbers included (a card number sent as an integer).
import type { Alert, Digest, ErrorEvent, Item } from "../signal.ts";
import { isCardNumber, SCRUB_PATTERNS, type ScrubPattern } from "./patterns.ts";

/** Keys whose values are secrets whatever they look like. */
const SECRET_KEY =
  /(?:^|[_.-])(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|authorization|cookie|set-cookie|dsn)$/i;

/** Deeper than any notice nests: past it a value is cut, not walked (a hostile or cyclic object). */
const MAX_DEPTH = 32;

export interface Scrubber {
  text(value: string): string;
  /** Deep copy of a JSON-like value with every string (and card-like number) scrubbed. */
  value<T>(value: T): T;
  item<T extends Item>(item: T): T;
}

/** An integer that is a card number (sent as an OTLP intValue, say) becomes "[card]". */
function scrubNumber(value: number | bigint): number | bigint | string {
  if (typeof value === "number" && (!Number.isInteger(value) || Math.abs(value) >= 1e20)) return value;
  const digits = String(value < 0 ? -value : value);
  return digits.length >= 13 && isCardNumber(digits) ? "[card]" : value;
}

/** A short word with no digit, @, %, : or =: nothing a built-in pattern matches (most labels and enums). */
const INERT = /^[A-Za-z _.-]{0,11}$/;

function apply(patterns: readonly ScrubPattern[], value: string): string {
  let out = value;
  for (const p of patterns) {
    p.regex.lastIndex = 0;
    out = typeof p.replace === "string" ? out.replace(p.regex, p.replace) : out.replace(p.regex, p.replace);
  }
  return out;
}

export function createScrubber(extra: readonly ScrubPattern[] = []): Scrubber {
  const text = (value: string): string => {
    if (value.length < 5) return value;
    const out = INERT.test(value) ? value : apply(SCRUB_PATTERNS, value);
    return extra.length > 0 ? apply(extra, out) : out;
  };
  const deep = (value: unknown, key: string | undefined, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value === "string") return key !== undefined && SECRET_KEY.test(key) ? "[token]" : text(value);
    if (typeof value === "number" || typeof value === "bigint") return scrubNumber(value);
    if (value === null || typeof value !== "object") return value;
    if (value instanceof Date) return value;
    if (depth >= MAX_DEPTH || seen.has(value)) return "[removed]";
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((v) => deep(v, undefined, depth + 1, seen));
      if (value instanceof Map)
        return new Map(
          [...value].map(([k, v]) => [
            deep(k, undefined, depth + 1, seen),
            deep(v, String(k), depth + 1, seen),
          ]),
        );
      if (value instanceof Set) return new Set([...value].map((v) => deep(v, undefined, depth + 1, seen)));
      if (ArrayBuffer.isView(value)) return value;
      // Any other object (a null or polluted prototype, a class instance): its own enumerable
      // properties into a plain object, "__proto__" kept as a plain key, never as a prototype.
      const entries = Object.keys(value).map((k) => [
        text(k),
        deep((value as Record<string, unknown>)[k], k, depth + 1, seen),
      ]);
      if (value instanceof Error) entries.push(["message", text(value.message)], ["name", value.name]);
      return Object.fromEntries(entries);
    } finally {
      seen.delete(value);
    }
  };
  const value = <T>(v: T): T => deep(v, undefined, 0, new WeakSet()) as T;
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
