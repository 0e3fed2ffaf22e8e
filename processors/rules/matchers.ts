// Attribute matchers compiled once per rule: the hot path runs plain closures, no config lookups.
import type { Attributes, AttributeValue } from "../../src/signal.ts";
import type { MatcherConfig, WhereConfig } from "./schema.ts";

export type AttributePredicate = (attributes: Attributes, resource: Attributes) => boolean;

/** Attribute lookup: point attributes first, then resource attributes (where service/host live). */
export function lookupAttribute(
  attributes: Attributes,
  resource: Attributes,
  key: string,
): AttributeValue | undefined {
  const own = attributes[key];
  return own !== undefined ? own : resource[key];
}

export type AttributeReader = (attributes: Attributes, resource: Attributes) => AttributeValue | undefined;

/**
 * `lookupAttribute` for one fixed key, compiled as its own function. A shared lookup sees the
 * attribute shapes of every rule (megamorphic: a global cache probe per read, ~15–20 ns a point
 * in bench/processors.ts); a function of its own keeps inline caches for its rule's few shapes.
 * Closures cannot do this (closures from one site share their type feedback). The key enters the
 * source only as a JSON string literal (data, never code); without code generation
 * (--disallow-code-generation-from-strings), the shared lookup does the same work.
 */
export function attributeReader(key: string): AttributeReader {
  const k = interned(key);
  try {
    const literal = JSON.stringify(k);
    return new Function(
      "a",
      "r",
      `"use strict"; const v = a[${literal}]; return v !== undefined ? v : r[${literal}];`,
    ) as AttributeReader;
  } catch {
    return (a, r) => lookupAttribute(a, r, k);
  }
}

/**
 * The engine's own copy of a config string (names, attribute keys), interned by V8 as a property
 * key. YAML strings are slices of the file: every compare or `obj[key]` with one scans or re-interns
 * it, while an interned string compares by pointer and hits the inline caches. Same content.
 */
export function interned(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/** Label text for grouping/matching; arrays join with ",". */
export function attributeText(value: AttributeValue): string {
  return typeof value === "string" ? value : Array.isArray(value) ? value.join(",") : String(value);
}

function equals(actual: AttributeValue, expected: string | number | boolean): boolean {
  if (actual === expected) return true;
  // YAML may type `200` as a number while OTLP sends "200" (or the reverse): compare as text.
  return attributeText(actual) === String(expected);
}

function compileOne(configKey: string, matcher: MatcherConfig): AttributePredicate {
  const read = attributeReader(configKey);
  if (typeof matcher !== "object") {
    const expected = typeof matcher === "string" ? interned(matcher) : matcher;
    return (a, r) => {
      const v = read(a, r);
      return v !== undefined && equals(v, expected);
    };
  }
  if ("exists" in matcher) {
    const want = matcher.exists;
    return (a, r) => (read(a, r) !== undefined) === want;
  }
  if ("in" in matcher) {
    const set = new Set(matcher.in.map(String));
    return (a, r) => {
      const v = read(a, r);
      return v !== undefined && set.has(attributeText(v));
    };
  }
  if ("not_in" in matcher) {
    const set = new Set(matcher.not_in.map(String));
    return (a, r) => {
      const v = read(a, r);
      return v === undefined || !set.has(attributeText(v));
    };
  }
  if ("not" in matcher) {
    const unwanted = matcher.not;
    return (a, r) => {
      const v = read(a, r);
      return v === undefined || !equals(v, unwanted);
    };
  }
  const re = new RegExp(matcher.regex);
  return (a, r) => {
    const v = read(a, r);
    return v !== undefined && re.test(attributeText(v));
  };
}

/** All matchers must hold; an empty `where` matches everything. */
export function compileWhere(where: WhereConfig): AttributePredicate {
  const predicates = Object.entries(where).map(([key, m]) => compileOne(key, m));
  if (predicates.length === 0) return () => true;
  if (predicates.length === 1) return predicates[0] as AttributePredicate;
  return (a, r) => {
    for (const p of predicates) if (!p(a, r)) return false;
    return true;
  };
}

/** Labels from `group_by`; missing labels are left out (not "undefined"). */
export interface GroupKeyer {
  labels(attributes: Attributes, resource: Attributes): Record<string, string>;
}

export function compileGroupBy(groupBy: readonly string[]): GroupKeyer {
  const keys = groupBy.map(interned);
  return {
    labels(a, r) {
      const labels: Record<string, string> = {};
      for (const k of keys) {
        const v = lookupAttribute(a, r, k);
        if (v !== undefined) labels[k] = attributeText(v);
      }
      return labels;
    },
  };
}

/** Stable fingerprint: rule{label="v",…} with labels sorted by name. */
export function fingerprintOf(rule: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return rule;
  return `${rule}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(",")}}`;
}
