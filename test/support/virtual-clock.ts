// Virtual time for processor tests (the clock itself is src/virtual/clock.ts): push signals at
// chosen instants and run 30-minute cooldowns instantly.
import { Subject } from "rxjs";
import type { Alert, Attributes, GaugePoint, HistogramPoint, Item, SumPoint } from "../../src/signal.ts";
import { VirtualClock } from "../../src/virtual/clock.ts";

export { VirtualClock };

/** A source Subject and everything the operator chain emitted, tagged with its virtual time. */
export function harness(clock: VirtualClock) {
  const input = new Subject<Item>();
  const out: { at: number; item: Item }[] = [];
  return {
    input,
    out,
    collect: (item: Item) => out.push({ at: clock.now(), item }),
    alerts: () => out.map((o) => o.item).filter((i): i is Alert => i.kind === "alert"),
  };
}

const base = { unit: "", resource: {} as Attributes, scope: { name: "test" }, time: 0 };

export function gauge(
  name: string,
  value: number,
  attributes: Attributes = {},
  resource: Attributes = {},
): GaugePoint {
  return { ...base, kind: "metric", type: "gauge", name, value, attributes, resource };
}

export function counter(
  name: string,
  value: number,
  attributes: Attributes = {},
  resource: Attributes = {},
): SumPoint {
  return {
    ...base,
    kind: "metric",
    type: "sum",
    monotonic: true,
    temporality: "delta",
    name,
    value,
    attributes,
    resource,
  };
}

export function histogram(
  name: string,
  bounds: number[],
  bucketCounts: number[],
  extra: { sum?: number; min?: number; max?: number; attributes?: Attributes } = {},
): HistogramPoint {
  const count = bucketCounts.reduce((a, b) => a + b, 0);
  return {
    ...base,
    kind: "metric",
    type: "histogram",
    name,
    bounds,
    bucketCounts,
    count,
    sum: extra.sum,
    min: extra.min,
    max: extra.max,
    attributes: extra.attributes ?? {},
  };
}

export const MIN = 60_000;
export const SEC = 1000;
