// Finds a point's group without building a key string per point: one nested Map level per
// group_by label, keyed by the attribute values themselves (their hashes are cached by V8).
import type { Attributes } from "../../src/signal.ts";
import {
  type AttributeReader,
  attributeKeys,
  attributeReader,
  attributeText,
  labelName,
} from "./matchers.ts";

const MISSING = "\u0000missing";

type Level<G> = Map<string, Level<G> | G>;

export class GroupIndex<G extends { readonly path: readonly string[] }> {
  private readonly keys: readonly AttributeReader[];
  private readonly root: Level<G> = new Map();
  private readonly all = new Set<G>();
  private single: G | undefined;

  constructor(groupBy: readonly string[]) {
    this.keys = groupBy.map((k) => attributeReader(attributeKeys(k)));
  }

  get size(): number {
    return this.all.size;
  }

  values(): IterableIterator<G> {
    return this.all.values();
  }

  /** The point's group, if it exists (no allocation on this path). */
  get(attributes: Attributes, resource: Attributes): G | undefined {
    const keys = this.keys;
    if (keys.length === 0) return this.single;
    // One label (the usual group_by: host, service): a single map, no loop.
    if (keys.length === 1)
      return this.root.get(groupValue(attributes, resource, keys[0] as AttributeReader)) as G | undefined;
    let level: Level<G> | undefined = this.root;
    const last = keys.length - 1;
    for (let i = 0; i < last && level; i++) {
      level = level.get(groupValue(attributes, resource, keys[i] as AttributeReader)) as Level<G> | undefined;
    }
    return level?.get(groupValue(attributes, resource, keys[last] as AttributeReader)) as G | undefined;
  }

  /** The group at `path`, if it exists. */
  at(path: readonly string[]): G | undefined {
    if (this.keys.length === 0) return this.single;
    let level: Level<G> | undefined = this.root;
    for (let i = 0; i < path.length - 1 && level; i++) level = level.get(path[i] as string) as Level<G>;
    return level?.get(path[path.length - 1] as string) as G | undefined;
  }

  /** The group path (group_by values) a point belongs to. */
  pathOf(attributes: Attributes, resource: Attributes): string[] {
    return this.keys.map((k) => groupValue(attributes, resource, k));
  }

  add(g: G): void {
    this.all.add(g);
    if (this.keys.length === 0) {
      this.single = g;
      return;
    }
    let level = this.root;
    for (let i = 0; i < g.path.length - 1; i++) {
      const v = g.path[i] as string;
      let next = level.get(v) as Level<G> | undefined;
      if (!next) {
        next = new Map();
        level.set(v, next);
      }
      level = next;
    }
    level.set(g.path[g.path.length - 1] as string, g);
  }

  delete(g: G): void {
    this.all.delete(g);
    if (this.keys.length === 0) {
      this.single = undefined;
      return;
    }
    // Walk down, then prune empty levels on the way back so forgotten series free their maps.
    const levels: Level<G>[] = [this.root];
    for (let i = 0; i < g.path.length - 1; i++) {
      const next = levels[i]?.get(g.path[i] as string) as Level<G> | undefined;
      if (!next) return;
      levels.push(next);
    }
    levels[levels.length - 1]?.delete(g.path[g.path.length - 1] as string);
    for (let i = levels.length - 1; i > 0; i--) {
      if ((levels[i] as Level<G>).size > 0) break;
      levels[i - 1]?.delete(g.path[i - 1] as string);
    }
  }
}

/** The path of the group whose labels these are (a label is absent when its attribute was). */
export function pathOfLabels(groupBy: readonly string[], labels: Readonly<Record<string, string>>): string[] {
  return groupBy.map((k) => labels[labelName(k)] ?? MISSING);
}

function groupValue(attributes: Attributes, resource: Attributes, read: AttributeReader): string {
  const v = read(attributes, resource);
  return v === undefined ? MISSING : typeof v === "string" ? v : attributeText(v);
}
