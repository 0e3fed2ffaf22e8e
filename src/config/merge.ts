// Several config sources merged the way the OpenTelemetry Collector's confmap merges `--config`
// files: later sources override earlier ones key by key, maps merge deeply, anything else (a list,
// a scalar, null) replaces what was there. The merge keeps the sources' own YAML nodes, so every
// value still knows its file, line and env references (sourceOf), and errors point at them.
import { Document, isMap, isPair, isScalar, isSeq, type Node, Pair, Scalar, YAMLMap } from "yaml";
import type { ConfigSource } from "./inputs.ts";

export class MergedSources {
  private readonly origins = new Map<unknown, ConfigSource>();
  private contents: unknown;
  private readonly added: ConfigSource[] = [];

  constructor(sources: readonly ConfigSource[]) {
    for (const source of sources) this.add(source);
  }

  /** Merge one more source over what is there. */
  add(source: ConfigSource): void {
    register(source.doc.contents, source, this.origins);
    const over = source.doc.contents;
    this.contents =
      this.added.length === 0
        ? over
        : // An empty file (null) adds nothing; at any level below, null replaces, as in the Collector.
          over === null || (isScalar(over) && over.value === null)
          ? this.contents
          : mergeNode(this.contents, over, this.origins);
    this.added.push(source);
  }

  get sources(): readonly ConfigSource[] {
    return this.added;
  }

  /** The merged root node (for resolving a dotted `--set` key against what exists). */
  get root(): unknown {
    return this.contents;
  }

  /** One document of the merged nodes; a single source is its own document. */
  document(): Document {
    const [only] = this.added;
    if (this.added.length === 1 && only) return only.doc;
    const doc = new Document();
    doc.contents = (this.contents ?? null) as Node | null;
    return doc;
  }

  /** The source a node (value, key or merged map) was written in. */
  sourceOf(node: unknown): ConfigSource | undefined {
    return this.origins.get(node);
  }
}

function mergeNode(base: unknown, over: unknown, origins: Map<unknown, ConfigSource>): unknown {
  if (!isMap(base) || !isMap(over)) return over;
  const merged = new YAMLMap();
  merged.range = over.range;
  merged.flow = over.flow;
  const origin = origins.get(over);
  if (origin) origins.set(merged, origin);
  const items = [...base.items];
  for (const pair of over.items) {
    const key = keyText(pair.key);
    const i = key === undefined ? -1 : items.findIndex((p) => keyText(p.key) === key);
    const existing = items[i];
    if (!existing) items.push(pair);
    else items[i] = new Pair(pair.key, mergeNode(existing.value, pair.value, origins));
  }
  merged.items = items;
  return merged;
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function register(node: unknown, source: ConfigSource, origins: Map<unknown, ConfigSource>): void {
  if (node === null || typeof node !== "object") return;
  origins.set(node, source);
  if (isMap(node)) {
    for (const pair of node.items) {
      register(pair.key, source, origins);
      register(pair.value, source, origins);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) register(item, source, origins);
  }
}

/**
 * Keys written `a::b` in an inline snippet (`--set`, `--config yaml:`) are nested maps, as the
 * Collector reads them; keys that expand to the same map merge.
 */
export function expandKeyPaths(node: unknown): unknown {
  if (isSeq(node)) {
    node.items = node.items.map(expandKeyPaths);
    return node;
  }
  if (!isMap(node)) return node;
  const out = new YAMLMap();
  out.range = node.range;
  out.flow = node.flow;
  const pairs: Pair[] = [];
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    let value = expandKeyPaths(pair.value);
    let key = pair.key;
    if (isScalar(key) && typeof key.value === "string" && key.value.includes("::")) {
      const [first = "", ...rest] = key.value.split("::");
      for (const segment of rest.reverse()) {
        const map = new YAMLMap();
        map.items.push(new Pair(new Scalar(segment), value));
        value = map;
      }
      key = new Scalar(first);
    }
    const existing = pairs.findIndex((p) => keyText(p.key) === keyText(key));
    if (existing >= 0) {
      const before = pairs[existing] as Pair;
      pairs[existing] = new Pair(before.key, mergeNode(before.value, value, new Map()));
    } else pairs.push(new Pair(key, value));
  }
  out.items = pairs;
  return out;
}
