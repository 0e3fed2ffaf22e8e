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
 * A `where` key or `group_by` entry: one attribute name, or alternatives `a|b` read in order (the
 * first present wins, on the point then the resource), for a semantic-convention name beside the one
 * older senders use: `system.filesystem.mountpoint|mountpoint` (otelcol-contrib's hostmetrics).
 */
export function attributeKeys(entry: string): string[] {
  return entry.split("|").map((k) => k.trim());
}

/** The label an entry's value is shown and fingerprinted under: its first name. */
export function labelName(entry: string): string {
  return attributeKeys(entry)[0] ?? entry;
}

/** An error message when an entry has an empty alternative (`a|`, `|b`, `a||b`). */
export function attributeEntryProblem(entry: string): string | undefined {
  return attributeKeys(entry).some((k) => k === "")
    ? `"${entry}" has an empty attribute name (alternatives are written a|b)`
    : undefined;
}

/**
 * `lookupAttribute` for fixed keys (alternatives in order), compiled as its own function. A shared
 * lookup sees the attribute shapes of every rule (megamorphic: a global cache probe per read,
 * ~15–20 ns a point in bench/processors.ts); a function of its own keeps inline caches for its
 * rule's few shapes. Closures cannot do this (closures from one site share their type feedback).
 * Keys enter the source only as JSON string literals (data, never code); without code generation
 * (--disallow-code-generation-from-strings), the shared lookup does the same work.
 */
export function attributeReader(keys: string | readonly string[]): AttributeReader {
  const ks = (typeof keys === "string" ? [keys] : keys).map(interned);
  const last = JSON.stringify(ks.at(-1) ?? "");
  const source = [
    '"use strict"; let v;',
    ...ks
      .slice(0, -1)
      .map((k) => JSON.stringify(k))
      .map((k) => `v = a[${k}]; if (v !== undefined) return v; v = r[${k}]; if (v !== undefined) return v;`),
    `v = a[${last}]; return v !== undefined ? v : r[${last}];`,
  ].join(" ");
  try {
    return new Function("a", "r", source) as AttributeReader;
  } catch {
    return (a, r) => {
      for (const k of ks) {
        const v = lookupAttribute(a, r, k);
        if (v !== undefined) return v;
      }
      return undefined;
    };
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
  const read = attributeReader(attributeKeys(configKey));
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

/** Labels from `group_by` (named by each entry's first name); missing labels are left out (not "undefined"). */
export interface GroupKeyer {
  labels(attributes: Attributes, resource: Attributes): Record<string, string>;
}

export function compileGroupBy(groupBy: readonly string[]): GroupKeyer {
  const entries = groupBy.map((entry) => ({
    label: interned(labelName(entry)),
    read: attributeReader(attributeKeys(entry)),
  }));
  return {
    labels(a, r) {
      const labels: Record<string, string> = {};
      for (const { label, read } of entries) {
        const v = read(a, r);
        if (v !== undefined) labels[label] = attributeText(v);
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
