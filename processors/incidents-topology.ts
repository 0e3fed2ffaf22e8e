// The incidents processor's topology: component → upstream components. It says which components'
// alerts are linked (one upstream of the other, directly or through others), how far upstream each
// is (the likely cause of alerts that fire together is the most upstream), and which components
// relate to every other on the same host ("*" as an upstream: `system` in the seed pipeline).
import type { ConfigIssue } from "../src/component.ts";

export type TopologyConfig = Readonly<Record<string, readonly string[]>>;

/** "Related to every component on the same host." */
export const EVERY_COMPONENT = "*";

/** The seed pipeline: fetch → normalize → validate → LLM enrich → database write; system under all. */
export const SEED_TOPOLOGY: TopologyConfig = {
  normalizer: ["fetcher"],
  validator: ["normalizer"],
  enricher: ["validator"],
  database: ["enricher"],
  system: [EVERY_COMPONENT],
};

const explicit = (ups: readonly string[]) => ups.filter((u) => u !== EVERY_COMPONENT);

/** Problems of a topology map: a cycle makes "upstream" meaningless; "*" is an upstream only. */
export function topologyProblems(config: TopologyConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (EVERY_COMPONENT in config)
    issues.push({
      path: ["topology", EVERY_COMPONENT],
      message: '"*" is an upstream (related to all), not a component',
    });
  const state = new Map<string, "visiting" | "done">();
  const reported = new Set<string>();
  const visit = (c: string, path: string[]): void => {
    if (state.get(c) === "done") return;
    if (state.get(c) === "visiting") {
      const cycle = [...path.slice(path.indexOf(c)), c];
      const at = cycle[0] as string;
      if (!reported.has(at)) {
        reported.add(at);
        issues.push({
          path: ["topology", at],
          message: `components upstream of each other in a cycle: ${cycle.join(" → ")}`,
        });
      }
      return;
    }
    state.set(c, "visiting");
    for (const u of explicit(config[c] ?? [])) visit(u, [...path, c]);
    state.set(c, "done");
  };
  for (const c of Object.keys(config)) visit(c, []);
  return issues;
}

export class Topology {
  readonly #everywhere = new Set<string>();
  readonly #depth = new Map<string, number>();
  /** For each component, its upstream components (transitively) with the path from each, upstream first. */
  readonly #upstream = new Map<string, Map<string, readonly string[]>>();
  readonly #linked = new Map<string, string[]>();

  /** `config` must be free of cycles (topologyProblems). */
  constructor(config: TopologyConfig) {
    const components = new Set<string>(Object.keys(config));
    for (const ups of Object.values(config)) for (const u of explicit(ups)) components.add(u);
    for (const [c, ups] of Object.entries(config)) if (ups.includes(EVERY_COMPONENT)) this.#everywhere.add(c);
    const depthOf = (c: string): number => {
      const known = this.#depth.get(c);
      if (known !== undefined) return known;
      const ups = explicit(config[c] ?? []);
      const d = ups.length === 0 ? 0 : 1 + Math.max(...ups.map(depthOf));
      this.#depth.set(c, d);
      return d;
    };
    for (const c of components) depthOf(c);
    // Related to all: downstream of everything else, so never preferred as the cause of what fires with it.
    const deepest = Math.max(0, ...[...components].filter((c) => !this.#everywhere.has(c)).map(depthOf));
    for (const c of this.#everywhere) this.#depth.set(c, Math.max(depthOf(c), deepest + 1));
    for (const c of components) {
      const paths = new Map<string, readonly string[]>();
      // Breadth first: the shortest path to each upstream component.
      const queue: (readonly string[])[] = [[c]];
      while (queue.length > 0) {
        const path = queue.shift() as readonly string[];
        for (const u of explicit(config[path[0] as string] ?? [])) {
          if (paths.has(u) || u === c) continue;
          const longer = [u, ...path];
          paths.set(u, longer);
          queue.push(longer);
        }
      }
      this.#upstream.set(c, paths);
    }
    for (const c of components) {
      const linked = new Set(this.#upstream.get(c)?.keys() ?? []);
      for (const [d, paths] of this.#upstream) if (paths.has(c)) linked.add(d);
      linked.delete(c);
      this.#linked.set(c, [...linked]);
    }
  }

  /** Related to every component on the same host. */
  isEverywhere(component: string): boolean {
    return this.#everywhere.has(component);
  }

  /** Steps from the top of the flow (0: nothing upstream, or not in the topology). */
  depth(component: string): number {
    return this.#depth.get(component) ?? 0;
  }

  /** The components upstream→downstream when one of a, b is upstream of the other; else undefined. */
  link(a: string, b: string): readonly string[] | undefined {
    return this.#upstream.get(b)?.get(a) ?? this.#upstream.get(a)?.get(b);
  }

  /** Components linked with `component` either way (itself excluded). */
  linkedWith(component: string): readonly string[] {
    return this.#linked.get(component) ?? [];
  }

  get hasEverywhere(): boolean {
    return this.#everywhere.size > 0;
  }
}
