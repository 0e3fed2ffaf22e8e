// An `anomaly` rule in virtual time, fed one delta counter point a minute (the throughput of
// test/support/synthetic-diurnal.ts unless told otherwise), with everything it emits collected.
import { anomalyFactory } from "../../processors/anomaly.ts";
import type { RuleProcessor } from "../../processors/rules/rule-engine.ts";
import { build } from "./processors.ts";
import { MIN, prng } from "./synthetic-diurnal.ts";
import { counter, harness, VirtualClock } from "./virtual-clock.ts";

export const THROUGHPUT = "pipeline.artifacts.processed";

export async function anomalyRule(
  config: Record<string, unknown>,
  options: { start?: number; noise?: number } = {},
) {
  const { start = 0, noise = 0.05 } = options;
  const clock = new VirtualClock(start);
  const rule = await build<unknown, RuleProcessor>(
    anomalyFactory as never,
    "anomaly/throughput",
    config,
    clock,
  );
  const h = harness(clock);
  const sub = h.input.pipe(rule.operator).subscribe(h.collect);
  const random = prng(7);
  /** One export a minute from `from` to `to` (ms), each with the minute's count at `rate(t)`. */
  const feed = (from: number, to: number, rate: (t: number) => number, service = "scraper") => {
    for (let t = from; t < to; t += MIN) {
      clock.advanceTo(t);
      const count = Math.round(rate(t) * 60 * (1 + noise * (2 * random() - 1)));
      h.input.next(counter(THROUGHPUT, count, {}, { "service.name": service }));
    }
  };
  const fired = () => h.alerts().filter((a) => a.status === "firing");
  return { clock, rule, ...h, sub, feed, fired };
}
