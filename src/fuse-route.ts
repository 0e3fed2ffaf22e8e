// Routing inside a fused run: an item skips the stages whose declared interest excludes it (they
// would only pass it on), so a metric point visits the one rule that reads its name instead of
// every rule in the pipeline. Same calls on the interested stages, in the same order.
import type { Emit, ProcessorStage } from "./fuse.ts";
import type { Item } from "./signal.ts";

/** Distinct metric names remembered per route; past this, look-ups scan instead (odd traffic). */
const MAX_CACHED_NAMES = 4096;

function wants(stage: ProcessorStage, item: Item): boolean {
  const interest = stage.interest;
  if (!interest) return true;
  if (!interest.kinds.includes(item.kind)) return false;
  return item.kind !== "metric" || !interest.metricNames || interest.metricNames.has(item.name);
}

/** The emit for items leaving stage `from - 1`: the push of the next stage that wants them, else `last`. */
export function routeFrom(stages: readonly ProcessorStage[], from: number, last: Emit): Emit {
  const rest = stages.slice(from);
  const first = rest[0];
  if (!first) return last;
  if (rest.every((s) => !s.interest)) return first.push;
  const target = (item: Item): Emit => {
    for (const s of rest) if (wants(s, item)) return s.push;
    return last;
  };
  const byName = new Map<string, Emit>();
  const byKind = new Map<Item["kind"], Emit>();
  // The first two metric names seen, compared before the map: past a rule, items carry the one or
  // two names it reads, so the route costs a compare instead of a hash lookup per point.
  let name0: string | undefined;
  let to0: Emit = last;
  let name1: string | undefined;
  let to1: Emit = last;
  return (item) => {
    if (item.kind === "metric") {
      const name = item.name;
      if (name === name0) return to0(item);
      if (name === name1) return to1(item);
      let to = byName.get(name);
      if (to === undefined) {
        to = target(item);
        if (byName.size < MAX_CACHED_NAMES) byName.set(name, to);
        if (name0 === undefined) {
          name0 = name;
          to0 = to;
        } else if (name1 === undefined) {
          name1 = name;
          to1 = to;
        }
      }
      return to(item);
    }
    let to = byKind.get(item.kind);
    if (to === undefined) {
      to = target(item);
      byKind.set(item.kind, to);
    }
    to(item);
  };
}
