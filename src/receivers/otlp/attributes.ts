// OTLP KeyValue lists → the signal model's flat Attributes, with the per-item limits
// (attribute count, value length, total bytes) that make a point or span "rejected" in a partial success.
import type { Attributes, AttributeValue } from "../../signal.ts";
import { double, fail, int64, isObject, list } from "./fields.ts";
import type { OtlpAnyValue, OtlpKeyValue } from "./otlp-json.ts";

export interface AttributeLimits {
  readonly maxAttributes: number;
  readonly maxValueLength: number;
  /** Most UTF-8 bytes of one list's keys and values together (`max_attributes_bytes`). */
  readonly maxBytes: number;
  /** Most bytes of a metric series' identity: name, scope, resource and point attributes (`max_series_key_bytes`). */
  readonly maxSeriesKeyBytes: number;
}

export interface ConvertedAttributes {
  readonly attributes: Attributes;
  /** UTF-8 bytes of the keys and values. */
  readonly bytes: number;
  /** Why these attributes break a limit, when they do. */
  readonly violation?: string;
}

type Scalar = string | number | boolean | null;

/** Nested values deeper than this are cut (kvlists/arrays are flattened to JSON strings anyway). */
const MAX_DEPTH = 16;

/** Converts a KeyValue list; structural errors throw (400), limit breaches are reported as `violation`. */
export function convertAttributes(raw: unknown, path: string, limits: AttributeLimits): ConvertedAttributes {
  const kvs = list<OtlpKeyValue>(raw, path);
  const out: Record<string, AttributeValue> = {};
  let violation: string | undefined;
  if (kvs.length > limits.maxAttributes) {
    violation = `${path}: ${kvs.length} attributes exceed the limit of ${limits.maxAttributes} (max_attributes)`;
  }
  let bytes = 0;
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    const at = `${path}[${i}]`;
    if (!isObject(kv)) fail(at, "expected a KeyValue object");
    if (typeof kv.key !== "string") fail(`${at}.key`, "expected a string");
    const value = anyValue(kv.value, `${at}.value`, 0);
    if (violation === undefined && valueLength(value) > limits.maxValueLength) {
      violation = `${at}: value of "${kv.key.slice(0, 100)}" exceeds the length limit of ${limits.maxValueLength} (max_attribute_value_length)`;
    }
    bytes += Buffer.byteLength(kv.key) + valueBytes(value);
    out[kv.key] = value;
  }
  if (violation === undefined && bytes > limits.maxBytes)
    violation = `${path}: attributes of ${bytes} bytes exceed max_attributes_bytes (${limits.maxBytes})`;
  return violation === undefined ? { attributes: out, bytes } : { attributes: out, bytes, violation };
}

export function valueBytes(v: AttributeValue): number {
  if (typeof v === "string") return Buffer.byteLength(v);
  if (!Array.isArray(v)) return 8;
  let n = 0;
  for (const e of v) n += typeof e === "string" ? Buffer.byteLength(e) : 8;
  return n;
}

export function valueLength(v: AttributeValue): number {
  if (typeof v === "string") return v.length;
  if (Array.isArray(v)) {
    let max = 0;
    for (const e of v) if (typeof e === "string" && e.length > max) max = e.length;
    return max;
  }
  return 0;
}

/** AnyValue → attribute value: scalars as-is, arrays of scalars as arrays, kvlists and nested arrays as JSON strings. */
export function anyValue(raw: unknown, path: string, depth: number): AttributeValue {
  if (raw === undefined || raw === null) return "";
  if (!isObject(raw)) fail(path, "expected an AnyValue object");
  const v = raw as OtlpAnyValue;
  if (v.stringValue !== undefined && v.stringValue !== null) {
    if (typeof v.stringValue !== "string") fail(`${path}.stringValue`, "expected a string");
    return v.stringValue;
  }
  if (v.boolValue !== undefined && v.boolValue !== null) {
    if (typeof v.boolValue !== "boolean") fail(`${path}.boolValue`, "expected a boolean");
    return v.boolValue;
  }
  if (v.intValue !== undefined && v.intValue !== null) {
    const n = int64(v.intValue, `${path}.intValue`);
    // Past 2^53 a double would round it (a 64-bit id, say): its exact digits are kept as text.
    return Number.isSafeInteger(n) || typeof v.intValue !== "string" ? n : BigInt(v.intValue).toString();
  }
  if (v.doubleValue !== undefined) return double(v.doubleValue, `${path}.doubleValue`);
  if (v.bytesValue !== undefined && v.bytesValue !== null) {
    if (typeof v.bytesValue !== "string") fail(`${path}.bytesValue`, "expected a base64 string");
    return v.bytesValue;
  }
  if (v.arrayValue !== undefined && v.arrayValue !== null) {
    if (!isObject(v.arrayValue)) fail(`${path}.arrayValue`, "expected an object");
    const values = list<unknown>(v.arrayValue.values, `${path}.arrayValue.values`);
    const out: Scalar[] = [];
    for (let i = 0; i < values.length; i++) {
      const e = depth >= MAX_DEPTH ? "" : anyValue(values[i], `${path}.arrayValue.values[${i}]`, depth + 1);
      out.push(Array.isArray(e) ? JSON.stringify(e) : (e as Scalar));
    }
    return out;
  }
  if (v.kvlistValue !== undefined && v.kvlistValue !== null) {
    if (!isObject(v.kvlistValue)) fail(`${path}.kvlistValue`, "expected an object");
    return JSON.stringify(
      depth >= MAX_DEPTH ? {} : kvlistObject(v.kvlistValue.values, `${path}.kvlistValue.values`, depth),
    );
  }
  return "";
}

function kvlistObject(raw: unknown, path: string, depth: number): Record<string, unknown> {
  if (depth >= MAX_DEPTH) return {};
  const kvs = list<OtlpKeyValue>(raw, path);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    if (!isObject(kv) || typeof kv.key !== "string")
      fail(`${path}[${i}]`, "expected a KeyValue object with a key");
    const value =
      isObject(kv.value) && isObject(kv.value.kvlistValue)
        ? kvlistObject(kv.value.kvlistValue.values, `${path}[${i}].value.kvlistValue.values`, depth + 1)
        : anyValue(kv.value, `${path}[${i}].value`, depth + 1);
    out[kv.key] = value;
  }
  return out;
}
