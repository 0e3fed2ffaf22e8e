// Durations the OpenTelemetry Collector's way (Go's time.ParseDuration: `500ms`, `30s`, `5m`,
// `1h30m`, `1.5h`, `250us`) plus Prometheus' `d` and `w`, for every config field, env value and CLI
// flag that takes a time span. A bare number keeps the field's own unit (a window's seconds, a
// cooldown's minutes), so existing configs and the guide's variables read as before.
import { z } from "zod";

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5, as Go spells it
  μs: 1e-3, // U+03BC
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y;
/** The same grammar as one regular expression (the JSON Schema's pattern for editors). */
const DURATION_SOURCE = "(?:(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:ns|us|µs|μs|ms|s|m|h|d|w))+";
const NUMBER_SOURCE = "\\d+(?:\\.\\d+)?|\\.\\d+";
const BARE_NUMBER = new RegExp(`^(?:${NUMBER_SOURCE})$`);
const NUMBER_OR_DURATION = new RegExp(`^(?:${DURATION_SOURCE}|${NUMBER_SOURCE})$`);

/** Milliseconds, or undefined when `text` is not a duration (a unit is required; `0` alone is allowed). */
export function parseDuration(text: string): number | undefined {
  const src = text.trim();
  if (src === "0") return 0;
  let at = 0;
  let total = 0;
  while (at < src.length) {
    PART.lastIndex = at;
    const m = PART.exec(src);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    at += m[0].length;
  }
  return at === 0 ? undefined : total;
}

/** `1h2m3s`, `2m30s`, `250ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = rest < 0 ? "-" : "";
  rest = Math.abs(rest);
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** The unit a bare number is read in. */
export type DurationUnit = "ms" | "s" | "m" | "h";
const UNIT_NAMES: Readonly<Record<DurationUnit, string>> = {
  ms: "milliseconds",
  s: "seconds",
  m: "minutes",
  h: "hours",
};

/**
 * A number (in `unit`) or a number text ("30", as an env value may come) or a duration ("90s"),
 * as milliseconds; undefined when it is neither. What env values and flags go through.
 */
export function durationMs(value: number | string, unit: DurationUnit): number | undefined {
  if (typeof value === "number")
    return Number.isFinite(value) ? value * (UNIT_MS[unit] as number) : undefined;
  const text = value.trim();
  if (BARE_NUMBER.test(text)) return Number(text) * (UNIT_MS[unit] as number);
  return parseDuration(text);
}

export interface DurationOptions {
  /** 0 is a valid value (e.g. "no cooldown", "fire at once"); default: it must be positive. */
  readonly zero?: boolean;
}

/**
 * A config field holding a time span: a bare number in `unit`, or a duration (`30s`, `5m`,
 * `1h30m`), parsed to a number in `unit` (so `cooldown: 90s` is 1.5 minutes). One helper for
 * every such field: `window: duration("s").default(300)`, `seasonality: duration("s")`.
 */
export function duration(unit: DurationUnit, options: DurationOptions = {}) {
  const size = UNIT_MS[unit] as number;
  const message = `expected ${options.zero ? "a non-negative" : "a positive"} number of ${UNIT_NAMES[unit]} or a duration (e.g. 30s, 5m, 1h30m)`;
  const error = { error: message };
  const number = z.number(error).finite(error);
  return z
    .union(
      [
        options.zero ? number.nonnegative(error) : number.positive(error),
        z.string(error).regex(NUMBER_OR_DURATION, error),
      ],
      error,
    )
    .transform((value, ctx) => {
      const ms = durationMs(value, unit);
      if (ms === undefined || !Number.isFinite(ms) || (options.zero ? ms < 0 : ms <= 0)) {
        ctx.addIssue({ code: "custom", message, input: value });
        return z.NEVER;
      }
      return ms / size;
    });
}
