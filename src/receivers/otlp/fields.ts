// Readers for untrusted OTLP JSON fields: each either returns a typed value or throws an
// OtlpRequestError naming the path of the offending field (what the HTTP layer answers 400 with).

/** A structurally malformed request; `message` starts with the path, e.g. `resourceMetrics[0].scopeMetrics[1]: ...`. */
export class OtlpRequestError extends Error {
  override readonly name = "OtlpRequestError";
}

export function fail(path: string, what: string): never {
  throw new OtlpRequestError(path ? `${path}: ${what}` : what);
}

/** One point or span left out (counted in the partial success), the rest of the request kept. */
export class Rejection extends Error {}

export function reject(path: string, what: string): never {
  throw new Rejection(`${path}: ${what}`);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An optional repeated field: absent/null → [], an array → itself, anything else → 400. */
export function list<T>(v: unknown, path: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, "expected an array");
  return v as T[];
}

/** An optional message field: absent/null → undefined, an object → itself, anything else → 400. */
export function message<T>(v: unknown, path: string): T | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) fail(path, "expected an object");
  return v as T;
}

export function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") fail(path, "expected a string");
  return v;
}

const DECIMAL = /^-?\d+$/;

/** int64/uint64/fixed64: a JSON number or a decimal string (proto3 JSON writes 64-bit ints as strings). */
export function int64(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isFinite(v) && Number.isInteger(v)) return v;
  if (typeof v === "string" && DECIMAL.test(v)) return Number(v);
  fail(path, "expected an integer (number or decimal string)");
}

/** Non-negative count. */
export function count(v: unknown, path: string): number {
  const n = int64(v, path);
  if (n < 0) fail(path, "expected a non-negative count");
  return n;
}

/** A double: number, or the proto3 JSON strings "NaN" / "Infinity" / "-Infinity" / a numeric string. null is NaN (JSON.stringify(NaN)). */
export function double(v: unknown, path: string): number {
  if (typeof v === "number") return v;
  if (v === null) return Number.NaN;
  if (typeof v === "string") {
    if (v === "NaN") return Number.NaN;
    if (v === "Infinity") return Number.POSITIVE_INFINITY;
    if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
    const n = Number(v);
    if (v.trim() !== "" && !Number.isNaN(n)) return n;
  }
  fail(path, "expected a number");
}

/** An optional double (proto3 `optional double`): undefined when absent. */
export function optionalDouble(v: unknown, path: string): number | undefined {
  return v === undefined ? undefined : double(v, path);
}

/** The latest timestamp OTLP can mean: int64 nanoseconds run out in April 2262. */
const MAX_TIMESTAMP_NS = 9_223_372_036_854_775_807n;

/** Nanoseconds since the epoch → milliseconds; 0/absent → undefined; past 2262 the point is rejected. */
export function nanosToMs(v: unknown, path: string): number | undefined {
  const n = int64(v, path);
  if (n < 0) fail(path, "expected a non-negative timestamp");
  if (n === 0) return undefined;
  if (n > 9.2e18 && BigInt(typeof v === "string" ? v : Math.round(n)) > MAX_TIMESTAMP_NS)
    reject(path, "timestamp out of range (past the year 2262, the end of int64 nanoseconds)");
  // Decimal strings keep their sub-millisecond digits exact (a double holds ns since 1970 only to ~256 ns).
  if (typeof v === "string" && v.length > 6) return Number(v.slice(0, -6)) + Number(v.slice(-6)) / 1e6;
  return n / 1e6;
}

/** end − start in ms from two nanosecond timestamps, exact for decimal strings; never negative. */
export function nanosDiffMs(start: unknown, end: unknown): number {
  if (typeof start === "string" && typeof end === "string" && DECIMAL.test(start) && DECIMAL.test(end)) {
    const d = BigInt(end) - BigInt(start);
    return d > 0n ? Number(d) / 1e6 : 0;
  }
  const d = Number(end ?? 0) - Number(start ?? 0);
  return d > 0 ? d / 1e6 : 0;
}

/** An enum: its number or its name (looked up in `names`, index = value). */
export function enumValue(v: unknown, names: readonly string[], path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string") {
    const i = names.indexOf(v);
    if (i >= 0) return i;
  }
  fail(path, `unknown enum value ${JSON.stringify(v).slice(0, 60)}`);
}

const HEX = /^[0-9a-fA-F]*$/;

/** A trace/span id of `bytes` length: hex (OTLP JSON) or base64 (protobuf bytes, lenient JSON senders) → lowercase hex; "" when absent. */
export function id(v: unknown, bytes: number, path: string): string {
  if (v === undefined || v === null || v === "") return "";
  if (typeof v !== "string") fail(path, "expected a hex id string");
  if (v.length === bytes * 2 && HEX.test(v)) return v.toLowerCase();
  const raw = Buffer.from(v, "base64");
  if (raw.length === bytes && raw.toString("base64").replace(/=+$/, "") === v.replace(/=+$/, "")) {
    return raw.toString("hex");
  }
  fail(path, `expected a ${bytes}-byte id as ${bytes * 2} hex digits`);
}
